"""Admission control of the HJ 212 receiver: who may connect, and how much they may send.

Guards against anonymous denial of service (issue 10, findings 1 and 5): a peer that has
not authenticated must not be able to slow the answers to the units that have, exhaust the
process's file descriptors, or grow the store or the memory without bound.

- **Connections**: a cap per source address (`max_connections_per_address`) and a total cap
  derived from the open-file limit (which `raise_open_file_limit` lifts to the hard limit at
  start-up), keeping `fd_reserve` descriptors for the store files and the web app. A refused
  connection is closed at once, counted per reason, and logged at most once a minute.
- **Rates**: token buckets per address, kept across reconnects: packets and bytes for all
  traffic, and a much smaller budget for unauthenticated input (garbage and rejected
  packets). Over a budget the connection is not read until tokens come back: backpressure
  (the unit's TCP send blocks), never the loss of an accepted packet.
- **Quarantine**: discarded and rejected input is counted per peer address and reason (at
  most `max_tracked_addresses` addresses, least recently seen first folded into "other"),
  and only samples of it (`samples_per_minute` per address, each cut to `sample_bytes`) go
  to the raw log, through the writer's bounded lane, where they never displace or delay
  accepted data.

Addresses in `exempt_networks` (by default the loopback address a local TLS terminator, the
simulator and the demo connect from) skip the per-address caps and rates; the quarantine
applies to everyone. A new rule goes here as a setting of `AdmissionSettings`, a check in
`Admission`, and a counter in `AdmissionStats` (which `ReceiverStats.as_dict()` includes).
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import resource
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, fields

log = logging.getLogger("envmon.ingest")

__all__ = [
    "AddressState", "Admission", "AdmissionSettings", "AdmissionStats", "ThrottledLog",
    "TokenBucket", "connection_budget", "raise_open_file_limit",
]

FD_ERRNOS = (errno.EMFILE, errno.ENFILE)


@dataclass
class AdmissionSettings:
    """Per-address bounds; the defaults leave room for an honest gateway (a carrier-grade
    NAT or an industrial park's router) that carries hundreds of units on one address."""

    max_connections_per_address: int = 500
    # An MN sends 1–3 packets a minute; a 补遗 answer is a day of minute data (1 440
    # packets) sent at once: the burst lets several MNs back-fill at full speed, the rate
    # then slows a bigger back-fill down (held back, never lost).
    packets_per_s: float = 1000.0
    packet_burst: int = 20_000
    bytes_per_s: float = 2_000_000.0  # ~1 000 packets/s of up to 2 KB
    byte_burst: int = 16_000_000
    # Garbage and rejected packets: an honest unit with a wrong password or a noisy line
    # sends a few packets a minute; a flood is held to this.
    unauthenticated_bytes_per_s: float = 16_384.0
    unauthenticated_burst: int = 262_144
    max_tracked_addresses: int = 10_000  # peers whose counters and buckets are kept
    samples_per_minute: int = 10  # raw-log samples per address and minute
    sample_bytes: int = 1024  # a sample is cut to this (an hourly packet is ~350 bytes)
    fd_reserve: int = 256  # descriptors kept for store files, web app, roads intake
    exempt_networks: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    log_interval_s: float = 60.0  # at most one line per kind of refusal in this time

    def __post_init__(self) -> None:
        """A bad setting is a ValueError naming it (the config file reports it)."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "exempt_networks" and not value > 0:
                raise ValueError(f"{f.name}: must be more than 0, not {value!r}")
        for network in self.exempt_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as error:
                raise ValueError(f"exempt_networks: {error}") from None


@dataclass
class AdmissionStats:
    refused: Counter = field(default_factory=Counter)  # reason -> connections refused
    refused_by_peer: Counter = field(default_factory=Counter)  # address -> refused
    accept_errors: int = 0  # accept() failed: out of file descriptors
    throttled: Counter = field(default_factory=Counter)  # budget -> times reading paused
    quarantined: Counter = field(default_factory=Counter)  # "verdict: reason" -> count
    quarantined_bytes: int = 0
    sampled: int = 0  # quarantined items written to the raw log (cut to sample_bytes)
    unsampled: int = 0  # counted only
    lane_dropped: int = 0  # samples the writer had no room for
    by_peer: Counter = field(default_factory=Counter)  # address -> quarantined items

    def as_dict(self) -> dict:
        return {
            "refused_connections": sum(self.refused.values()),
            "refused_by_reason": dict(self.refused),
            "refused_top_peers": dict(self.refused_by_peer.most_common(5)),
            "accept_errors": self.accept_errors,
            "throttled": dict(self.throttled),
            "quarantined": sum(self.quarantined.values()),
            "quarantined_by_reason": dict(self.quarantined),
            "quarantined_bytes": self.quarantined_bytes,
            "quarantine_sampled": self.sampled,
            "quarantine_unsampled": self.unsampled,
            "quarantine_lane_dropped": self.lane_dropped,
            "quarantine_top_peers": dict(self.by_peer.most_common(5)),
        }

    def merge(self, other: AdmissionStats) -> None:
        """Add another process's counters (receiver workers)."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, Counter):
                mine.update(theirs)
            else:
                setattr(self, f.name, mine + theirs)


class TokenBucket:
    """`rate` tokens a second up to `burst`. `charge` may run into debt (the bytes were
    already read) and says how long to wait until the debt is paid."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float):
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = now

    def charge(self, amount: float, now: float) -> float:
        """Take `amount`; return 0 or the seconds until the bucket is no longer in debt."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= amount
        if self.tokens >= 0:
            return 0.0
        return -self.tokens / self.rate if self.rate > 0 else 60.0


class AddressState:
    """What is known of one source address, across its connections."""

    __slots__ = ("connections", "exempt", "key", "packets", "bytes", "unauthenticated",
                 "window_start", "window_samples")

    def __init__(self, settings: AdmissionSettings, exempt: bool, now: float, key: str = ""):
        self.key = key  # the address, or its /64 for IPv6 (budget_key)
        self.connections = 0
        self.exempt = exempt
        self.packets = TokenBucket(settings.packets_per_s, settings.packet_burst, now)
        self.bytes = TokenBucket(settings.bytes_per_s, settings.byte_burst, now)
        self.unauthenticated = TokenBucket(settings.unauthenticated_bytes_per_s,
                                           settings.unauthenticated_burst, now)
        self.window_start = now
        self.window_samples = 0


def budget_key(address: str) -> str:
    """Whose budget a connection from `address` draws on: the IPv4 address itself, or the
    /64 network of an IPv6 address (one subscriber's prefix: an attacker holding a /64 must
    not get a fresh connection cap and budget from each of its 2^64 addresses)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return address


class ThrottledLog:
    """At most one line per key and interval; the lines skipped are counted in the next."""

    def __init__(self, interval_s: float):
        self.interval_s = interval_s
        self._last: dict[str, float] = {}
        self._skipped: Counter = Counter()

    def warning(self, key: str, message: str, *args) -> None:
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.interval_s:
            self._skipped[key] += 1
            return
        self._last[key] = now
        skipped = self._skipped.pop(key, 0)
        if skipped:
            message += f" ({skipped} more like it in the last {self.interval_s:g} s)"
        log.warning(message, *args)


def raise_open_file_limit() -> tuple[int, int]:
    """Lift the soft open-file limit to the hard limit (each connection is a descriptor;
    the usual soft default of 1 024 is far below what one receiver serves). Returns the
    (soft, hard) limits now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):  # hard = unlimited on some systems
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft, hard


def connection_budget(max_connections: int, open_files: int, reserve: int) -> int:
    """Connections the receiver may hold: `max_connections`, but never so many that the
    store files, the web app and a fresh accept() run out of descriptors."""
    if open_files == resource.RLIM_INFINITY or open_files <= 0:
        return max_connections
    keep = min(reserve, open_files // 4)
    return max(1, min(max_connections, open_files - keep))


class Admission:
    """The receiver's admission decisions and the state per address they need."""

    def __init__(self, settings: AdmissionSettings | None = None,
                 max_connections: int = 20_000, stats: AdmissionStats | None = None):
        self.settings = settings = settings or AdmissionSettings()
        self.max_connections = max_connections
        self.stats = stats if stats is not None else AdmissionStats()
        self.exempt = [ipaddress.ip_network(n, strict=False) for n in settings.exempt_networks]
        self.addresses: OrderedDict[str, AddressState] = OrderedDict()
        self.log = ThrottledLog(settings.log_interval_s)

    # -- start-up ------------------------------------------------------------------------
    def size_for_open_files(self) -> None:
        """Raise the open-file limit and derive the connection budget from it."""
        soft, hard = raise_open_file_limit()
        self.max_connections = connection_budget(self.max_connections, soft,
                                                 self.settings.fd_reserve)
        log.info("open files: limit %s (hard %s); up to %d connections, %d per address",
                 soft, hard, self.max_connections, self.settings.max_connections_per_address)

    # -- addresses -----------------------------------------------------------------------
    def state(self, address: str) -> AddressState:
        key = budget_key(address)
        state = self.addresses.get(key)
        if state is not None:
            self.addresses.move_to_end(key)
            return state
        state = AddressState(self.settings, self._is_exempt(address), time.monotonic(), key)
        self.addresses[key] = state
        if len(self.addresses) > self.settings.max_tracked_addresses:
            self._forget_one()
        return state

    def _is_exempt(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return any(ip in network for network in self.exempt)

    def _forget_one(self) -> None:
        """Forget the least recently seen address without a live connection; its
        quarantine count is kept under "other". Addresses with connections stay (their
        number is bounded by the connection budget)."""
        for k, (address, state) in enumerate(self.addresses.items()):
            if state.connections == 0:
                del self.addresses[address]
                for counter in (self.stats.by_peer, self.stats.refused_by_peer):
                    seen = counter.pop(address, 0)
                    if seen:
                        counter["other"] += seen
                return
            if k >= 64:
                return

    # -- connections ---------------------------------------------------------------------
    def admit(self, address: str, peer: str, open_connections: int) -> AddressState | None:
        """A new connection from `address`: its state, or None (refused, counted, logged)."""
        if open_connections >= self.max_connections:
            return self._refuse("connection limit", address, peer,
                                f"{open_connections} connections open (the limit, derived "
                                "from the open-file limit)")
        state = self.state(address)
        cap = self.settings.max_connections_per_address
        if not state.exempt and state.connections >= cap:
            return self._refuse("address limit", state.key, peer,
                                f"{state.connections} connections open from {state.key} "
                                f"(max_connections_per_address = {cap})")
        state.connections += 1
        return state

    def _refuse(self, reason: str, address: str, peer: str, why: str) -> None:
        self.stats.refused[reason] += 1
        self.stats.refused_by_peer[address if address in self.addresses else "other"] += 1
        self.log.warning(f"refuse:{reason}", "refusing connection from %s: %s", peer, why)
        return None

    def release(self, state: AddressState) -> None:
        state.connections -= 1

    def accept_failed(self, exc: OSError) -> None:
        """accept() failed for want of file descriptors (EMFILE/ENFILE)."""
        self.stats.accept_errors += 1
        self.log.warning("accept", "cannot accept connections: %s (open-file limit %s)",
                         exc, resource.getrlimit(resource.RLIMIT_NOFILE)[0])

    # -- rates ---------------------------------------------------------------------------
    def charge_bytes(self, state: AddressState, n: int) -> float:
        """Bytes read from a connection of `state`: seconds to stop reading, or 0."""
        if state.exempt:
            return 0.0
        wait = state.bytes.charge(n, time.monotonic())
        if wait:
            self.stats.throttled["bytes"] += 1
        return wait

    def charge_packet(self, state: AddressState) -> float:
        """A packet decoded from a connection of `state`: seconds to hold the next, or 0."""
        if state.exempt:
            return 0.0
        wait = state.packets.charge(1, time.monotonic())
        if wait:
            self.stats.throttled["packets"] += 1
        return wait

    def unauthenticated_debt(self, state: AddressState) -> float:
        """Seconds until the address's unauthenticated budget is out of debt, or 0: a
        connection that has not authenticated is not read before, so reconnecting does
        not buy an attacker a fresh budget."""
        if state.exempt:
            return 0.0
        return state.unauthenticated.charge(0, time.monotonic())

    # -- quarantine ----------------------------------------------------------------------
    def quarantine(self, state: AddressState, address: str, verdict: str, reason: str,
                   n_bytes: int) -> tuple[bool, float]:
        """Rejected or discarded input: count it; return (write a sample?, seconds to stop
        reading the connection, or 0)."""
        now = time.monotonic()
        stats = self.stats
        stats.quarantined[f"{verdict}: {reason}"] += 1
        stats.quarantined_bytes += n_bytes
        stats.by_peer[state.key if state.key in self.addresses else "other"] += 1
        if now - state.window_start >= 60.0:
            state.window_start, state.window_samples = now, 0
        sample = state.window_samples < self.settings.samples_per_minute
        if sample:
            state.window_samples += 1
            stats.sampled += 1
        else:
            stats.unsampled += 1
        wait = 0.0
        if not state.exempt:
            wait = state.unauthenticated.charge(n_bytes, now)
            if wait:
                stats.throttled["unauthenticated"] += 1
        return sample, wait


def reason_key(reason: str) -> str:
    """A bounded counter key for a discard reason ("length: b'x1' is not…" -> "length")."""
    return reason.split(":", 1)[0][:40]
