"""The emergency scenario's store (sim.emergency), seeded as the demo seeds it
(`demo.seed_emergency`: the simulated units' own HJ 212 packets, decoded and written through
the store's write path as a platform running all along took them; the list imported from a
file and the alert added through the use cases). Built once per session: tests only read."""

from __future__ import annotations

from datetime import datetime

import pytest

from envmon.sim.emergency import EmergencyScenario
from envmon.timeutil import BEIJING_FIXED

ALERT_START = datetime(2026, 11, 20, tzinfo=BEIJING_FIXED)
SEED = 5


@pytest.fixture(scope="session")
def scenario() -> EmergencyScenario:
    return EmergencyScenario(ALERT_START)


@pytest.fixture(scope="session")
def scenario_db(tmp_path_factory, scenario) -> tuple:
    """(path of the store, alert id)."""
    from envmon.demo import seed_emergency
    from envmon.store import open_store

    path = tmp_path_factory.mktemp("emergency") / "emergency.duckdb"
    with open_store(path) as store:
        alert_id, packets = seed_emergency(store, SEED, ALERT_START)
    assert packets > 4 * 24 * 32  # the fifth unit was offline for most of the baseline
    return path, alert_id
