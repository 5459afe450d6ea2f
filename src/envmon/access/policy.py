"""Which requests need what: the web gate (`envmon.web.gate`) asks `refusal(principal,
method, path)` after it has found who asks.

* public paths (the login page and its script, the login and token endpoints, static files)
  need nobody;
* a write (any method but GET/HEAD) needs a role that writes (`roles.WRITE_ROLES`), except the
  caller's own credentials (`/api/v1/auth/…`: logout, revoke);
* some areas need given roles (`AREAS`: the audit log for admin and bureau).

What each route shows and who may call it is the one table `SCOPE` below: (method, route
template) → `access.isolation.Rule` (its roles and how far it reaches), enforced for every
route by `envmon.web.isolation` (403 for a role the rule does not name, 404 for an id
outside the principal's scope, results narrowed to it). A route without a line here is
refused (and fails the isolation matrix, tests/web/test_isolation_matrix.py).

Decisions per route (the README's "Users and roles" table says the same for people):

* units' rows (points, data, alarms, marks, assessment, emissions, grades, supervision,
  commands, screening, emergency lists, the overview): every role, narrowed to its scope;
* the whole city's environment without units (ambient air, road dust, the air bulletin):
  the bureau's roles (`STAFF`), never an enterprise;
* figures of every unit at once that no filter narrows (the transmission bulletin, the
  registry's change history, city-wide warning/sweep runs): only a principal whose scope is
  everything (an administrator, or a bureau/read-only user without a region);
* keys, receiver lock-outs and connections, remote commands: the administrator; the audit
  log: `AUDIT_ROLES`;
* writes: `WRITES` below (an enterprise on its own unit's points, an officer's supervision
  actions, a district in its counties, the bureau in its scope and mark reviews).
"""

from __future__ import annotations

from envmon.access.isolation import Rule
from envmon.access.principal import Principal
from envmon.access.roles import ADMIN_ROLES, AUDIT_ROLES, ROLES

__all__ = ["AREAS", "SCOPE", "is_public", "refusal", "rule_for"]

SAFE_METHODS = frozenset({"GET", "HEAD"})
# /metrics, /healthz, /readyz (`envmon.ops`): for scrapers and probes, counts only, no data
OPS_PATHS = ("/metrics", "/healthz", "/readyz")
PUBLIC_EXACT = frozenset({("GET", "/login"), ("HEAD", "/login"),
                          ("POST", "/api/v1/auth/token"), ("POST", "/api/v1/auth/login"),
                          *((m, p) for p in OPS_PATHS for m in ("GET", "HEAD"))})
PUBLIC_PREFIXES = ("/static/", "/card/")  # /card/{code}: a unit's public card (环保码)
OWN_CREDENTIALS = "/api/v1/auth/"  # logout and revoke: anyone signed in, for themselves
# The enterprise portal's writes (answers, marks): each endpoint checks the caller's unit and
# role itself (`envmon.portal.view`), an enterprise acting for its own unit only.
SELF_SERVICE = "/api/v1/portal/"

AREAS: tuple[tuple[str, frozenset[str]], ...] = (
    ("/api/v1/audit", AUDIT_ROLES),
    ("/audit", AUDIT_ROLES),
)


EVERYONE = frozenset(ROLES)
STAFF = EVERYONE - {"enterprise"}  # the bureau's people: whole-city environment data
ADMIN = frozenset(ADMIN_ROLES)
AUDIT = frozenset(AUDIT_ROLES)
# Who may make which kind of write (each checks its target against the writer's scope).
ANSWER_ALARM = frozenset({"admin", "bureau", "district", "enterprise"})  # acknowledge
CLOSE_ALARM = frozenset({"admin", "bureau", "district"})
FILE_MARK = frozenset({"admin", "bureau", "district", "enterprise"})  # file, withdraw, proofs
REVIEW_MARK = frozenset({"admin", "bureau"})
STAFF_WRITE = frozenset({"admin", "bureau", "district"})  # exemptions, corrections
SUPERVISE = frozenset({"admin", "bureau", "district", "officer"})
ANSWER_NOTICE = frozenset({"admin", "bureau", "district", "enterprise"})
CITY_RUN = frozenset({"admin", "bureau"})  # with the scope of everything (reach "whole")

_public = Rule(EVERYONE, "none", public=True)
_own = Rule(EVERYONE, "none")
_rows = Rule(EVERYONE)
_area = Rule(STAFF, "area")
_whole = Rule(EVERYONE, "whole")
_admin = Rule(ADMIN, "none")

SCOPE: dict[tuple[str, str], Rule] = {
    # the caller's own credentials, and what has nothing of the registry
    ("POST", "/api/v1/auth/token"): _public, ("POST", "/api/v1/auth/login"): _public,
    ("GET", "/login"): _public,
    **{("GET", path): _public for path in OPS_PATHS},
    ("POST", "/api/v1/auth/logout"): _own, ("POST", "/api/v1/auth/revoke"): _own,
    ("GET", "/api/v1/auth/me"): _own, ("GET", "/openapi.json"): _own,
    ("GET", "/api/docs"): _own, ("GET", "/docs/oauth2-redirect"): _own,
    ("GET", "/api/v1/marks/types"): _own,
    # units' rows, narrowed to the scope
    ("GET", "/api/v1/alarms"): _rows, ("GET", "/api/v1/alarms/{alarm_id}"): _rows,
    ("GET", "/api/v1/assess"): _rows, ("GET", "/api/v1/assess/backfill-log"): _rows,
    ("GET", "/api/v1/assess/exemption/list"): _rows,
    ("GET", "/api/v1/assess/correction/list"): _rows,
    ("GET", "/api/v1/command/list"): _rows, ("GET", "/api/v1/command/{command_id}"): _rows,
    ("GET", "/api/v1/data"): _rows, ("GET", "/api/v1/data/raw"): _rows,
    ("GET", "/api/v1/data/conflicts"): _rows,
    ("GET", "/api/v1/marks/list"): _rows,
    ("GET", "/api/v1/marks/{mark_id}/proofs/{proof_id}"): _rows,
    ("GET", "/api/v1/emergency/alerts"): _rows, ("GET", "/api/v1/emergency/check"): _rows,
    ("GET", "/api/v1/emergency/list/show"): _rows,
    ("GET", "/api/v1/emissions"): _rows, ("GET", "/api/v1/emissions-totals"): _rows,
    ("GET", "/api/v1/tax"): _rows,
    ("GET", "/api/v1/events"): _rows,
    ("GET", "/api/v1/grade/list"): _rows, ("GET", "/api/v1/grade/unit/{unit_id}"): _rows,
    ("GET", "/api/v1/overview"): _rows,
    ("GET", "/api/v1/registry/points"): _rows, ("GET", "/api/v1/registry/export"): _rows,
    ("GET", "/api/v1/screen"): _rows,
    ("GET", "/api/v1/supervision/list"): _rows,
    ("GET", "/api/v1/supervision/unit/{unit_id}/notices"): _rows,
    ("GET", "/api/v1/supervision/{case_id}"): _rows,
    ("GET", "/"): _rows, ("GET", "/overview/data"): _rows, ("GET", "/points"): _rows,
    ("GET", "/points/{mn}"): _rows, ("GET", "/alarms"): _rows, ("GET", "/assess"): _rows,
    ("GET", "/emissions"): _rows, ("GET", "/marks"): _rows, ("GET", "/emergency"): _rows,
    ("GET", "/supervision"): _rows, ("GET", "/grades"): _rows, ("GET", "/screen"): _rows,
    # the enterprise portal (环保码): one unit's view (`unit=`), each endpoint checks it too
    ("GET", "/api/v1/portal/summary"): _rows, ("GET", "/api/v1/portal/rates"): _rows,
    ("GET", "/api/v1/portal/lowering"): _rows, ("GET", "/api/v1/portal/code"): _rows,
    ("GET", "/api/v1/portal/alarm-answers"): _rows,
    ("GET", "/api/v1/portal/alarm-answers/{answer_id}/files/{file_id}"): _rows,
    ("GET", "/portal"): _rows, ("GET", "/portal/placard"): _rows,
    ("GET", "/card/{code}"): _public,  # a unit's public card: by its unguessable code only
    # the whole city's environment, without units
    ("GET", "/api/v1/air/stations"): _area, ("GET", "/api/v1/air/aqi"): _area,
    ("GET", "/api/v1/air/summary"): _area, ("GET", "/api/v1/air/rank"): _area,
    ("GET", "/api/v1/air/daily"): _area, ("GET", "/api/v1/report/air"): _area,
    ("GET", "/api/v1/roads/rank"): _area, ("GET", "/api/v1/roads/segments.geojson"): _area,
    ("GET", "/api/v1/roads/coverage"): _area,
    ("GET", "/api/v1/roads/segments/{segment_id}/passes"): _area,
    ("GET", "/air"): _area, ("GET", "/roads"): _area,
    ("GET", "/roads/segments/{segment_id}"): _area,
    # every unit at once, not narrowed: the scope of everything only
    ("GET", "/api/v1/report/transmission"): _whole,
    ("GET", "/api/v1/registry/history"): _whole,
    # the administrator's and the auditors'
    ("GET", "/api/v1/keys/list"): _admin, ("POST", "/api/v1/keys/set"): _admin,
    ("POST", "/api/v1/keys/rotate"): _admin,
    ("POST", "/api/v1/store/backup"): _admin,  # loopback only (web.api.store)
    ("GET", "/api/v1/receiver/lockouts"): _admin, ("POST", "/api/v1/receiver/lockouts"): _admin,
    ("GET", "/api/v1/receiver/connections"): _admin,
    ("GET", "/api/v1/users/list"): _admin, ("GET", "/users"): _admin,
    ("POST", "/api/v1/users/add"): _admin, ("POST", "/api/v1/users/disable"): _admin,
    ("POST", "/api/v1/users/reset-password"): _admin,
    ("POST", "/api/v1/command"): Rule(ADMIN),
    ("GET", "/api/v1/audit/list"): Rule(AUDIT, "none"),
    ("GET", "/api/v1/audit/verify"): Rule(AUDIT, "none"), ("GET", "/audit"): Rule(AUDIT, "none"),
    # writes, each on a target in the writer's scope
    ("POST", "/api/v1/alarms/{alarm_id}/acknowledge"): Rule(ANSWER_ALARM),
    ("POST", "/api/v1/alarms/{alarm_id}/close"): Rule(CLOSE_ALARM),
    ("POST", "/api/v1/marks/file"): Rule(FILE_MARK),
    ("POST", "/api/v1/marks/withdraw"): Rule(FILE_MARK),
    ("POST", "/api/v1/marks/{mark_id}/proofs"): Rule(FILE_MARK),
    ("POST", "/api/v1/marks/approve"): Rule(REVIEW_MARK),
    ("POST", "/api/v1/marks/reject"): Rule(REVIEW_MARK),
    ("POST", "/api/v1/assess/exemption/add"): Rule(STAFF_WRITE),
    ("POST", "/api/v1/assess/correction/add"): Rule(STAFF_WRITE),
    ("POST", "/api/v1/assess/exemption/revoke"): Rule(STAFF_WRITE,
                                                      targets={"mark_id": "exemption"}),
    ("POST", "/api/v1/assess/correction/revoke"): Rule(STAFF_WRITE,
                                                       targets={"mark_id": "correction"}),
    ("POST", "/api/v1/supervision/open"): Rule(SUPERVISE),
    ("POST", "/api/v1/supervision/{case_id}/notify"): Rule(SUPERVISE),
    ("POST", "/api/v1/supervision/{case_id}/verify"): Rule(SUPERVISE),
    ("POST", "/api/v1/supervision/{case_id}/close"): Rule(SUPERVISE),
    ("POST", "/api/v1/supervision/{case_id}/escalate"): Rule(SUPERVISE),
    ("POST", "/api/v1/supervision/{case_id}/answer"): Rule(ANSWER_NOTICE),
    ("POST", "/api/v1/supervision/warnings"): Rule(CITY_RUN, "whole"),
    ("POST", "/api/v1/grade/run"): Rule(CITY_RUN, "whole"),
    ("POST", "/api/v1/portal/alarm-answer"): Rule(ANSWER_ALARM),
    # emergency alerts: a bureau user alerts a region of its scope; cancelling and the city's
    # imports (alerts, the emission-reduction list) are the whole city's
    ("POST", "/api/v1/emergency/alert/add"): Rule(CITY_RUN),
    ("POST", "/api/v1/emergency/alert/cancel"): Rule(CITY_RUN, "whole"),
    ("POST", "/api/v1/emergency/alert/import"): Rule(CITY_RUN, "whole"),
    ("POST", "/api/v1/emergency/list/import"): Rule(CITY_RUN, "whole"),
    ("POST", "/api/v1/portal/notice-answer"): Rule(ANSWER_NOTICE),
    ("POST", "/api/v1/portal/mark"): Rule(FILE_MARK),
    ("POST", "/api/v1/supervision/sweep"): Rule(CITY_RUN, "whole"),
}
"""Every route of the app: (method, template) → its `Rule` (see the module docstring)."""

WRITING_ROLES = frozenset(role for (method, _), rule in SCOPE.items()
                          if method not in SAFE_METHODS and not rule.public
                          and rule.reach != "none" for role in rule.roles)
"""Roles that may write somewhere (the gate refuses any write of the others at once)."""


def rule_for(method: str, template: str) -> Rule | None:
    """The route's rule (HEAD as GET), None for a route nobody declared."""
    return SCOPE.get(("GET" if method == "HEAD" else method, template))


def is_public(method: str, path: str) -> bool:
    return (method, path) in PUBLIC_EXACT or path.startswith(PUBLIC_PREFIXES)


def _in(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def refusal(principal: Principal, method: str, path: str) -> str | None:
    """Why `principal` may not make this request (a 403's reason), None when it may."""
    for prefix, roles in AREAS:
        if _in(path, prefix) and principal.role not in roles:
            return f"the role {principal.role} may not open {prefix}"
    if method in SAFE_METHODS or path.startswith((OWN_CREDENTIALS, SELF_SERVICE)):
        return None
    if principal.role not in WRITING_ROLES:
        return f"the role {principal.role} may not change anything here"
    return None
