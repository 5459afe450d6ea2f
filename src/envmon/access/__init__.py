"""Who may use the platform and what they did (issue 13): users, roles, scopes, page sessions,
API tokens, the login's rate limit, and the append-only audit log.

One job a module:

* `roles` — the six roles, their Chinese labels, which may write;
* `scope.Scope` — what part of the registry a user sees (all, a region prefix, one unit);
* `principal.Principal` — who a request or a command acts as (`request.state.principal`);
* `passwords` — argon2id hashes, the minimum length, reading a password from stdin;
* `users` — add, list, disable, reset a password (the CLI's `envmon users`), the checks of
  role against region and unit;
* `credentials` — API tokens and page sessions: issue, resolve, revoke, end;
* `login` — checking a name and password with the rate limit and lockout;
* `audit` — `record(...)`, the one way a row enters the audit log; `list_audit`, `verify`;
* `operator` — the local operator token `envmon serve` leaves next to the store for the CLI;
* `policy` — which paths need which roles (the web gate asks it);
* `settings.AccessSettings` — the [access] table (lifetimes, lockout, minimum length);
* `tables` — the store tables (schema version 11).

The web side is `envmon.web.gate` (the middleware that sets the principal) and
`envmon.web.api.auth`/`audit`; the CLI's is `envmon.cli.users`/`audit`.
"""
