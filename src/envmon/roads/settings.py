"""Road-monitoring settings: every threshold of roads.md §4 is configuration.

A TOML file (`--settings roads.toml`) with any of these sections; missing keys keep their
defaults, unknown sections or keys are errors that name them:

    [sensors]        # SensorConfig: saturation_ugm3, pm25_over_pm10_tolerance, …
    [match]          # MatchConfig: search_radius_m, gps_error_m, reverse_tolerance_m, …
    [passes]         # PassConfig: idle_speed_kmh, idle_max_s, gap_s, min_readings, …
    [eligibility]    # Eligibility: min_days, min_passes, min_taxis
    [naming]         # NamingConfig: poi_search_m, poi_front_m, ramp_search_m
    [intake]         # IntakeLimits: max_body_bytes, body_timeout_s, header_timeout_s, …

The same tables may stand in envmon.toml under [roads] ([roads.passes], …); a --settings
file, when given, is used instead.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from envmon.roads.intake_limits import IntakeLimits
from envmon.roads.matching import MatchConfig
from envmon.roads.network import NamingConfig
from envmon.roads.sensors import SensorConfig
from envmon.roads.stats import Eligibility, PassConfig


@dataclass(frozen=True)
class RoadSettings:
    sensors: SensorConfig = field(default_factory=SensorConfig)
    match: MatchConfig = field(default_factory=MatchConfig)
    passes: PassConfig = field(default_factory=PassConfig)
    eligibility: Eligibility = field(default_factory=Eligibility)
    naming: NamingConfig = field(default_factory=NamingConfig)
    intake: IntakeLimits = field(default_factory=IntakeLimits)


def load_settings(path: str | Path | None) -> RoadSettings:
    if path is None:
        return RoadSettings()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path}: {error}") from None
    return settings_from_dict(data, str(path))


def settings_from_dict(data: dict, path: str = "<settings>") -> RoadSettings:
    """RoadSettings from parsed TOML tables (a roads.toml, or envmon.toml's [roads])."""
    data = {name: dict(table) if isinstance(table, dict) else table
            for name, table in data.items()}
    sections = {f.name: f for f in dataclasses.fields(RoadSettings)}
    values = {}
    for name, table in data.items():
        if name not in sections or not isinstance(table, dict):
            raise ValueError(f"{path}: unknown section [{name}]; allowed: "
                             f"{', '.join(sections)}")
        cls = type(getattr(RoadSettings(), name))
        known = {f.name: f for f in dataclasses.fields(cls)}
        for key, value in table.items():
            if key not in known:
                raise ValueError(f"{path}: unknown key {key!r} in [{name}]; allowed: "
                                 f"{', '.join(known)}")
            default = getattr(cls(), key)
            if isinstance(default, tuple):
                table[key] = tuple(value)
            elif isinstance(default, float) and isinstance(value, int):
                table[key] = float(value)
            elif default is not None and not isinstance(value, type(default)):
                raise ValueError(f"{path}: [{name}] {key} must be {type(default).__name__}")
        values[name] = cls(**table)
    return RoadSettings(**values)
