"""Use case of the simulators: `envmon simulate` (a fleet of units against a receiver).

`SimulateOptions` checks every option in one place (`OptionError` names the option: the CLI
shows one line, exit code 2); `registry_points(path)` reads the points of a registry file
(`--registry`), `fleet_for(points, options, start)` builds the fleet that `Fleet.run(until)`
runs. A new simulate option is a field here, checked in `__post_init__`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from envmon.choices import choice
from envmon.errors import OptionError
from envmon.ingest.addresses import check_port
from envmon.sim.fleet import FaultRates, Fleet, sim_points_from_file
from envmon.sim.values import SimPoint

__all__ = ["FaultPlan", "SimulateOptions", "fleet_for", "registry_points"]

# A unit that never hears its 9014 after this long is not waiting for a real receiver.
MAX_ACK_TIMEOUT_S = 3600


class FaultPlan(StrEnum):
    NONE = "none"
    DEMO = "demo"


@dataclass(frozen=True)
class SimulateOptions:
    """The options of `envmon simulate`, each with its CLI default."""

    host: str = "127.0.0.1"
    port: int = 6000
    seed: int = 1
    points: int = 0  # the first N points; 0 = all
    speed: float = 1.0  # simulated seconds per real second
    history_hours: int = 24
    duration: float = 0.0  # real seconds; 0 = until stopped
    faults: FaultPlan = FaultPlan.DEMO
    ack_timeout: float = 10.0
    realtime: bool = True
    minute: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "faults", choice(FaultPlan, self.faults, "--faults"))
        if not self.host:
            raise OptionError("--host", "must name the receiver's host")
        check_port(self.port, "--port")  # the receiver's port: 0 is nowhere to connect to
        if self.points < 0:
            raise OptionError("--points", f"must be 0 (all) or more, not {self.points}")
        if not (self.speed > 0 and math.isfinite(self.speed)):
            raise OptionError("--speed", f"must be more than 0 (simulated seconds per real "
                                         f"second), not {self.speed!r}")
        if self.history_hours < 0:
            raise OptionError("--history-hours", f"must be 0 or more, not {self.history_hours}")
        if not (self.duration >= 0 and math.isfinite(self.duration)):
            raise OptionError("--duration", f"must be 0 (until stopped) or more seconds, "
                                            f"not {self.duration!r}")
        if not 0 < self.ack_timeout <= MAX_ACK_TIMEOUT_S:
            raise OptionError("--ack-timeout", f"must be more than 0 and at most "
                                               f"{MAX_ACK_TIMEOUT_S} seconds, "
                                               f"not {self.ack_timeout!r}")

    @property
    def rates(self) -> FaultRates:
        return FaultRates.demo() if self.faults is FaultPlan.DEMO else FaultRates()

    def until(self, start: datetime) -> datetime | None:
        """The simulated time at which the run ends (None: until stopped)."""
        return start + timedelta(seconds=self.duration * self.speed) if self.duration else None


def registry_points(registry: Path) -> list[SimPoint]:
    """The points of a registry file (CSV/XLSX); a file that cannot be read names --registry."""
    from envmon.registry.importer import RegistryFileError

    try:
        return sim_points_from_file(registry)
    except (RegistryFileError, OSError) as error:
        raise OptionError("--registry", str(error)) from None


def fleet_for(points: list[SimPoint], options: SimulateOptions, start: datetime) -> Fleet:
    """The first `options.points` points (all if 0) as a fleet aimed at host:port."""
    if options.points:
        points = points[:options.points]
    return Fleet(points, options.host, options.port, seed=options.seed, speed=options.speed,
                 start=start, rates=options.rates, history_hours=options.history_hours,
                 ack_timeout_s=options.ack_timeout, realtime=options.realtime,
                 minute_data=options.minute)
