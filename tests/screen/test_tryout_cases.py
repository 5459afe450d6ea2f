"""Cases a new user's try-out found (`envmon simulate-falsifying --month 2026-10 --points 30
--seed S`, then `envmon screen`): every injected episode found, and no finding on a falsified
point that its ground truth does not list (an episode injected on a stopped unit used to
leave its other factors constant: `flat` findings nobody injected)."""

from __future__ import annotations

from datetime import datetime

import pytest

from envmon.screen.rank import screen_fleet
from envmon.sim.falsify import falsified_fleet
from envmon.timeutil import BEIJING_FIXED


def _overlaps(f, e) -> bool:
    return f.start < e.end and e.start < f.end


@pytest.mark.parametrize("seed", [1, 7])
def test_tryout_fleet_every_episode_found_and_nothing_uninjected(seed):
    fleet = falsified_fleet(30, datetime(2026, 10, 1, tzinfo=BEIJING_FIXED), 31 * 24, seed)
    ranked = {r.series.mn: r for r in screen_fleet(fleet.points)}
    missed = [(e.mn[-3:], e.pattern, e.start) for e in fleet.episodes
              if not any(f.pattern == e.pattern and _overlaps(f, e)
                         for f in getattr(ranked.get(e.mn), "findings", []))]
    assert missed == []
    extra = [(mn[-3:], f.pattern, f.factor, f.start) for mn, r in ranked.items()
             if mn in fleet.falsified for f in r.findings
             if not any(e.mn == mn and e.pattern == f.pattern and _overlaps(f, e)
                        for e in fleet.episodes)]
    assert extra == []
