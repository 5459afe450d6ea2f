"""Whom the receiver believes speaks for an MN: password guessing, allow-lists, one live connection.

HJ 212 authenticates with a cleartext password in every packet, and a 9014 confirms a right
guess; without bounds a 6-digit password falls in seconds. `Guard` holds, per receiver, what
guards against that and against a second speaker for an MN:

* **back-off**: after a wrong password the connection is not read for
  ``backoff_base_s × 2^(n−1)`` (capped at ``backoff_max_s``; n = wrong passwords from that
  address, or for that MN from addresses it never used, within ``window_s``), so guesses on one
  connection are answered one by one and never faster than an honest unit's commit;
* **lockout**: ``lockout_failures`` wrong passwords from one address within ``window_s`` lock
  the address for ``lockout_s`` (connection closed, new connections refused);
  ``mn_lockout_failures`` wrong passwords for one MN from addresses it never used lock that MN
  for new addresses. A lockout never applies to an MN's **usual addresses**: the IPs it
  authenticated from before (learned live, persisted in ``guard_usual_addresses``: the MN's
  first address at once, a new one after holding the MN's live connection for
  ``learn_after_s``) and its registry allow-list, so an attacker cannot lock a unit out of its
  own address;
* **allow-lists**: a point's (else its unit's) ``allow_networks`` (CIDR list, empty = any): a
  packet from outside is rejected before its password is looked at;
* **one live connection per MN** (``takeover``): "usual-address" lets a newcomer take an MN
  over only from a usual address or when the old connection has been silent longer than
  ``takeover_silence_s``; "keep" never; "newest" always (the old behaviour). One connection may
  speak for at most ``max_mns_per_connection`` MNs (a data collector serving several outlets).

Lockouts are persisted (``guard_lockouts``, `envmon receiver lockouts`) and lifted there; the
receiver picks lifts up on its registry refresh. With ``--workers N`` each worker process has
its own `Guard`: the parent (which owns the store) loads the persisted state into every
worker, persists what each learns and relays it to the others (`apply`), and passes lifts
on (`ingest.workers`). A new rule: a check in `Guard.check` (before the password) or
`Guard.claim` (after it), with its own `accept.Reason`.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from envmon.ingest.accept import Reason, Rejected
from envmon.store import PointAuth
from envmon.timeutil import now_beijing

log = logging.getLogger("envmon.ingest")

__all__ = ["TAKEOVER_POLICIES", "Guard", "GuardSettings", "Lockout"]

TAKEOVER_POLICIES = ("usual-address", "newest", "keep")


USUAL_ADDRESS_REFRESH_S = 3600.0  # how often a usual address's last_seen is written

@dataclass
class GuardSettings:
    """The `[guard]` section: password back-off, lockouts, takeover of an MN's connection."""

    backoff_base_s: float = 0.2
    """Pause after the first wrong password: above an honest answer's commit (5 ms window +
    fsync), so a guess is never answered faster than an honest upload; doubles each time."""
    backoff_max_s: float = 60.0
    """Longest pause (an honest unit with a wrong password is stuck anyway; a guesser on
    a unit's own NAT address, which is never locked, is held to one guess a minute)."""
    window_s: float = 600.0
    """Wrong passwords older than this are forgotten."""
    never_locked: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    """Networks never locked out as a whole address: every unit behind a local TLS
    terminator (or the demo's simulated units) shares its one address, and one unit's wrong
    password must not refuse them all. Back-off and the MN lockout still apply there."""
    lockout_failures: int = 10
    """Wrong passwords from one address within `window_s` that lock it (a unit whose password
    was changed retries every 10-30 s: 10 is a clear sign within 10 minutes)."""
    mn_lockout_failures: int = 20
    """Wrong passwords for one MN from addresses it never used that lock the MN for new
    addresses (guessing from many addresses); its usual addresses keep working."""
    lockout_s: float = 900.0
    """How long a lockout lasts (15 min: about 10 guesses per 15 min per address)."""
    takeover: str = "usual-address"
    """Who may take an MN over from its live connection: usual-address, newest or keep."""
    takeover_silence_s: float = 120.0
    """A live connection silent this long may be taken over from any address (real units send
    real-time data every 30-60 s; a dead TCP connection is not noticed before the idle close)."""
    learn_after_s: float = 3600.0
    """A new address becomes one of an MN's usual addresses (trusted copies, never locked
    out, takes the MN over) only after holding the MN's live connection this long; the MN's
    first address and its allow-list at once. Learned on one accepted packet, a forger holding
    the cleartext password would be trusted on its next connection. An hour: a unit whose
    address changed keeps one long connection, and its copies fill hours untrusted meanwhile."""
    max_mns_per_connection: int = 16
    """MNs one connection may speak for: a data collector serving a few outlets sends for each
    (commonly 2-8); more is not a real installation."""
    log_interval_s: float = 60.0
    """Guard messages about one address or MN are logged at most this often."""

    def __post_init__(self) -> None:
        if self.takeover not in TAKEOVER_POLICIES:
            raise ValueError(f"takeover must be one of {', '.join(TAKEOVER_POLICIES)}, "
                             f"not {self.takeover!r}")
        for network in self.never_locked:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"never_locked: {network!r} is not a network (CIDR such as "
                                 "127.0.0.1/32)") from None
        for name in ("lockout_failures", "mn_lockout_failures", "max_mns_per_connection"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)!r}")


@dataclass
class Lockout:
    """An address locked (``mn`` "") or an MN locked for new addresses (``address`` "*")."""

    address: str
    mn: str
    locked_at: datetime
    until: datetime
    failures: int
    until_mono: float = field(default=0.0, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.address, self.mn)


class Guard:
    """The per-receiver state; every method runs on the event loop (no locks)."""

    def __init__(self, settings: GuardSettings | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = now_beijing) -> None:
        self.settings = settings or GuardSettings()
        self._never = tuple(ipaddress.ip_network(n, strict=False)
                            for n in self.settings.never_locked)
        self.clock = clock
        self.wall = wall
        self.usual: dict[str, set[str]] = {}  # MN -> IPs it authenticated from
        self._usual_for_some_mn: set[str] = set()  # every IP in `usual` (never shrinks)
        self.locks: dict[tuple[str, str], Lockout] = {}
        self._address_failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._mn_failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._networks: dict[tuple[str, ...], tuple] = {}
        self._logged: dict[str, tuple[float, int]] = {}
        self.pending: list[tuple[str, tuple]] = []  # ("usual"|"lock", row) to persist
        self._persisted: dict[tuple[str, str], float] = {}  # (MN, IP) -> when last queued
        self.counts = {"wrong_password": 0, "lockouts": 0, "refused": 0, "takeovers": 0}

    # -- what the receiver asks --------------------------------------------------------
    def refuse_connection(self, address: str) -> str | None:
        """Why a new connection from `address` is refused (locked, and usual for no MN)."""
        lock = self._active(address, "")
        if lock is None or address in self._usual_for_some_mn:
            return None
        self.counts["refused"] += 1
        self._log(f"refuse {address}", "refusing %s: locked out until %s after %d wrong "
                  "passwords", address, _hms(lock.until), lock.failures)
        return f"locked out until {_hms(lock.until)}"

    def check(self, address: str, mn: str | None, point: PointAuth | None) -> Rejected | None:
        """Before the password is looked at: allow-list and lockouts (a locked guesser learns
        nothing of its guesses)."""
        if point is None or mn is None:
            return None
        networks = self._allowed(point)
        if networks and not _in_networks(address, networks):
            return Rejected("peer", Reason.NOT_ALLOWED,
                            f"peer: {address} is outside the networks allowed for MN {mn}")
        if self.is_usual(mn, address, point):
            return None
        lock = self._active(address, "")
        if lock is not None:
            return Rejected("peer", Reason.LOCKED_OUT,
                            f"peer: {address} is locked out until {_hms(lock.until)} after "
                            f"{lock.failures} wrong passwords")
        lock = self._active("*", mn)
        if lock is not None:
            return Rejected("MN", Reason.LOCKED_OUT,
                            f"MN: {mn} is locked out for new addresses until "
                            f"{_hms(lock.until)} after {lock.failures} wrong passwords")
        return None

    def wrong_password(self, address: str, mn: str, point: PointAuth | None,
                       ) -> tuple[float, Lockout | None]:
        """A wrong password from `address` for `mn`: the pause before reading on, and the
        lockout it caused (the connection is then closed)."""
        settings = self.settings
        now = self.clock()
        self.counts["wrong_password"] += 1
        n = _count(self._address_failures, address, now, settings.window_s)
        usual = self.is_usual(mn, address, point)
        m = 0 if usual else _count(self._mn_failures, mn, now, settings.window_s)
        delay = min(settings.backoff_max_s, settings.backoff_base_s * 2 ** (max(n, m) - 1))
        lock = None
        if (n >= settings.lockout_failures and self._active(address, "") is None
                and not self._never_locked(address)):
            lock = self._lock(address, "", n)
            self._address_failures.pop(address, None)
        if m >= settings.mn_lockout_failures and self._active("*", mn) is None:
            lock = self._lock("*", mn, m)
            self._mn_failures.pop(mn, None)
        if lock is None:
            self._log(f"pw {address}", "wrong password from %s for MN %s (%d in %g s): "
                      "not reading it for %.1f s", address, mn, max(n, m), settings.window_s,
                      delay)
        return delay, lock

    def _never_locked(self, address: str) -> bool:
        return bool(self._never) and _in_networks(address, self._never)

    def is_usual(self, mn: str, address: str, point: PointAuth | None = None) -> bool:
        """`address` is one the MN authenticated from before, or in its allow-list."""
        if address in self.usual.get(mn, ()):
            return True
        networks = self._allowed(point) if point is not None else ()
        return bool(networks) and _in_networks(address, networks)

    def claim(self, mn: str, address: str, point: PointAuth | None, mns: set[str],
              current_peer: str | None, current_silent_s: float | None) -> Rejected | str | None:
        """A connection (speaking for `mns` so far) sends an accepted packet for a new `mn`;
        `current_*` describe the MN's live connection (None: none). Returns a Rejected, a
        takeover reason (the live connection loses the MN), or None (nothing to take over)."""
        settings = self.settings
        if len(mns) >= settings.max_mns_per_connection:
            return Rejected("MN", Reason.TOO_MANY_MNS,
                            f"MN: this connection already speaks for {len(mns)} MNs "
                            f"(max_mns_per_connection {settings.max_mns_per_connection})")
        if current_peer is None:
            return None
        policy = settings.takeover
        why = None
        if policy == "newest":
            why = "newest connection wins"
        elif policy == "usual-address" and self.is_usual(mn, address, point):
            why = f"{address} is a usual address of the MN"
        elif policy == "usual-address" and current_silent_s is not None \
                and current_silent_s > settings.takeover_silence_s:
            why = f"the old connection was silent for {current_silent_s:.0f} s"
        if why is None:
            self._log(f"claim {mn} {address}", "MN %s: connection from %s refused, already "
                      "connected from %s (takeover %s)", mn, address, current_peer, policy)
            return Rejected("MN", Reason.ALREADY_CONNECTED,
                            f"MN: {mn} is already connected from {current_peer}")
        self.counts["takeovers"] += 1
        # A unit reconnecting from its own address is routine (info); anything else warns.
        self._log(f"takeover {mn}", "MN %s: connection from %s takes over from %s (%s)",
                  mn, address, current_peer, why,
                  level=logging.INFO if why.endswith("usual address of the MN") else None)
        return why

    def authenticated(self, mn: str, address: str) -> None:
        """An accepted packet of `mn` from `address` on a connection that now speaks for it:
        the address becomes (or stays) one of its usual addresses."""
        self.usual.setdefault(mn, set()).add(address)
        self._usual_for_some_mn.add(address)
        # Persisted when new and then at most hourly (its last_seen): every reconnect of
        # thousands of units would otherwise queue a write beside the data's group commits.
        now = self.clock()
        last = self._persisted.get((mn, address))
        if last is None or now - last >= USUAL_ADDRESS_REFRESH_S:
            self._persisted[(mn, address)] = now
            self.pending.append(("usual", (mn, address, self.wall())))

    # -- persistence and lifting ---------------------------------------------------------
    def load(self, usual: list[tuple[str, str]], locks: list[Lockout]) -> None:
        """Usual addresses and active lockouts as persisted (at start)."""
        wall, mono = self.wall(), self.clock()
        for mn, address in usual:
            self.usual.setdefault(mn, set()).add(address)
            self._usual_for_some_mn.add(address)
            self._persisted[(mn, address)] = mono  # stored already: no write on reconnect
        for lock in locks:
            lock.until_mono = mono + (lock.until - wall).total_seconds()
            if lock.until_mono > mono:
                self.locks[lock.key] = lock

    def lift(self, lifted: list[tuple[str, str, datetime]]) -> int:
        """Drop the lockouts lifted in the store (address, mn, locked_at); how many."""
        n = 0
        for address, mn, locked_at in lifted:
            lock = self.locks.get((address, mn))
            if lock is not None and lock.locked_at == locked_at:
                del self.locks[(address, mn)]
                if mn:
                    self._mn_failures.pop(mn, None)
                else:
                    self._address_failures.pop(address, None)
                log.warning("lockout of %s lifted", address if not mn else f"MN {mn}")
                n += 1
        return n

    def take_pending(self) -> list[tuple[str, tuple]]:
        pending, self.pending = self.pending, []
        return pending

    def apply(self, pending: list[tuple[str, tuple]]) -> None:
        """What another receiver process learned (its `take_pending()`, relayed by the
        process owning the store): its usual addresses and lockouts hold here too."""
        usual = [item[:2] for kind, item in pending if kind == "usual"]  # (MN, address)
        self.load(usual, [item for kind, item in pending if kind == "lock"])

    # -- internals -----------------------------------------------------------------------
    def _lock(self, address: str, mn: str, failures: int) -> Lockout:
        settings = self.settings
        wall = self.wall().replace(microsecond=0)
        lock = Lockout(address, mn, wall, wall + timedelta(seconds=settings.lockout_s),
                       failures, self.clock() + settings.lockout_s)
        self.locks[lock.key] = lock
        self.counts["lockouts"] += 1
        self.pending.append(("lock", lock))
        what = f"address {address}" if not mn else f"MN {mn} for new addresses"
        log.warning("locking out %s until %s after %d wrong passwords within %g s",
                    what, _hms(lock.until), failures, settings.window_s)
        return lock

    def _active(self, address: str, mn: str) -> Lockout | None:
        lock = self.locks.get((address, mn))
        if lock is not None and lock.until_mono <= self.clock():
            del self.locks[(address, mn)]
            return None
        return lock

    def _allowed(self, point: PointAuth) -> tuple:
        text = getattr(point, "allow_networks", ())
        if not text:
            return ()
        networks = self._networks.get(text)
        if networks is None:
            parsed = []
            for item in text:
                try:
                    parsed.append(ipaddress.ip_network(item, strict=False))
                except ValueError:
                    log.error("MN %s: allow_networks entry %r is not a network; ignored",
                              point.mn, item)
            # A list of nothing but typos allows nobody rather than everybody.
            networks = self._networks[text] = tuple(parsed) or (None,)
        return networks

    def _log(self, key: str, message: str, *args, level: int | None = None) -> None:
        """Log at most once per `log_interval_s` per key, saying how many were left out."""
        now = self.clock()
        last, skipped = self._logged.get(key, (None, 0))
        if last is not None and now - last < self.settings.log_interval_s:
            self._logged[key] = (last, skipped + 1)
            return
        if len(self._logged) > 10_000:  # bounded: many addresses must not grow it forever
            self._logged.clear()
        self._logged[key] = (now, 0)
        log.log(level or logging.WARNING,
                message + (f" [{skipped} more like it not logged]" if skipped else ""), *args)


MAX_TRACKED = 100_000  # addresses or MNs with recent wrong passwords held in memory


def _count(failures: OrderedDict[str, deque[float]], key: str, now: float,
           window_s: float) -> int:
    """Wrong passwords of `key` within the window, this one included. At most MAX_TRACKED
    keys, the least recently failed forgotten first: an attacker with many addresses (an
    IPv6 prefix) grows neither the memory nor the work per guess."""
    times = failures.pop(key, None)
    if times is None:
        times = deque()
    failures[key] = times  # most recently failed last
    times.append(now)
    while times and times[0] <= now - window_s:
        times.popleft()
    while len(failures) > MAX_TRACKED:
        failures.popitem(last=False)
    return len(times)


def _in_networks(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(net is not None and ip.version == net.version and ip in net
               for net in networks)


def _hms(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")
