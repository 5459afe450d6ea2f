"""envmon configuration: one TOML file, every field with a default.

Where it is read from, first match wins: an explicit path (`--config`), the environment
variable `ENVMON_CONFIG`, `envmon.toml` in the working directory; with none of them the
defaults apply, so no command needs a configuration file.

    [store]
    path = "envmon.duckdb"      # DuckDB file (relative paths: to the config file's folder)

    [ingest]
    host = "0.0.0.0"
    port = 6000
    max_segment = 9999          # longest data segment accepted (hj212.md §1: standard 1024)
    idle_timeout_s = 600
    commit_interval_ms = 5
    max_batch = 20000
    max_failed_commits = 10     # failed group commits in a row before serve exits (code 75)
    reject_unencrypted = false  # 2025 upload in clear from an MN with a key: kept, recorded
    metrics_port = 9212         # /metrics, /healthz, /readyz of a --no-web receiver (unset: off)
    metrics_host = "127.0.0.1"
    ready_timeout_s = 2.0       # /readyz: the store must answer SELECT 1 within this

    [guard]                     # envmon.ingest.guard.GuardSettings: who speaks for an MN
    lockout_failures = 10       # wrong passwords from one address within window_s
    takeover = "usual-address"  # or "newest", "keep"
    max_mns_per_connection = 16
    data_time_past_days = 40    # DataTime accepted from 40 days before receipt …
    data_time_future_minutes = 10   # … to 10 minutes after (else rejected, with the reason)

    [admission]                 # per-address limits of the receiver (ingest.admission)
    max_connections_per_address = 500
    packets_per_s = 1000
    exempt_networks = ["127.0.0.1/32", "::1/128"]

    [air]                       # envmon.air.settings.AirSettings (cited defaults there)
    published_daily_wins = true

    [web]                       # envmon.web.service.WebSettings (the reason for each default there)
    max_connections = 200       # open HTTP connections at once (503 beyond)
    max_streams = 100           # live event streams at once (503 beyond)
    max_streams_per_address = 20  # live streams of one client address (503 beyond)
    stream_queue = 1000         # events waiting for one slow stream before its oldest drop
    max_body_bytes = 65536      # request bodies larger than this: 413
    header_timeout_s = 10.0     # request headers must complete within this (slowloris)
    keep_alive_s = 5            # idle keep-alive connections close after this
    backlog = 128               # listen backlog of the web port
    query_slots = 4             # use cases run at once in worker threads
    allowed_hosts = []          # Host names besides the bound host, localhost, IP addresses
    allow_remote_writes = false # changes from other machines (--web-allow-remote-writes)
    local_only_without_users = true  # no users yet: other machines get 401 (serve's default)

    [access]                    # envmon.access.settings.AccessSettings (users, issue 13)
    min_password_length = 10
    session_idle_s = 1800       # a page session unused this long ends
    token_days = 30             # API tokens' lifetime
    lockout_failures = 5        # failed logins of a name within lockout_window_s lock it

    [supervision]               # envmon.supervision.settings.SupervisionSettings (督办 rules)
    near_pass_margin = 2.0      # percentage points above the pass mark that still warn
    webhook_urls = []           # notices and escalations POSTed as JSON

    [grade]                     # envmon.grading.settings.GradeSettings (分级分类 thresholds)
    labels = ["A", "B", "C", "D"]

    [portal]                    # envmon.portal.settings.PortalSettings (环保码, placards)
    public_base_url = ""        # the QR codes' address; "" = the serve's web address
    bureau_name = "生态环境局"

    [sim]
    host = "127.0.0.1"
    port = 6000
    points = 300
    seed = 1

Unknown sections or keys, and values of the wrong type, are errors that name them.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import tomllib
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from envmon.timeutil import BEIJING_FIXED

ENV_VAR = "ENVMON_CONFIG"
DEFAULT_FILE = "envmon.toml"


class ConfigError(ValueError):
    """The configuration file is missing, not TOML, or has unknown or ill-typed entries."""


@dataclass(frozen=True)
class StoreConfig:
    path: str = "envmon.duckdb"
    """DuckDB file of the embedded store, or the URL of a PostgreSQL database
    (`postgresql://user@host:port/db`; $ENVMON_DB and --db win over it)."""


@dataclass(frozen=True)
class IngestConfig:
    host: str = "0.0.0.0"
    """Address the HJ 212 receiver listens on (field units connect from outside)."""
    port: int = 6000
    max_segment: int = 9999
    """Longest data segment accepted, in bytes (HJ 212-2017 caps it at 1024; real traffic
    exceeds it, so the default is all that the 4-digit length field can express)."""
    idle_timeout_s: float = 600
    """Close a connection that sent nothing for this long."""
    commit_interval_ms: float = 5
    """Group commit: how long a batch may gather before it is committed."""
    max_batch: int = 20000
    """Group commit: commit at once when this many packets are waiting."""
    max_failed_commits: int = 10
    """Groups that could not be committed (each tried 3 times, with back-off) in a row before
    `envmon serve` stops accepting and exits with code 75 for a supervisor to restart it (a full
    disk); 10 is about half a minute of failing under load (the back-off reaches 1 s), long enough
    to ride out a brief stall."""
    data_time_past_days: float = 40
    """Reject a packet whose DataTime is more than this before its receipt (back-fill answers
    reach back to the 补全 deadline, the 10th of the next month: ~40 days)."""
    data_time_future_minutes: float = 10
    """Reject a packet whose DataTime is more than this after its receipt (DataTime is the
    period start, HJ 212-2017 Table 4; the margin is for a unit's clock running ahead)."""
    reject_unencrypted: bool = False
    """Reject an HJ 212-2025 command that §6.4.4 encrypts (CN 2000-2999, 1014, 3020) when it
    arrives in clear from an MN the platform holds a key for. Default false: it is kept and
    the raw log records `not_encrypted` (PW and CRC still vouch for it, and units move to
    encryption one by one; `envmon.ingest.accept` says more)."""
    metrics_port: int | None = None
    """Port of the receiver's own /metrics, /healthz and /readyz listener (`envmon serve
    --metrics-port`); unset: none (the web app serves them when it runs). Off by default: a
    receiver listens on every address for its units, and no port should open unasked."""
    metrics_host: str = "127.0.0.1"
    """Address of that listener: loopback unless a scraper elsewhere is named explicitly."""
    ready_timeout_s: float = 2.0
    """/readyz: the store must answer `SELECT 1` within this (the 2 s answer budget, p99, of
    a province's top-of-hour burst: a slower store cannot serve units in time)."""


@dataclass(frozen=True)
class SimConfig:
    host: str = "127.0.0.1"
    """Receiver the simulated data acquisition units connect to."""
    port: int = 6000
    points: int = 300
    """Points in the demo registry."""
    seed: int = 1


def _assess_config():
    from envmon.assess.config import AssessConfig

    return AssessConfig


def _backfill_settings():
    from envmon.ingest.backfill import BackfillSettings

    return BackfillSettings


def _coordination_settings():
    from envmon.ingest.coordination import CoordinationSettings

    return CoordinationSettings


def _guard_settings():
    from envmon.ingest.guard import GuardSettings

    return GuardSettings


def _admission_settings():
    from envmon.ingest.admission import AdmissionSettings

    return AdmissionSettings


def _air_settings():
    from envmon.air.settings import AirSettings

    return AirSettings


def _access_settings():
    from envmon.access.settings import AccessSettings

    return AccessSettings


def _web_settings():
    from envmon.web.service import WebSettings

    return WebSettings


def _command_settings():
    from envmon.control.dispatcher import CommandSettings

    return CommandSettings


def _supervision_settings():
    from envmon.supervision.settings import SupervisionSettings

    return SupervisionSettings


def _grade_settings():
    from envmon.grading.settings import GradeSettings

    return GradeSettings


def _portal_settings():
    from envmon.portal.settings import PortalSettings

    return PortalSettings


def _alarm_check():
    from envmon.alarms.config import alarm_config_from_dict

    def check(table: dict, source: str) -> None:
        webhook_keys = ("webhook_url", "webhook_urls", "webhook_retries", "webhook_backoff_s",
                        "webhook_timeout_s")
        alarm_config_from_dict({k: v for k, v in table.items() if k not in webhook_keys},
                               source)

    return check


def _roads_check():
    from envmon.roads.settings import settings_from_dict

    return settings_from_dict


def _emissions_check():
    from envmon.emissions.settings import accounting_settings

    return accounting_settings


def _marks_check():
    from envmon.marks.settings import marks_settings

    return marks_settings


def _tax_check():
    from envmon.emissions.tax import tax_config_from_dict

    return tax_config_from_dict


def _emergency_check():
    from envmon.emergency.settings import emergency_settings

    return emergency_settings


# Tables kept raw (nested tables, per-CN maps) and checked by their domain when read.
_RAW_SECTIONS = {"alarms": _alarm_check, "tax": _tax_check, "roads": _roads_check,
                 "emissions": _emissions_check, "marks": _marks_check,
                 "emergency": _emergency_check}

# Domain sections are the domains' own settings dataclasses, so a setting has one home.
_DOMAIN_SECTIONS = {"assess": _assess_config, "backfill": _backfill_settings,
                    "guard": _guard_settings, "admission": _admission_settings,
                    "air": _air_settings, "web": _web_settings, "commands": _command_settings,
                    "access": _access_settings, "supervision": _supervision_settings,
                    "grade": _grade_settings, "portal": _portal_settings,
                    "coordination": _coordination_settings}


@dataclass(frozen=True)
class Config:
    store: StoreConfig = field(default_factory=StoreConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    sim: SimConfig = field(default_factory=SimConfig)
    assess: Any = None
    """[assess]: envmon.assess.config.AssessConfig (the transmission assessment's rules)."""
    backfill: Any = None
    """[backfill]: envmon.ingest.backfill.BackfillSettings (补遗 request bounds)."""
    guard: Any = None
    """[guard]: envmon.ingest.guard.GuardSettings (wrong-password back-off and lockout,
    takeover of an MN's connection, MNs per connection)."""
    admission: Any = None
    """[admission]: envmon.ingest.admission.AdmissionSettings (per-address connection
    caps and rates of the HJ 212 receiver, quarantine sampling)."""
    air: Any = None
    """[air]: envmon.air.settings.AirSettings (published daily values, AQI and O3 rules)."""
    web: Any = None
    """[web]: envmon.web.service.WebSettings (the web app's connection, body, stream and
    query bounds, header deadline)."""
    commands: Any = None
    """[commands]: envmon.control.dispatcher.CommandSettings (remote commands' answer
    timeout and retries, HJ 212-2017 Table 1; execution timeout; queue bounds)."""
    access: Any = None
    """[access]: envmon.access.settings.AccessSettings (users' sessions, tokens, lockout and
    password length)."""
    supervision: Any = None
    """[supervision]: envmon.supervision.settings.SupervisionSettings (warning rules, notice
    deadline, sweep period, webhooks)."""
    grade: Any = None
    """[grade]: envmon.grading.settings.GradeSettings (the grading rule's thresholds)."""
    portal: Any = None
    """[portal]: envmon.portal.settings.PortalSettings (the public cards' address and bounds,
    the placard's issuer)."""
    coordination: Any = None
    """[coordination]: envmon.ingest.coordination.CoordinationSettings (several receivers on
    one store: heartbeat and look-around period, lease, last-packet writes)."""
    alarms: dict = field(default_factory=dict)
    """[alarms]: the raw table for envmon.alarms.engine.engine_from_settings (AlarmConfig
    fields, webhook_url(s), retries), checked when the file is read."""
    roads: dict = field(default_factory=dict)
    """[roads]: tables [roads.sensors], [roads.match], [roads.passes], [roads.eligibility],
    [roads.naming] for envmon.roads.settings.settings_from_dict."""
    emissions: dict = field(default_factory=dict)
    """[emissions]: the raw table for envmon.emissions.settings.accounting_settings (the
    accounting's hour rules, substitution, water units, 色度超标倍数), checked when read."""
    tax: dict = field(default_factory=dict)
    """[tax]: the raw table for envmon.emissions.tax.tax_config_from_dict ([[tax.rates]]
    per province, options), checked when the file is read."""
    marks: dict = field(default_factory=dict)
    """[marks]: the raw table for envmon.marks.settings.marks_settings (proof bounds, filing
    deadline, [[marks.types]]), checked when the file is read."""
    emergency: dict = field(default_factory=dict)
    """[emergency]: the raw table for envmon.emergency.settings.emergency_settings (the
    emergency-control check's baseline, verdict rules and the plan's targets)."""
    source: str | None = None
    """The file this configuration was read from (None: defaults only)."""

    def __post_init__(self) -> None:
        for name, cls in _DOMAIN_SECTIONS.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, cls()())


_SECTIONS = {f.name: f for f in dataclasses.fields(Config) if f.name != "source"}


def _coerce(where: str, value: Any, expected: Any) -> Any:
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin in (types.UnionType, typing.Union) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(where, value, inner)  # TOML has no null: a present key is a value
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return tuple(_coerce(f"{where}[{k}]", v, args[0]) for k, v in enumerate(value))
    if expected is Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        try:
            return Decimal(str(value))
        except ArithmeticError:
            raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    if expected is datetime:
        if not isinstance(value, datetime):
            raise ConfigError(f"{where}: expected a TOML date-time, got {value!r}")
        return value if value.tzinfo else value.replace(tzinfo=BEIJING_FIXED)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is int and isinstance(value, bool):
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if not isinstance(value, expected):
        names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
        raise ConfigError(f"{where}: expected {names.get(expected, expected)}, got {value!r}")
    return value


def _section(source: str, name: str, values: Any, cls: type) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{source}: [{name}] must be a table, got {values!r}")
    hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key{'s' if len(unknown) > 1 else ''} in [{name}]: "
            f"{', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    try:
        return cls(**{key: _coerce(f"{source}: [{name}] {key}", v, hints[key])
                      for key, v in values.items()})
    except (TypeError, ValueError) as error:
        if isinstance(error, ConfigError):
            raise
        from envmon.errors import OptionError

        if isinstance(error, OptionError) and error.option.startswith(f"[{name}] "):
            raise ConfigError(f"{source}: {error}") from None  # it names the key already
        raise ConfigError(f"{source}: [{name}]: {error}") from None


def _backfill_follows_assess(data: dict[str, Any]) -> dict[str, Any]:
    """[backfill] lookback_hours and settle_hours not set: the [assess] windows (补全
    complete_days × 24 h, 即时 instant_hours), so that 补遗 never asks for hours that no longer
    count nor before the 即时 window has closed (issue 11 item 12). The defaults agree."""
    assess, backfill = data.get("assess"), data.get("backfill", {})
    if not isinstance(assess, dict) or not isinstance(backfill, dict):
        return data
    linked = dict(backfill)
    days, hours = assess.get("complete_days"), assess.get("instant_hours")
    if isinstance(days, int | float) and not isinstance(days, bool):
        linked.setdefault("lookback_hours", math.ceil(days * 24))
    if isinstance(hours, int | float) and not isinstance(hours, bool):
        linked.setdefault("settle_hours", float(hours))
    return {**data, "backfill": linked} if linked != backfill else data


def parse_config(data: dict[str, Any], source: str = "<config>") -> Config:
    """Build a Config from parsed TOML (a dict of sections)."""
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown section{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(f'[{u}]' for u in unknown)} (known: "
            f"{', '.join(f'[{s}]' for s in _SECTIONS)})"
        )
    data = _backfill_follows_assess(data)
    hints = typing.get_type_hints(Config)
    sections = {
        name: _section(source, name, data[name],
                       _DOMAIN_SECTIONS[name]() if name in _DOMAIN_SECTIONS else hints[name])
        for name in _SECTIONS
        if name in data and name not in _RAW_SECTIONS
    }
    for name, check in _RAW_SECTIONS.items():
        if name in data:
            table = data[name]
            if not isinstance(table, dict):
                raise ConfigError(f"{source}: [{name}] must be a table, got {table!r}")
            try:
                check()(table, f"{source}: [{name}]")
            except (TypeError, ValueError) as error:
                raise ConfigError(str(error)) from None
            sections[name] = table
    return Config(**sections, source=source)


def find_config_file(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The file to read: `path`, else $ENVMON_CONFIG, else ./envmon.toml if it exists."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    default = Path(DEFAULT_FILE)
    return default if default.is_file() else None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the configuration (see the module docstring for where from)."""
    file = find_config_file(path)
    if file is None:
        return Config()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file {file} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: not valid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file}: cannot read: {error}") from None
    config = parse_config(data, str(file))
    store_path = config.store.path
    if "://" not in store_path and store_path != ":memory:" and not os.path.isabs(store_path):
        store_path = str(file.parent / store_path)
        config = dataclasses.replace(config, store=StoreConfig(path=store_path))
    return config
