"""Query commands through a running server's REST API: `--url`, and automatically when the
store is held by a local `envmon serve`.

    @alarms_app.command("list")
    @remote_command()                 # adds --url; writes: @remote_command(writes=True)
    def list_command(...): ...        # the local code, unchanged

`remote_command` adds the shared `--url` option to a command. With `--url`, the command does
not open the store: `ask` builds the request from the command's own path and options by the
naming rule of the web API (`envmon A B` → ``GET /api/v1/A/B``, a write → ``POST`` with a
JSON body; `--as-of` → ``as_of``; positional arguments by their parameter name; `--db`,
`--config`, `--output` stay local), and writes the answer's bytes where the local command
would: stdout for json/csv/table/text, the same default file (and the same announce line)
for xlsx/html/pdf. Without `--url`, `common.open_cli_store` comes here when DuckDB says the
store is locked and the discovery file of `envmon serve` (`envmon.web.discovery`) names a
running web app: the note "store in use by envmon serve (pid N); asking URL instead" goes to
stderr and the answer is the server's.

Once the server has users (issue 13) every request needs a token: the local operator token
that serve leaves next to the store (`envmon.access.operator`, read when serve holds the
store), or a user's API token in ``$ENVMON_TOKEN`` / ``$ENVMON_TOKEN_FILE`` (`user_token`).

Errors are one line on stderr, never a traceback: a 4xx ``{"error": {"field", "reason"}}``
names the CLI option (``as_of`` → ``--as-of``) with exit code 2, as the local command does;
a server that cannot be reached names `--url` with exit code 2 (the option to fix, as a
`--db` that is not there); a 5xx, a timeout or an over-long answer is exit code 1 (the
server's trouble, not the user's options).

Before a request, the server's OpenAPI schema (``/openapi.json``) is read to check that the
endpoint exists and knows every option given: FastAPI ignores an unknown query parameter,
which would silently answer a different question.

A command that imports a local file names a reader for it (`remote_command(file_bodies=
{"path": read}`): the file is read here and what the reader returns (a bounded JSON object,
e.g. the parsed rows) is sent in the body instead of the path. A server that answers with
``X-Envmon-Exit: N`` (an import with rejected rows) makes the command exit N after printing
the answer, as the local command does.

Endpoints that do not follow the rule are the fixed ones in `EXCEPTIONS`, and the flags in
`FLAG_ENDPOINTS` that ask a command for another result with its own endpoint (`envmon data
--conflicts` → ``GET /api/v1/data/conflicts``; the flag itself is not sent). A command whose
endpoint appears on the server needs only `@remote_command()`.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import typer

from envmon.cli.common import fail

__all__ = ["API_PREFIX", "EXCEPTIONS", "FLAG_ENDPOINTS", "RemoteSettings", "ask",
           "ask_instead_of_locked_store", "call", "endpoint_for", "post_file", "remote_command",
           "running_serve_url", "url_option"]

API_PREFIX = "/api/v1"
URL_HELP = ("Ask the envmon server at this URL (e.g. http://127.0.0.1:8000) instead of opening "
            "the store; used automatically when a local `envmon serve` holds the store.")
META_KEY = "envmon.remote"  # click context meta: this command may go remote (and writes?)
CTX_PARAM = "remote_context"  # the hidden parameter through which Typer passes the context

# The context of the remote-capable command running now (`open_cli_store` asks it whether
# a locked store may be answered by the server).
_CURRENT: ContextVar[typer.Context | None] = ContextVar("envmon_remote_context", default=None)

# Options that name local files or the store: never sent (the server has its own).
LOCAL_OPTIONS = frozenset({"--db", "--config", "--output", "--out", "--url"})

# `envmon alarms ack ID` is POST /api/v1/alarms/{id}/acknowledge, etc. (the paths).
EXCEPTIONS: dict[tuple[str, ...], tuple[str, str]] = {
    ("data",): ("GET", "/data"),
    ("assess",): ("GET", "/assess"),
    ("alarms", "list"): ("GET", "/alarms"),
    ("alarms", "ack"): ("POST", "/alarms/{alarm_id}/acknowledge"),
    ("alarms", "close"): ("POST", "/alarms/{alarm_id}/close"),
    ("emergency", "alert", "list"): ("GET", "/emergency/alerts"),
    # `envmon supervise …` is /api/v1/supervision/… (the paths)
    ("supervise", "list"): ("GET", "/supervision/list"),
    ("supervise", "show"): ("GET", "/supervision/{case_id}"),
    ("supervise", "open"): ("POST", "/supervision/open"),
    ("supervise", "notify"): ("POST", "/supervision/{case_id}/notify"),
    ("supervise", "answer"): ("POST", "/supervision/{case_id}/answer"),
    ("supervise", "verify"): ("POST", "/supervision/{case_id}/verify"),
    ("supervise", "close"): ("POST", "/supervision/{case_id}/close"),
    ("supervise", "escalate"): ("POST", "/supervision/{case_id}/escalate"),
    ("supervise", "sweep"): ("POST", "/supervision/sweep"),
}

# A flag that makes a command answer another result, served by its own endpoint: (command
# words, the flag's wire name) → (method, path). The flag is not sent.
FLAG_ENDPOINTS: dict[tuple[tuple[str, ...], str], tuple[str, str]] = {
    (("data",), "conflicts"): ("GET", "/data/conflicts"),
}

FILE_FORMATS = ("xlsx", "html", "pdf")
SUFFIXES = {"table": "txt", "text": "txt"}


@dataclass(frozen=True)
class RemoteSettings:
    """Bounds of a remote call, with why each default."""

    connect_timeout_s: float = 5.0
    """A server on the same network answers a connection at once; 5 s covers a loaded one."""
    read_timeout_s: float = 300.0
    """A month's assessment or bulletin of a province can take minutes on two shared cores."""
    max_answer_bytes: int = 512 * 1024 * 1024
    """Larger than any bulletin or a page of 10 000 records (a few MB); stops a wrong URL
    from streaming into memory without end."""
    max_schema_bytes: int = 16 * 1024 * 1024
    """The OpenAPI schema of every endpoint is well under 1 MB."""


SETTINGS = RemoteSettings()


def url_option() -> Any:
    """`--url`: the one definition every query command shares (added by `remote_command`)."""
    return typer.Option(None, "--url", help=URL_HELP, show_default=False)


def remote_command(*, writes: bool | Callable[[dict], bool] = False,
                   formats_default: str | None = None,
                   file_bodies: dict[str, Callable[[Path], dict]] | None = None
                   ) -> Callable[[Callable], Callable]:
    """Give a command `--url` and let it go through the API (module docstring). `writes`:
    the command changes the store (POST); a function of the wire parameters where that
    depends on the options (`receiver lockouts --unlock`). `formats_default`: a bulletin
    command's default `--formats` (one GET per format). `file_bodies`: parameter name → a
    reader of that local file whose fields are sent instead of the path."""

    def wrap(fn: Callable) -> Callable:
        signature = inspect.signature(fn, eval_str=True)
        takes_ctx = next((name for name, p in signature.parameters.items()
                          if p.annotation is typer.Context), None)
        added = [inspect.Parameter("url", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                   default=url_option(), annotation=str | None)]
        local_files = frozenset(name for name, p in signature.parameters.items()
                                if _names_a_file(p.annotation))
        if takes_ctx is None:
            added.append(inspect.Parameter(CTX_PARAM, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                           default=None, annotation=typer.Context))

        @functools.wraps(fn)
        def command(*args: Any, url: str | None = None, **kwargs: Any) -> Any:
            ctx = kwargs[takes_ctx] if takes_ctx else kwargs.pop(CTX_PARAM)
            group = getattr(ctx, "invoked_subcommand", None) is not None
            inherited = ctx.obj.get("url") if isinstance(ctx.obj, dict) else None
            url = url or inherited
            if group:  # a group callback (`assess`): its --url is for the subcommand
                result = fn(*args, **kwargs)
                if url and isinstance(ctx.obj, dict):
                    ctx.obj["url"] = url
                return result
            ctx.meta[META_KEY] = {"writes": writes, "formats_default": formats_default,
                                  "local_files": local_files,
                                  "file_bodies": file_bodies or {}}
            if url:
                return ask(ctx, url)
            token = _CURRENT.set(ctx)
            try:
                return fn(*args, **kwargs)
            finally:
                _CURRENT.reset(token)

        command.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), *added])
        command.__annotations__ = {**fn.__annotations__, "url": str | None,
                                   CTX_PARAM: typer.Context}
        command.remote_writes = writes  # type: ignore[attr-defined]
        return command

    return wrap


def _names_a_file(annotation: Any) -> bool:
    """A parameter typed Path (or Path | None, list[Path]): a local file, never sent."""
    import typing

    return annotation is Path or any(_names_a_file(a) for a in typing.get_args(annotation))


def ask_instead_of_locked_store(store_path: str, holder: str) -> None:
    """Called by `open_cli_store` when DuckDB says `store_path` is locked: when the current
    command can go remote and a serve announced its web app, answer through it and exit 0;
    else a one-line error saying what to do (exit 2). Returns only when the command cannot go
    remote (the caller raises its own error)."""
    ctx = _CURRENT.get()
    if ctx is None or META_KEY not in ctx.meta:
        return
    from envmon.web import discovery

    found = discovery.read(store_path)
    if found is None:
        raise fail(f"the store {store_path} is in use by {holder}, probably `envmon serve` "
                   "without its web app: stop it, or run it with the web app (without "
                   "--no-web) and this command asks it; or give --url of a running server")
    typer.echo(f"store in use by envmon serve (pid {found.pid}); asking {found.url} instead",
               err=True)
    from envmon.access.operator import read_token, token_path

    ask(ctx, found.url, automatic=True, token=read_token(token_path(store_path)))
    raise typer.Exit(0)


def running_serve_url(url: str | None, db: str | None, config: Path | None) -> str:
    """`--url`, else the web app of the `envmon serve` holding the store (its discovery
    file); else a one-line error (exit 2) for commands that only a running server can do
    (`envmon command`, `keys set|rotate` while serve holds the store)."""
    if url:
        return url
    from envmon.cli.common import resolve_db
    from envmon.web import discovery

    store_path = resolve_db(db, config)
    found = discovery.read(store_path)
    if found is None:
        raise fail(f"no running envmon serve holds {store_path} (none announced its web app): "
                   "start `envmon serve` with its web app, or give --url of a running server")
    return found.url


def serve_holding(db: str | None, config: Path | None) -> str | None:
    """The web app of the `envmon serve` holding the store (`keys`, `users` then go through
    it), or None: the store is free (or missing: the local path says so)."""
    from envmon.cli.common import resolve_db
    from envmon.store import StoreLockedError, open_store
    from envmon.web import discovery

    path = resolve_db(db, config)
    if not Path(path).is_file():
        return None
    try:
        open_store(path, read_only=True).close()
        return None
    except StoreLockedError as error:
        found = discovery.read(path)
        if found is None:
            raise fail(f"the store {path} is in use by {error.holder}, probably `envmon serve` "
                       "without its web app: run it with its web app (this command then "
                       "goes through it), or stop it") from None
        typer.echo(f"store in use by envmon serve (pid {found.pid}); asking {found.url} "
                   "instead", err=True)
        return found.url
    except Exception:
        return None  # any other trouble: the local path reports it


def ask_json(url: str, method: str, path: str, body: dict | None, db: str | None,
             config: Path | None):
    """One JSON request to the serve of `serve_holding` with the local operator token; its
    answer, or the server's refusal as the CLI's one line."""
    status, answer = call(url, method, path, body=body, token=operator_token(db, config))
    if status != 200:
        raise error_line(status, answer)
    return answer


def read_through_serve(db: str | None, config: Path | None, path: str,
                       from_rows: Callable[[Any], Any], local: Callable[[Any], Any]) -> Any:
    """A read (`keys list`, `users list`): through the serve holding the store (``GET path``,
    its JSON made into the local result by `from_rows`), else `local(store)` on the store
    opened read-only."""
    from envmon.cli.common import open_cli_store, user_errors

    url = serve_holding(db, config)
    if url is not None:
        return from_rows(ask_json(url, "GET", path, None, db, config))
    with open_cli_store(db, config, read_only=True) as store, user_errors():
        return local(store)


def post_file(url: str, path: str, field: str, filename: str, content: bytes,
              data: dict[str, str], token: str | None) -> tuple[int, Any]:
    """One ``multipart/form-data`` POST (a file in `field`, text fields `data`) to a running
    server, as `call` does JSON: (status, the decoded JSON answer)."""
    import httpx

    base = _base(url)
    with _client(base, user_token() or token) as client:
        try:
            response = client.post(path, data=data, files={field: (filename, content)})
        except httpx.TimeoutException:
            raise fail(f"--url: {base} did not answer within {SETTINGS.read_timeout_s:g} s",
                       1) from None
        except httpx.HTTPError as error:
            raise fail(f"--url: cannot reach {base}: {_reason(error)}") from None
    try:
        return response.status_code, response.json()
    except ValueError:
        raise fail(f"--url: {base} answered {response.status_code} without JSON: is it "
                   "envmon?", 1) from None


def operator_token(db: str | None, config: Path | None) -> str | None:
    """The local operator token `envmon serve` left next to the store it holds (None without
    one): sent only to the serve found by the store's discovery file, never to a --url."""
    from envmon.access.operator import read_token, token_path
    from envmon.cli.common import resolve_db

    return read_token(token_path(resolve_db(db, config)))


def call(url: str, method: str, path: str, *, body: Any = None,
         params: dict | None = None, token: str | None = None) -> tuple[int, Any]:
    """One JSON request to a running server: (status, the decoded JSON answer), with the
    user's token (`user_token`) or `token` (the local operator's) as Bearer. A server
    that cannot be reached, or an answer that is not JSON, is one line (exit 2 / 1)."""
    base = _base(url)
    with _client(base, user_token() or token) as client:
        answer = _send(client, base, method, path, params=params, body=body,
                       limit=SETTINGS.max_schema_bytes)
    try:
        return answer.status, json.loads(answer.body)
    except ValueError:
        raise fail(f"--url: {base} answered {answer.status} without JSON: is it envmon?",
                   1) from None


def error_line(status: int, answer: Any) -> typer.Exit:
    """A server's ``{"error": {"field", "reason"}}`` as the CLI's one line: a 4xx names the
    field (exit 2, the user's to fix), anything else exit 1."""
    error = answer.get("error", {}) if isinstance(answer, dict) else {}
    field = error.get("field")
    reason = error.get("reason") or f"the server answered {status}"
    option = f"--{field.replace('_', '-')}: " if field else ""
    return fail(f"{option}{reason}", 2 if 400 <= status < 500 else 1)


# --- building the request ------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    method: str
    path: str  # under the server's root, with path parameters filled in
    template: str  # as in the OpenAPI schema
    params: dict[str, Any]  # query parameters (GET) or JSON body fields (POST)
    options: dict[str, str]  # wire name → the CLI's name, for errors


def command_words(ctx: typer.Context) -> tuple[str, ...]:
    """`("assess", "exemption", "add")` for `envmon assess exemption add`."""
    words: list[str] = []
    while ctx.parent is not None:
        words.append(ctx.info_name or "")
        ctx = ctx.parent
    return tuple(reversed(words))


def endpoint_for(words: tuple[str, ...], writes: bool) -> tuple[str, str]:
    """(method, path template) of a command by the naming rule and its fixed exceptions."""
    if words in EXCEPTIONS:
        method, path = EXCEPTIONS[words]
        return method, API_PREFIX + path
    return ("POST" if writes else "GET"), API_PREFIX + "/" + "/".join(words)


def _is_argument(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "argument"


def _is_option(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "option"


def wire_name(param: Any) -> tuple[str, str]:
    """(the API's name, the CLI's name) of a parameter: `--as-of` → as_of, an argument by its
    Python name."""
    if _is_argument(param):
        return param.name or "", (param.metavar or param.name or "").upper()
    long = next((o for o in param.opts if o.startswith("--")), param.opts[0])
    return long.removeprefix("--").replace("-", "_"), long


def _is_local(param: Any) -> bool:
    return _is_option(param) and bool(LOCAL_OPTIONS & set(param.opts))


def build_request(ctx: typer.Context, writes: bool | Callable[[dict], bool] = False,
                  local_files: frozenset[str] = frozenset(),
                  file_bodies: dict[str, Callable[[Path], dict]] | None = None) -> Request:
    params: dict[str, Any] = {}
    options: dict[str, str] = {}
    for param in ctx.command.params:
        if _is_local(param) or param.name is None:
            continue
        name, cli_name = wire_name(param)
        options[name] = cli_name
        value = ctx.params.get(param.name)
        if name == "format":
            params[name] = value
            continue
        if value is None or (value == param.default and not param.required) or value == ():
            continue  # the server's default is the command's
        if file_bodies and param.name in file_bodies:  # read here, its content is sent
            params.update(_read_file_body(file_bodies[param.name], Path(value)))
            continue
        if isinstance(value, Path) or param.name in local_files:
            raise fail(f"{cli_name}: names a local file, which the server does not read; "
                       "run the command on the store itself")
        params[name] = list(value) if isinstance(value, tuple) else value
    words = command_words(ctx)
    flag = next((name for (command, name) in FLAG_ENDPOINTS
                 if command == words and params.get(name) is True), None)
    if flag is not None:  # the flag names the endpoint (FLAG_ENDPOINTS), it is not sent
        params.pop(flag)
        method, template = FLAG_ENDPOINTS[(words, flag)]
        template = API_PREFIX + template
    else:
        method, template = endpoint_for(words, writes(params) if callable(writes) else writes)
    path = template
    for name in list(params):
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", quote(str(params.pop(name)), safe=""))
    return Request(method, path, template, params, options)


def _read_file_body(reader: Callable[[Path], dict], path: Path) -> dict:
    from envmon.errors import EnvmonError

    try:
        return reader(path)
    except EnvmonError as error:
        raise fail(str(error)) from None


# --- sending it ----------------------------------------------------------------------------

def user_token() -> str | None:
    """The API token a `--url` command sends: ``$ENVMON_TOKEN``, else the first line of the
    file ``$ENVMON_TOKEN_FILE`` (a token of `POST /api/v1/auth/token`); None without either.
    Never an option: a token on the command line sits in the shell history."""
    import os

    from envmon.access.operator import read_token

    token = os.environ.get("ENVMON_TOKEN", "").strip()
    if token:
        return token
    path = os.environ.get("ENVMON_TOKEN_FILE", "").strip()
    if path:
        found = read_token(path)
        if found is None:
            raise fail(f"ENVMON_TOKEN_FILE: cannot read a token from {path}")
        return found
    return None


def _client(base: str, token: str | None = None):
    import httpx

    timeout = httpx.Timeout(SETTINGS.read_timeout_s, connect=SETTINGS.connect_timeout_s)
    headers = {"User-Agent": "envmon-cli"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=base, timeout=timeout, follow_redirects=False,
                        headers=headers)


def _base(url: str) -> str:
    text = url.strip().rstrip("/")
    if not text.startswith(("http://", "https://")) or len(text.split("://", 1)[1]) == 0:
        raise fail(f"--url: {url!r} is not an http:// or https:// address "
                   "(e.g. http://127.0.0.1:8000)")
    return text


def _read_bounded(response, limit: int, base: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise fail(f"the answer of {base} is larger than {limit} bytes", 1)
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise fail(f"the answer of {base} is larger than {limit} bytes", 1)
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class Answer:
    status: int
    body: bytes
    headers: Any


def _send(client, base: str, method: str, path: str, *, params=None, body=None,
          limit: int = SETTINGS.max_answer_bytes) -> Answer:
    import httpx

    try:
        with client.stream(method, path, params=params, json=body) as response:
            return Answer(response.status_code, _read_bounded(response, limit, base),
                          response.headers)
    except httpx.TimeoutException:
        raise fail(f"--url: {base} did not answer within {SETTINGS.read_timeout_s:g} s "
                   f"(connect: {SETTINGS.connect_timeout_s:g} s)", 1) from None
    except (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
        raise fail(f"--url: cannot reach {base}: {_reason(error)} (is `envmon serve` "
                   "running there with its web app?)") from None
    except httpx.HTTPError as error:
        raise fail(f"--url: the connection to {base} failed: {_reason(error)}", 1) from None


def _reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text.rsplit("] ", 1)[-1]  # "[Errno 111] Connection refused" → "Connection refused"


def _query(params: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for name, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, _text(item)))
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error(answer: Answer, base: str, request: Request) -> typer.Exit:
    try:
        error = json.loads(answer.body)["error"]
        field, reason = error.get("field"), str(error.get("reason"))
    except (ValueError, KeyError, TypeError, AttributeError):
        field, reason = None, answer.body[:200].decode("utf-8", "replace").strip()
    if answer.status >= 500:
        return fail(f"the server at {base} failed (HTTP {answer.status}): {reason}", 1)
    if field:
        option = request.options.get(field, "--" + str(field).replace("_", "-"))
        return fail(f"{option}: {reason}")
    return fail(reason or f"HTTP {answer.status}")


def _check_schema(client, base: str, request: Request, automatic: bool = False) -> None:
    """The endpoint exists on the server and knows every parameter sent (module docstring)."""
    answer = _send(client, base, "GET", "/openapi.json", limit=SETTINGS.max_schema_bytes)
    if answer.status == 401:
        raise fail(f"--url: the server at {base} has users: give a user's API token in "
                   "ENVMON_TOKEN or ENVMON_TOKEN_FILE (POST /api/v1/auth/token)")
    if answer.status != 200:
        raise fail(f"--url: {base} has no /openapi.json (HTTP {answer.status}): is it an "
                   "envmon server?")
    try:
        schema = json.loads(answer.body)
    except ValueError:
        raise fail(f"--url: {base}/openapi.json is not JSON: is it an envmon server?") from None
    operation = schema.get("paths", {}).get(request.template, {}).get(request.method.lower())
    # what to do instead: without --url, or (the store held by serve) with serve stopped
    instead = ("stop envmon serve to run the command on the store" if automatic else
               "run the command on the store without --url")
    if operation is None:
        raise fail(f"--url: the server at {base} has no {request.method} {request.template}"
                   f" (its API does not offer this command); {instead}")
    known = {p.get("name") for p in operation.get("parameters", ())}
    body = (operation.get("requestBody", {}).get("content", {})
            .get("application/json", {}).get("schema", {}))
    known |= set(_properties(schema, body))
    for name, value in request.params.items():
        if name in known or (name == "format" and value == "json"):
            continue  # the API answers JSON when it has no format parameter
        raise fail(f"{request.options.get(name, name)}: not available through the API of "
                   f"{base}; {instead}")


def _properties(schema: dict, node: dict, depth: int = 0) -> Iterator[str]:
    if depth > 5 or not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        node = schema.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
    yield from node.get("properties", {})
    for key in ("anyOf", "allOf", "oneOf"):
        for part in node.get(key, ()):
            yield from _properties(schema, part, depth + 1)


def ask(ctx: typer.Context, url: str, *, automatic: bool = False,
        token: str | None = None) -> None:
    """Run the command of `ctx` through the API at `url` and write its answer (module
    docstring), with `token` (the local operator's, when serve holds the store) or the
    user's (`user_token`) as ``Authorization: Bearer``. Raises typer.Exit on an error."""
    meta = ctx.meta.get(META_KEY, {})
    base = _base(url)
    request = build_request(ctx, meta.get("writes", False),
                            meta.get("local_files", frozenset()), meta.get("file_bodies"))
    formats = _bulletin_formats(ctx, request, meta.get("formats_default"))
    with _client(base, user_token() or token) as client:
        first = request if not formats else _with_format(request, formats[0])
        _check_schema(client, base, first, automatic)
        for fmt in formats or [request.params.get("format")]:
            one = request if not formats else _with_format(request, fmt)
            if one.method == "GET":
                answer = _send(client, base, "GET", one.path, params=_query(one.params))
            else:
                answer = _send(client, base, "POST", one.path, body=one.params)
            if answer.status >= 400:
                raise _error(answer, base, one)
            _write(answer, fmt, ctx, bulletin=formats is not None, count=len(formats or ()))
            note = answer.headers.get("x-envmon-note")
            if note:  # the result's note, on stderr as the local command says it
                typer.echo(f"note: {unquote(note)}", err=True)
            code = answer.headers.get("x-envmon-exit", "")
            if code in ("1",):  # the local command's exit code (rejected rows, printed)
                raise typer.Exit(int(code))


def _bulletin_formats(ctx: typer.Context, request: Request, default: str | None
                      ) -> list[str] | None:
    """The formats of a bulletin command asked for with `--formats` (one GET each), or None
    for a command that prints one answer."""
    if default is None or "formats" not in request.options:
        return None
    if request.params.get("format"):
        request.params.pop("formats", None)
        return None
    from envmon.cli.options import split_formats

    wanted = split_formats(request.params.pop("formats", None) or default)
    from envmon.reports.pdf import pdf_available

    if "pdf" in wanted and not pdf_available():  # as emit_many: the same note, the same rule
        from envmon.cli.options import PDF_SKIPPED

        wanted.remove("pdf")
        typer.echo(PDF_SKIPPED, err=True)
    return wanted


def _with_format(request: Request, fmt: str) -> Request:
    return Request(request.method, request.path, request.template,
                   {**request.params, "format": fmt}, request.options)


def _file_name(answer: Answer, fmt: str) -> str:
    """The name the local command would use: the server's download name."""
    from envmon.web.api.download import disposition_name

    name = disposition_name(answer.headers.get("content-disposition", ""))  # filename* first
    if name:
        name = Path(name.replace("\\", "/")).name  # a name, never a path chosen by the server
        if name and name not in (".", ".."):
            return name
    return f"result.{SUFFIXES.get(fmt, fmt)}"


def _write(answer: Answer, fmt: str | None, ctx: typer.Context, *, bulletin: bool,
           count: int) -> None:
    """Write the answer where `emit` (or `emit_many`) would: see `envmon.render.registry`."""
    output = _output(ctx)
    if fmt not in FILE_FORMATS:
        if output is None or str(output) == "-":
            sys.stdout.flush()
            typer.echo(answer.body, nl=False)
            return
        _save(output, answer.body)
        return
    if output is not None and str(output) == "-":
        raise fail(f"--output: {fmt} is a file format; give a file name, not -")
    name = _file_name(answer, fmt)
    if bulletin:  # emit_many: a folder (default the working one), or the file itself
        out = output if output is not None else Path(".")
        path = out if count == 1 and out.suffix == f".{fmt}" else out / name
    elif output is not None and not output.is_dir():
        path = output
    else:
        path = output / name if output is not None else Path(name)
    _save(path, answer.body)
    typer.echo(str(path))


def _output(ctx: typer.Context) -> Path | None:
    for param in ctx.command.params:
        if _is_option(param) and {"--output", "--out"} & set(param.opts):
            value = ctx.params.get(param.name or "")
            return None if value is None else Path(value)
    return None


def _save(path: Path, body: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    except OSError as error:
        raise fail(f"--output: cannot write {path}: {error.strerror or error}") from None
