"""The registry repository: regions, units, outlets, points and their factors, in the store.

Portable methods of `Store` (mixed in), written on the engine primitives only: the receiver's
point cache (`load_point_auth`, `point_auth`), the units known (`unit_exists`, `unit_names`:
what a use case asks before filtering by a unit), the CRC policy (`set_crc_modes`), the point list
(`list_points`), import (`upsert_registry`) and export (`registry_rows`), and the values in
force at a past time (`registry_history`). The tables are declared in `envmon.registry.tables`.

Versioned values. `points` / `point_factors` hold the current values. An import that changes a
limit, o2_ref, standard or password of an existing point appends the new value to
`registry_history` with its effective date (and, the first time a value changes, the value it
replaces as in force since registration), so figures for earlier periods keep the value that
was in force then. A new point's values are in force since registration. Each point row may
carry its own effective day (`RegistryRow.effective_from`). A change effective after now is
scheduled: it is stored in `registry_history` only, and `points` / `point_factors` keep the
value in force now (the receiver reads the password in force at each load through the
history, so a scheduled password takes over on its day). A factor dropped by an import is
versioned too (field `factor`, NULL from that day, with its limit kept), so figures for the
months before still count it (`PointHistory.removed_factors`). `registry_changes` lists the
history as old → new changes (`envmon registry history`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import pyarrow as pa

from envmon.store.errors import UnknownPointError
from envmon.store.models import (
    CRC_MODES,
    DEFAULT_CRC_MODES,
    ImportCounts,
    PointAuth,
    PointHistory,
    PointInfo,
    RegistryChange,
    RegistryHistoryEntry,
    RegistryRow,
)
from envmon.timeutil import BEIJING_FIXED, now_beijing

_F64 = pa.float64()
_STR = pa.string()
_TS = pa.timestamp("us", tz="UTC")
_MASK = "******"  # passwords are versioned but never printed in an import report


def _text(value) -> str | None:
    """A versioned value as stored in `registry_history.value` (numbers in repr form)."""
    if value is None:
        return None
    return repr(float(value)) if isinstance(value, int | float) else str(value)


def _shown(field: str, value) -> str | None:
    if value is None:
        return None
    if field == "pw":
        return _MASK
    return f"{value:g}" if isinstance(value, float) else str(value)


def _versioned(row: RegistryRow) -> dict[tuple[str, str], object]:
    """(field, factor) → value of the versioned fields of an import row's point."""
    values: dict[tuple[str, str], object] = {
        ("pw", ""): row.pw, ("o2_ref", ""): row.o2_ref, ("standard", ""): row.standard}
    values.update({("limit", f): lim for f, lim in row.factors.items()})
    return values


_NUMERIC = ("limit", "o2_ref")


def _typed(field: str, value):
    """A history text as the current tables hold it (numbers as floats)."""
    if field in _NUMERIC and isinstance(value, str):
        return float(value)
    return value


def _day_start(day: date) -> datetime:
    """The Beijing midnight starting `day` (when a registry change takes effect)."""
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING_FIXED)


def _crc_text(modes: Sequence[str]) -> str:
    return ",".join(modes)


def checked_crc_modes(modes: Sequence[str]) -> tuple[str, ...]:
    """`modes` without repeats, or ValueError naming an unknown mode (allowed: CRC_MODES)."""
    unknown = [m for m in modes if m not in CRC_MODES]
    if unknown:
        raise ValueError(f"unknown CRC mode {', '.join(unknown)}; allowed: {', '.join(CRC_MODES)}")
    if not modes:
        raise ValueError(f"at least one CRC mode is needed; allowed: {', '.join(CRC_MODES)}")
    return tuple(dict.fromkeys(modes))


def _crc_tuple(text: str | None) -> tuple[str, ...]:
    modes = tuple(m for m in (text or "").split(",") if m)
    return modes or DEFAULT_CRC_MODES


_AUTH_SELECT = (  # the password in force now: a scheduled one takes over on its day
    "SELECT p.mn, COALESCE((SELECT h.value FROM registry_history h WHERE h.mn = p.mn "
    "AND h.field = 'pw' AND h.factor = '' AND h.value IS NOT NULL "
    "AND (h.effective_from IS NULL OR h.effective_from <= now()) "
    "ORDER BY h.effective_from DESC NULLS LAST, h.recorded_at DESC LIMIT 1), p.pw), "
    "p.unit_id, p.kind, p.crc_modes, p.allow_networks, u.allow_networks, p.protocol "
    "FROM points p LEFT JOIN units u ON u.unit_id = p.unit_id")


def _networks(text: str | None) -> tuple[str, ...]:
    """The stored ';'-separated allow-list as a tuple (empty: any address)."""
    return tuple(n for n in (text or "").split(";") if n)


def _networks_text(networks: Sequence[str] | None) -> str | None:
    return None if networks is None else ";".join(networks)


class RegistryRepository:
    """The registry side of `Store` (see the module docstring); uses `Store`'s `_run`,
    `_rows`, `_transaction`, `_staged` and `_writable`."""


    def upsert_registry(self, rows: list[RegistryRow],
                        effective_from: datetime | None = None) -> ImportCounts:
        """Insert or update regions, units, outlets and points from validated registry rows.

        Upsert keys: unit_id, (unit_id, outlet_id), mn. A point's factor set is replaced by
        the row's; its CRC policy is kept unless the row gives one. One transaction. Rows
        should be consistent (`envmon.registry` checks that); for repeated keys the last row
        wins. A changed limit, o2_ref, standard or password of an existing point takes effect
        at `effective_from` (None: since registration, i.e. the past is rewritten) and is
        listed in `ImportCounts.changes`; the value it replaces stays in force before.
        """
        self._writable()
        regions: dict[str, tuple[str | None, str, str | None]] = {}
        units: dict[str, RegistryRow] = {}
        outlets: dict[tuple[str, str], RegistryRow] = {}
        points: dict[str, RegistryRow] = {}
        located: dict[str, tuple[float | None, float | None]] = {}  # first given per unit
        for row in rows:
            if row.longitude is not None and row.unit_id not in located:
                located[row.unit_id] = (row.longitude, row.latitude)
            for code, name, level, parent in (
                (row.province_code, row.province, "province", None),
                (row.city_code, row.city, "city", row.province_code),
                (row.county_code, row.county, "county", row.city_code),
            ):
                if name is not None or code not in regions:  # a name is not lost to a blank
                    regions[code] = (name, level, parent)
            units[row.unit_id] = row
            if row.outlet_id:
                outlets[(row.unit_id, row.outlet_id)] = row
            if row.mn:
                points[row.mn] = row

        region_table = pa.table(
            {
                "code": pa.array(list(regions), _STR),
                "name": pa.array([v[0] for v in regions.values()], _STR),
                "level": pa.array([v[1] for v in regions.values()], _STR),
                "parent_code": pa.array([v[2] for v in regions.values()], _STR),
            }
        )
        unit_table = pa.table(
            {
                "unit_id": pa.array(list(units), _STR),
                "name": pa.array([r.unit_name for r in units.values()], _STR),
                "county_code": pa.array([r.county_code for r in units.values()], _STR),
                "must_network": pa.array([r.must_network for r in units.values()], pa.bool_()),
                "assessed": pa.array([r.assessed for r in units.values()], pa.bool_()),
                "allow_networks": pa.array(
                    [_networks_text(r.unit_allow_networks) for r in units.values()], _STR),
                "longitude": pa.array([located.get(u, (None, None))[0] for u in units], _F64),
                "latitude": pa.array([located.get(u, (None, None))[1] for u in units], _F64),
            }
        )
        outlet_table = pa.table(
            {
                "unit_id": pa.array([k[0] for k in outlets], _STR),
                "outlet_id": pa.array([k[1] for k in outlets], _STR),
                "name": pa.array([r.outlet_name for r in outlets.values()], _STR),
                "kind": pa.array([r.kind for r in outlets.values()], _STR),
            }
        )
        point_table = pa.table(
            {
                "mn": pa.array(list(points), _STR),
                "outlet_id": pa.array([r.outlet_id for r in points.values()], _STR),
                "unit_id": pa.array([r.unit_id for r in points.values()], _STR),
                "pw": pa.array([r.pw for r in points.values()], _STR),
                "kind": pa.array([r.kind for r in points.values()], _STR),
                "o2_ref": pa.array([r.o2_ref for r in points.values()], _F64),
                "standard": pa.array([r.standard for r in points.values()], _STR),
                "crc_modes": pa.array(
                    [
                        None if r.crc_modes is None else _crc_text(checked_crc_modes(r.crc_modes))
                        for r in points.values()
                    ],
                    _STR,
                ),
                "allow_networks": pa.array(
                    [_networks_text(r.allow_networks) for r in points.values()], _STR),
                "expected_interval_s": pa.array(
                    [r.expected_interval_s for r in points.values()], pa.int64()),
                "protocol": pa.array([r.protocol for r in points.values()], _STR),
            }
        )
        factor_rows = [(mn, f, lim, *r.ranges.get(f, (None, None)))
                       for mn, r in points.items() for f, lim in r.factors.items()]
        factor_table = pa.table(
            {
                "mn": pa.array([f[0] for f in factor_rows], _STR),
                "factor": pa.array([f[1] for f in factor_rows], _STR),
                "limit_value": pa.array([f[2] for f in factor_rows], _F64),
                "range_min": pa.array([f[3] for f in factor_rows], _F64),
                "range_max": pa.array([f[4] for f in factor_rows], _F64),
            }
        )

        def new_count(table: str, keys: Sequence[str]) -> int:
            match = " AND ".join(f"t.{k} = s.{k}" for k in keys)
            return self._rows(
                f"SELECT COUNT(*) FROM _envmon_{table} s "
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"
            )[0][0]

        with (
            self._transaction(),
            self._staged("_envmon_regions", region_table),
            self._staged("_envmon_units", unit_table),
            self._staged("_envmon_outlets", outlet_table),
            self._staged("_envmon_points", point_table),
            self._staged("_envmon_point_factors", factor_table),
        ):
            regions_new = new_count("regions", ["code"])
            units_new = new_count("units", ["unit_id"])
            outlets_new = new_count("outlets", ["unit_id", "outlet_id"])
            points_new = new_count("points", ["mn"])
            now = now_beijing()
            history, changes, in_force_now = self._history_rows(points, effective_from, now)
            self._run(
                """
                INSERT INTO regions (code, name, level, parent_code)
                SELECT code, name, level, parent_code FROM _envmon_regions
                ON CONFLICT (code) DO UPDATE SET
                    name = COALESCE(EXCLUDED.name, regions.name),
                    level = EXCLUDED.level,
                    parent_code = EXCLUDED.parent_code
                """
            )
            self._run(
                """
                INSERT INTO units (unit_id, name, county_code, must_network, assessed, updated_at)
                SELECT unit_id, name, county_code, must_network, assessed, now()
                FROM _envmon_units
                ON CONFLICT (unit_id) DO UPDATE SET
                    name = EXCLUDED.name,
                    county_code = EXCLUDED.county_code,
                    must_network = EXCLUDED.must_network,
                    assessed = EXCLUDED.assessed,
                    updated_at = EXCLUDED.updated_at
                """
            )
            self._run(
                """
                INSERT INTO outlets (unit_id, outlet_id, name, kind, updated_at)
                SELECT unit_id, outlet_id, name, kind, now() FROM _envmon_outlets
                ON CONFLICT (unit_id, outlet_id) DO UPDATE SET
                    name = EXCLUDED.name,
                    kind = EXCLUDED.kind,
                    updated_at = EXCLUDED.updated_at
                """
            )
            self._run(
                """
                INSERT INTO points
                    (mn, outlet_id, unit_id, pw, kind, o2_ref, standard, crc_modes, updated_at)
                SELECT mn, outlet_id, unit_id, pw, kind, o2_ref, standard,
                       COALESCE(crc_modes, ?), now()
                FROM _envmon_points
                ON CONFLICT (mn) DO UPDATE SET
                    outlet_id = EXCLUDED.outlet_id,
                    unit_id = EXCLUDED.unit_id,
                    pw = EXCLUDED.pw,
                    kind = EXCLUDED.kind,
                    o2_ref = EXCLUDED.o2_ref,
                    standard = EXCLUDED.standard,
                    updated_at = EXCLUDED.updated_at
                """,
                [_crc_text(DEFAULT_CRC_MODES)],
            )
            self._run(
                """
                UPDATE points SET crc_modes = s.crc_modes
                FROM _envmon_points s
                WHERE points.mn = s.mn AND s.crc_modes IS NOT NULL
                """
            )
            for table, key in (("points", "mn"), ("units", "unit_id")):  # None keeps the list
                self._run(
                    f"UPDATE {table} SET allow_networks = s.allow_networks "
                    f"FROM _envmon_{table} s "
                    f"WHERE {table}.{key} = s.{key} AND s.allow_networks IS NOT NULL"
                )
            self._run(  # None keeps the registered interval and location
                "UPDATE points SET expected_interval_s = s.expected_interval_s "
                "FROM _envmon_points s "
                "WHERE points.mn = s.mn AND s.expected_interval_s IS NOT NULL")
            self._run(  # None keeps the registered protocol version
                "UPDATE points SET protocol = s.protocol FROM _envmon_points s "
                "WHERE points.mn = s.mn AND s.protocol IS NOT NULL")
            self._run(
                "UPDATE units SET longitude = s.longitude, latitude = s.latitude "
                "FROM _envmon_units s "
                "WHERE units.unit_id = s.unit_id AND s.longitude IS NOT NULL")
            self._run("DELETE FROM point_factors WHERE mn IN (SELECT mn FROM _envmon_points)")
            self._run(
                "INSERT INTO point_factors (mn, factor, limit_value, range_min, range_max) "
                "SELECT mn, factor, limit_value, range_min, range_max FROM _envmon_point_factors"
            )
            if history.num_rows:
                with self._staged("_envmon_history", history):
                    self._run(
                        "INSERT INTO registry_history "
                        "(mn, factor, field, value, effective_from, recorded_at) "
                        "SELECT mn, factor, field, value, effective_from, now() "
                        "FROM _envmon_history")
            for mn, field, factor, value in in_force_now:  # scheduled: not in force yet
                if field == "limit":
                    self._run("UPDATE point_factors SET limit_value = ? "
                              "WHERE mn = ? AND factor = ?", [value, mn, factor])
                else:
                    self._run(f"UPDATE points SET {field} = ? WHERE mn = ?", [value, mn])
        return ImportCounts(
            units_new=units_new,
            units_updated=len(units) - units_new,
            outlets_new=outlets_new,
            outlets_updated=len(outlets) - outlets_new,
            points_new=points_new,
            points_updated=len(points) - points_new,
            regions_new=regions_new,
            changes=tuple(changes),
        )

    def _history_rows(self, points: dict[str, RegistryRow], default_since: datetime | None,
                      now: datetime
                      ) -> tuple[pa.Table, list[RegistryChange], list[tuple]]:
        """The `registry_history` rows an import adds (called with `_envmon_points` staged,
        before the update), the changes it makes to existing points, and for scheduled
        changes the (mn, field, factor, value) in force now that the current tables keep."""
        current: dict[str, dict[tuple[str, str], object]] = {}
        for mn, pw, o2_ref, standard in self._rows(
                "SELECT p.mn, p.pw, p.o2_ref, p.standard FROM points p "
                "JOIN _envmon_points s ON s.mn = p.mn"):
            current[mn] = {("pw", ""): pw, ("o2_ref", ""): o2_ref, ("standard", ""): standard}
        for mn, factor, limit in self._rows(
                "SELECT f.mn, f.factor, f.limit_value FROM point_factors f "
                "JOIN _envmon_points s ON s.mn = f.mn"):
            current[mn][("limit", factor)] = limit
        entries: dict[str, list] = {}
        for mn, field, factor, since, value in self._rows(
                "SELECT h.mn, h.field, h.factor, h.effective_from, h.value "
                "FROM registry_history h JOIN _envmon_points s ON s.mn = h.mn "
                "ORDER BY h.mn, h.effective_from NULLS FIRST, h.recorded_at"):
            entries.setdefault(mn, []).append((field, factor, since, value))
        recorded = {(mn, e[0], e[1]) for mn, es in entries.items() for e in es}
        out: list[tuple[str, str, str, str | None, datetime | None]] = []
        changes: list[RegistryChange] = []
        in_force_now: list[tuple] = []
        for mn, row in points.items():
            since = (_day_start(row.effective_from) if row.effective_from is not None
                     else default_since)
            scheduled = since is not None and since > now
            history = PointHistory(mn, tuple(entries.get(mn, ())))
            new = _versioned(row)
            old = current.get(mn)
            for (field, factor), value in new.items():
                if old is None or (field, factor) not in old:  # a new point or a new factor
                    # in force since registration, unless the factor had values before
                    # (removed and now added again): then from the effective date
                    again = (mn, field, factor) in recorded
                    out.append((mn, factor, field, _text(value), since if again else None))
                    if old is not None and field == "limit":
                        if (mn, "factor", factor) in recorded:
                            out.append((mn, factor, "factor", factor, since))
                        changes.append(RegistryChange(mn, factor, "factor", None, factor,
                                                      since))
                    continue
                now_value = old[(field, factor)]
                before = (_typed(field, history.value_at(field, factor, since, now_value))
                          if since is not None else now_value)
                if before == value:
                    continue
                if (mn, field, factor) not in recorded:  # the value replaced stays in force
                    out.append((mn, factor, field, _text(now_value), None))
                out.append((mn, factor, field, _text(value), since))
                changes.append(RegistryChange(mn, factor, field, _shown(field, before),
                                              _shown(field, value), since))
                if scheduled:  # the current tables keep the value in force now
                    in_force_now.append((mn, field, factor, _typed(
                        field, history.value_at(field, factor, now, now_value))))
            for _field, factor in sorted(set(old or ()) - set(new)):
                # a factor no longer measured: versioned, so earlier periods still count it
                if (mn, "limit", factor) not in recorded:
                    out.append((mn, factor, "limit", _text(old[(_field, factor)]), None))
                out.append((mn, factor, "factor", None, since))
                changes.append(RegistryChange(mn, factor, "factor", factor, None, since))
        table = pa.table({
            "mn": pa.array([r[0] for r in out], _STR),
            "factor": pa.array([r[1] for r in out], _STR),
            "field": pa.array([r[2] for r in out], _STR),
            "value": pa.array([r[3] for r in out], _STR),
            "effective_from": pa.array([r[4] for r in out], _TS),
        })
        return table, changes, in_force_now

    def registry_changes(self, mn: str | None = None) -> list[RegistryHistoryEntry]:
        """Every versioned change (`registry_history`) as old → new, by point, field and
        factor in the order they take effect; a value in force since registration has no
        old value; `scheduled` for a change that takes effect after now. Passwords masked."""
        sql = ("SELECT mn, field, factor, effective_from, value, recorded_at "
               "FROM registry_history")
        params: list = []
        if mn is not None:
            sql += " WHERE mn = ?"
            params.append(mn)
        sql += " ORDER BY mn, effective_from NULLS FIRST, recorded_at"
        now = now_beijing()
        previous: dict[tuple[str, str, str], str | None] = {}
        out: list[RegistryHistoryEntry] = []
        for mn_, field, factor, since, value, recorded_at in self._rows(sql, params):
            key = (mn_, field, factor)
            shown = _shown(field, _typed(field, value))
            old = previous.get(key)
            if field == "factor" and key not in previous and value is None:
                old = factor  # removed: it was measured until then
            previous[key] = shown
            out.append(RegistryHistoryEntry(mn_, factor, field, old, shown, since, recorded_at,
                                            since is not None and since > now))
        out.sort(key=lambda e: (e.mn, e.effective_from is not None,
                                e.effective_from or e.imported_at, e.factor, e.field))
        return out

    def registry_history(self, mns: Sequence[str] | None = None) -> dict[str, PointHistory]:
        """mn → the point's versioned values (limits, o2_ref, standard, pw) by effective date,
        for the points of `mns` (None: every point) that have any. A figure for a past
        period reads its limits and reference O2 through `PointHistory.limit_at` /
        `o2_ref_at`; a point or value without history uses its current value."""
        sql = ("SELECT mn, field, factor, effective_from, value FROM registry_history")
        params: list = []
        if mns is not None:
            ids = sorted(set(mns))
            if not ids:
                return {}
            sql += f" WHERE mn IN ({', '.join('?' * len(ids))})"
            params = ids
        sql += " ORDER BY mn, effective_from NULLS FIRST, recorded_at"
        entries: dict[str, list] = {}
        for mn, field, factor, since, value in self._rows(sql, params):
            entries.setdefault(mn, []).append((field, factor, since, value))
        return {mn: PointHistory(mn, tuple(e)) for mn, e in entries.items()}

    def load_point_auth(self) -> dict[str, PointAuth]:
        """Every point's MN, password, unit, kind, CRC policy and instrument ranges (the
        receiver's cache)."""
        ranges = self._ranges_by_mn()
        return {
            mn: PointAuth(mn, pw, unit_id, kind, _crc_tuple(crc), _networks(own or unit),
                          ranges.get(mn, {}), protocol or "auto")
            for mn, pw, unit_id, kind, crc, own, unit, protocol in self._rows(_AUTH_SELECT)
        }

    def _ranges_by_mn(self, mn: str | None = None
                      ) -> dict[str, dict[str, tuple[float | None, float | None]]]:
        """mn → factor → (range_min, range_max), for the factors with a registered range."""
        sql = ("SELECT mn, factor, range_min, range_max FROM point_factors "
               "WHERE (range_min IS NOT NULL OR range_max IS NOT NULL)")
        params: list = []
        if mn is not None:
            sql += " AND mn = ?"
            params.append(mn)
        ranges: dict[str, dict[str, tuple[float | None, float | None]]] = {}
        for mn_, factor, low, high in self._rows(sql, params):
            ranges.setdefault(mn_, {})[factor] = (low, high)
        return ranges

    def point_auth(self, mn: str) -> PointAuth | None:
        """One point's auth (as in `load_point_auth`), or None for an unknown MN."""
        rows = self._rows(_AUTH_SELECT + " WHERE p.mn = ?", [mn])
        if not rows:
            return None
        mn_, pw, unit_id, kind, crc, own, unit, protocol = rows[0]
        return PointAuth(mn_, pw, unit_id, kind, _crc_tuple(crc), _networks(own or unit),
                         self._ranges_by_mn(mn_).get(mn_, {}), protocol or "auto")

    def unit_exists(self, unit_id: str) -> bool:
        """Whether the registry holds the unit (统一社会信用代码)."""
        return bool(self._rows("SELECT 1 FROM units WHERE unit_id = ?", [unit_id]))

    def unit_names(self, unit_ids: Sequence[str]) -> dict[str, str]:
        """unit_id → the unit's name, for the ids of `unit_ids` the registry holds."""
        ids = sorted(set(unit_ids))
        if not ids:
            return {}
        return dict(self._rows(
            f"SELECT unit_id, name FROM units WHERE unit_id IN ({', '.join('?' * len(ids))})",
            ids))

    def set_crc_modes(self, mn: str, modes: tuple[str, ...]) -> None:
        """Set which CRC variants this MN may use (hj212.md §4). Allowed: `CRC_MODES`."""
        self._writable()
        unique = checked_crc_modes(modes)
        with self._transaction():
            if not self._rows("SELECT 1 FROM points WHERE mn = ?", [mn]):
                raise UnknownPointError(f"unknown MN {mn!r}: no such monitoring point")
            self._run(
                "UPDATE points SET crc_modes = ?, updated_at = now() WHERE mn = ?",
                [_crc_text(unique), mn],
            )

    def _factors_by_mn(self) -> dict[str, dict[str, float | None]]:
        factors: dict[str, dict[str, float | None]] = {}
        for mn, factor, limit in self._rows(
            "SELECT mn, factor, limit_value FROM point_factors ORDER BY mn, factor"
        ):
            factors.setdefault(mn, {})[factor] = limit
        return factors

    def list_points(self) -> list[PointInfo]:
        """Every monitoring point with its unit, outlet, region codes and factor limits."""
        factors = self._factors_by_mn()
        rows = self._rows(
            """
            SELECT r.mn, p.pw, r.kind, r.unit_id, r.unit_name, r.outlet_id, r.outlet_name,
                   r.county_code, r.city_code, r.o2_ref, r.standard, p.expected_interval_s,
                   u.longitude, u.latitude, p.protocol
            FROM point_registry r JOIN points p ON p.mn = r.mn
            JOIN units u ON u.unit_id = p.unit_id
            ORDER BY r.county_code, r.unit_id, r.outlet_id, r.mn
            """
        )
        return [
            PointInfo(
                mn=mn,
                pw=pw,
                kind=kind,
                unit_id=unit_id,
                unit_name=unit_name,
                outlet_id=outlet_id,
                outlet_name=outlet_name or "",
                county_code=county_code,
                city_code=city_code,
                factors=factors.get(mn, {}),
                o2_ref=o2_ref,
                standard=standard,
                expected_interval_s=interval,
                longitude=longitude,
                latitude=latitude,
                protocol=protocol or "auto",
            )
            for (
                mn,
                pw,
                kind,
                unit_id,
                unit_name,
                outlet_id,
                outlet_name,
                county_code,
                city_code,
                o2_ref,
                standard,
                interval,
                longitude,
                latitude,
                protocol,
            ) in rows
        ]

    def registry_rows(self) -> list[RegistryRow]:
        """The registry as import rows: one per point, plus one per outlet without a point and
        one per unit without an outlet (what `envmon registry export` writes)."""
        names = {code: name for code, name in self._rows("SELECT code, name FROM regions")}
        parents = {
            code: parent for code, parent in self._rows("SELECT code, parent_code FROM regions")
        }
        factors = self._factors_by_mn()
        ranges = self._ranges_by_mn()
        rows = self._rows(
            """
            SELECT u.unit_id, u.name, u.county_code, u.must_network, u.assessed,
                   o.outlet_id, o.name, o.kind, p.mn, p.pw, p.o2_ref, p.standard, p.crc_modes,
                   p.allow_networks, u.allow_networks, p.expected_interval_s, u.longitude,
                   u.latitude, p.protocol
            FROM units u
            LEFT JOIN outlets o ON o.unit_id = u.unit_id
            LEFT JOIN points p ON p.unit_id = o.unit_id AND p.outlet_id = o.outlet_id
            ORDER BY u.county_code, u.unit_id, o.outlet_id, p.mn
            """
        )
        result = []
        for (
            unit_id,
            unit_name,
            county_code,
            must_network,
            assessed,
            outlet_id,
            outlet_name,
            kind,
            mn,
            pw,
            o2_ref,
            standard,
            crc_modes,
            allow_networks,
            unit_allow_networks,
            interval,
            longitude,
            latitude,
            protocol,
        ) in rows:
            city_code = parents.get(county_code) or county_code[:4] + "00"
            province_code = county_code[:2] + "0000"
            result.append(
                RegistryRow(
                    province=names.get(province_code),
                    province_code=province_code,
                    city=names.get(city_code),
                    city_code=city_code,
                    county=names.get(county_code),
                    county_code=county_code,
                    unit_id=unit_id,
                    unit_name=unit_name,
                    must_network=bool(must_network),
                    assessed=bool(assessed),
                    outlet_id=outlet_id,
                    outlet_name=outlet_name,
                    kind=kind,
                    mn=mn,
                    pw=pw,
                    factors=factors.get(mn, {}) if mn else {},
                    o2_ref=o2_ref,
                    standard=standard,
                    crc_modes=_crc_tuple(crc_modes) if mn else None,
                    allow_networks=_networks(allow_networks) if mn else None,
                    unit_allow_networks=_networks(unit_allow_networks),
                    ranges=ranges.get(mn, {}) if mn else {},
                    expected_interval_s=interval if mn else None,
                    longitude=longitude,
                    latitude=latitude,
                    protocol=(protocol or "auto") if mn else None,
                )
            )
        return result
