"""Rows handed to and returned by the store: small immutable dataclasses and named tuples.

Every datetime here is timezone-aware. HJ 212 times are Beijing time (hj212.md §8); the store
keeps instants (TIMESTAMPTZ) and cuts days and months in Asia/Shanghai.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

VERDICTS = ("accepted", "rejected", "discarded")
"""What the receiver did with a raw packet."""

CRC_MODES = ("hj212", "modbus", "modbus_swapped")
"""CRC variants a point may be allowed to use (hj212.md §4); the default is HJ 212 only."""

DEFAULT_CRC_MODES: tuple[str, ...] = ("hj212",)

POINT_KINDS = ("gas", "water")


@dataclass(frozen=True, slots=True)
class PointAuth:
    """What the receiver needs to authenticate a connection: MN, password and CRC policy."""

    mn: str
    pw: str
    unit_id: str
    kind: str
    crc_modes: tuple[str, ...]
    allow_networks: tuple[str, ...] = ()
    """Networks (CIDR) it may connect from: the point's list, else its unit's; () = any."""
    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    """factor → instrument range (lower, upper): a value outside it is stored as invalid."""
    protocol: str = "auto"
    """The HJ 212 version registered (auto | 2017 | 2025): answers go in the version of the
    packet; a packet of another version than registered is a recorded deviation."""


@dataclass(frozen=True, slots=True)
class PointInfo:
    """One monitoring point with its place in the registry (for the simulator and the demo).

    `factors` maps the canonical HJ 212-2017 factor code to its emission limit (mg/m³ at the
    reference O2 for gas, mg/L for water), or None when no limit is registered.
    """

    mn: str
    pw: str
    kind: str
    unit_id: str
    unit_name: str
    outlet_id: str
    outlet_name: str
    county_code: str
    city_code: str
    factors: dict[str, float | None]
    o2_ref: float | None
    standard: str | None
    expected_interval_s: int | None = None
    """Seconds between the point's uploads as registered (数据上传间隔); None: learned."""
    longitude: float | None = None
    """The unit's location, WGS 84 decimal degrees (经度 / 纬度); None: not registered."""
    latitude: float | None = None
    protocol: str = "auto"
    """The HJ 212 version the point speaks as registered (协议版本: auto | 2017 | 2025)."""


class RawPacketRow(NamedTuple):
    """One entry of the append-only raw packet log: every byte the receiver got, with a verdict.

    A named tuple, not a frozen dataclass: the receiver makes one per packet and the store
    transposes thousands of them into columns with one `zip(*rows)`.

    `id` is assigned by the store on write (monotonic); leave it None when writing.
    """

    received_at: datetime
    peer: str
    verdict: str
    reason: str | None
    mn: str | None
    cn: str | None
    qn: str | None
    raw: bytes
    id: int | None = None


class RecordRow(NamedTuple):
    """One factor of one upload (long format). `factor` is the HJ 212-2017 code, `factor_raw`
    the code as sent; `extra` is JSON text of any other suffixes (SampleTime, RS, …).

    A named tuple for the same reason as RawPacketRow: several are made per packet.

    Provenance (schema version 7): `peer` is the sender's address as the raw log has it;
    `trusted` is the receiver's word that the copy came from the unit's own live session
    (its usual address). It decides which copy the figures use when copies disagree (policy
    in `envmon.store.core_tables`); the receiver sets it, True by default."""

    mn: str
    cn: str
    data_time: datetime
    factor: str
    factor_raw: str
    rtd: float | None
    avg: float | None
    min: float | None
    max: float | None
    cou: float | None
    zs_rtd: float | None
    zs_avg: float | None
    flag: str | None
    eflag: str | None
    extra: str | None
    received_at: datetime
    qn: str | None
    peer: str | None = None
    trusted: bool = True
    resent: bool = False
    """HJ 212-2025 RF=1: the unit re-sent the packet (schema version 10); a live copy beats it."""
    st: str | None = None
    """The packet's system code (ST): ST 44/45 (electricity, production process) data are
    their own series beside the pollutant data of the same MN."""


class Conflict(NamedTuple):
    """A copy of a stored record with other values (numbers, flags or extra): stored beside
    it as a conflicting copy. `earlier` is the stored copy the figures used before it came
    (the best by the copy policy)."""

    record: RecordRow
    earlier: RecordRow


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What `Store.write_batch` did with the records it was given: `stored` new rows (first
    copies and conflicting copies), `duplicates` identical re-sent copies not stored again,
    and the `conflicts` among the stored ones."""

    stored: int = 0
    duplicates: int = 0
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True, slots=True)
class RegistryRow:
    """One validated registry line: a monitoring point with its unit, outlet and region.

    A unit that must network but has no point yet has `outlet_id` and `mn` None; an outlet
    without a point has `mn` None. Region codes are GB/T 2260 six-digit codes.
    """

    province: str | None
    province_code: str
    city: str | None
    city_code: str
    county: str | None
    county_code: str
    unit_id: str
    unit_name: str
    must_network: bool = True
    assessed: bool = True
    outlet_id: str | None = None
    outlet_name: str | None = None
    kind: str | None = None
    mn: str | None = None
    pw: str | None = None
    factors: dict[str, float | None] = field(default_factory=dict)
    o2_ref: float | None = None
    standard: str | None = None
    crc_modes: tuple[str, ...] | None = None
    """CRC variants the point may use; None keeps the point's policy (new points: hj212)."""
    allow_networks: tuple[str, ...] | None = None
    """Networks (CIDR) the point may connect from; None keeps the point's list, () = any."""
    unit_allow_networks: tuple[str, ...] | None = None
    """The same for every point of the unit without a list of its own."""
    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    """factor → (lower, upper) end of its analyser's range; None: that end is not bounded."""
    effective_from: date | None = None
    """The day the row's limits, o2_ref, standard and password take effect (生效日期); None:
    the import's date (`--effective`). A day after today is a scheduled change."""
    expected_interval_s: int | None = None
    """Seconds between the point's uploads (数据上传间隔(秒)): the offline rule's cadence
    instead of the learned one; None keeps the registered value."""
    longitude: float | None = None
    """The unit's location (经度 / 纬度, WGS 84 decimal degrees; a unit-level value, every
    point of the unit shares it); None keeps the registered value."""
    latitude: float | None = None
    protocol: str | None = None
    """The HJ 212 version the point speaks (协议版本: auto | 2017 | 2025); None keeps the
    registered value (new points: auto)."""


@dataclass(frozen=True, slots=True)
class ImportCounts:
    """What `Store.upsert_registry` did: rows new to the registry and rows updated in place."""

    units_new: int = 0
    units_updated: int = 0
    outlets_new: int = 0
    outlets_updated: int = 0
    points_new: int = 0
    points_updated: int = 0
    regions_new: int = 0
    changes: tuple[RegistryChange, ...] = ()
    """Values of existing points that the import changed (limits, o2_ref, standard, pw)."""

    @property
    def units(self) -> int:
        return self.units_new + self.units_updated

    @property
    def outlets(self) -> int:
        return self.outlets_new + self.outlets_updated

    @property
    def points(self) -> int:
        return self.points_new + self.points_updated


VERSIONED_FIELDS = ("limit", "o2_ref", "standard", "pw", "factor")
"""Registry values kept with the date they took effect (table `registry_history`); `factor`
is whether a factor is measured (its code, or NULL from the day it was removed)."""


@dataclass(frozen=True, slots=True)
class RegistryHistoryEntry:
    """One versioned change as `envmon registry history` lists it: `field` of `factor` of
    point `mn` went from `old` to `new` on `effective_from` (None: the value in force since
    registration), recorded at `imported_at`; `scheduled` when it takes effect after now.
    Passwords are masked."""

    mn: str
    factor: str
    field: str
    old: str | None
    new: str | None
    effective_from: datetime | None
    imported_at: datetime
    scheduled: bool = False

    def as_json(self) -> dict:
        return {"mn": self.mn, "factor": self.factor or None, "field": self.field,
                "old": self.old, "new": self.new,
                "effective_from": (f"{self.effective_from:%Y-%m-%d}"
                                   if self.effective_from else None),
                "imported_at": self.imported_at.isoformat(timespec="seconds"),
                "status": "scheduled" if self.scheduled else "in_force"}


@dataclass(frozen=True, slots=True)
class RegistryChange:
    """One value of an existing point changed by an import: `old` → `new` from
    `effective_from` (a Beijing midnight). `factor` is '' for point-level fields; passwords
    are shown masked."""

    mn: str
    factor: str
    field: str
    old: str | None
    new: str | None
    effective_from: datetime | None

    def __str__(self) -> str:
        what = f"{self.mn} {self.factor + ' ' if self.factor else ''}{self.field}"
        since = f" from {self.effective_from:%Y-%m-%d}" if self.effective_from else ""
        return f"{what}: {self.old if self.old is not None else '—'} → " \
               f"{self.new if self.new is not None else '—'}{since}"

    def as_json(self) -> dict:
        return {"mn": self.mn, "factor": self.factor or None, "field": self.field,
                "old": self.old, "new": self.new,
                "effective_from": (f"{self.effective_from:%Y-%m-%d}"
                                   if self.effective_from else None),
                "scheduled": self.scheduled}

    @property
    def scheduled(self) -> bool:
        """Whether the change takes effect after now (stored, not yet in force)."""
        from envmon.timeutil import now_beijing

        return self.effective_from is not None and self.effective_from > now_beijing()


@dataclass(frozen=True, slots=True)
class PointHistory:
    """A point's versioned values (`Store.registry_history`): entries (field, factor,
    effective_from, value) in the order they took effect (None = since registration first;
    for one date the later recorded wins). A value with no entry is the current one."""

    mn: str
    entries: tuple[tuple[str, str, datetime | None, str | None], ...] = ()

    def value_at(self, field: str, factor: str, at: datetime, current):
        """The text of `field` (of `factor`) in force at `at`, or `current` when the history
        holds none for that instant."""
        found, seen = current, False
        for f, fac, since, value in self.entries:
            if f == field and fac == factor and (since is None or since <= at):
                found, seen = value, True
        if not seen:
            return current
        return found

    def number_at(self, field: str, factor: str, at: datetime,
                  current: float | None) -> float | None:
        value = self.value_at(field, factor, at, current)
        return float(value) if isinstance(value, str) else value

    def o2_ref_at(self, at: datetime, current: float | None) -> float | None:
        return self.number_at("o2_ref", "", at, current)

    def limit_at(self, factor: str, at: datetime, current: float | None) -> float | None:
        return self.number_at("limit", factor, at, current)

    def removed_factors(self, start: datetime, current: Mapping[str, object]
                        ) -> dict[str, datetime]:
        """factor → the instant it was removed, for the factors not in `current` that were
        measured after `start` (removed later than `start`, not added again since): a figure
        for a period before the removal still counts them."""
        state: dict[str, tuple[datetime | None, str | None]] = {}
        for f, fac, since, value in self.entries:
            if f == "factor":
                state[fac] = (since, value)
        return {fac: since for fac, (since, value) in state.items()
                if value is None and since is not None and since > start
                and fac not in current}

    def changes_in(self, start: datetime, end: datetime) -> bool:
        """Whether any value took effect inside (start, end)."""
        return any(since is not None and start < since < end for _, _, since, _ in self.entries)
