"""The SQL counting against a plain-Python reference written straight from transmission.md
§2–3 (per point × factor × hour), on random records, copies, flags, delays, exemptions,
corrections and revocations."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from envmon.assess import AssessConfig, assess
from envmon.assess.marks import add_correction, add_exemption, revoke

from .conftest import GAS, HOUR, NOV, OTHER, WATER, rec, write

DAY = timedelta(days=1)
START, END = NOV, NOV + 3 * DAY
AS_OF = END + 5 * DAY
FACTORS = {GAS: ["a21002", "a21026", "a34013"], WATER: ["w01018", "w21003"],
           OTHER: ["a21026"]}
UNIT = {GAS: "91140100MA0GAS0001", WATER: "91140100MA0WAT0001", OTHER: "91140200MA0GAS0003"}
DELAYS = [timedelta(minutes=61), timedelta(minutes=90), 2 * HOUR, 3 * HOUR, 4 * DAY,
          11 * DAY, 30 * DAY]


def reference(records, exemptions, corrections, cfg: AssessConfig):
    """Per MN: [should, instant received, instant valid, complete received, complete valid]."""
    instant, complete = timedelta(hours=cfg.instant_hours), timedelta(days=cfg.complete_days)
    out = {}
    for mn, factors in FACTORS.items():
        counts = [0, 0, 0, 0, 0]
        for factor in factors:
            checked_days = set()
            for k in range(int((END - START) / HOUR)):
                h = START + k * HOUR
                if any((e["mn"] in (None, mn)) and e["unit"] == UNIT[mn]
                       and e["start"] <= h < e["end"] and e["at"] <= AS_OF
                       and (e["revoked"] is None or e["revoked"] > AS_OF) for e in exemptions):
                    continue
                copies = [(r.received_at, i, r.flag) for i, r in enumerate(records)
                          if r.mn == mn and r.factor == factor and r.data_time == h
                          and r.received_at <= AS_OF and r.received_at <= h + complete]
                first = min(copies) if copies else None
                marks = [(c["at"], c["id"], c["action"]) for c in corrections
                         if c["mn"] == mn and c["factor"] in (None, factor)
                         and c["start"] <= h < c["end"] and c["at"] <= AS_OF
                         and (c["revoked"] is None or c["revoked"] > AS_OF)]
                mark = max(marks) if marks else None
                if (first and mn == WATER and factor in cfg.standard_sample_factors
                        and first[2] in cfg.standard_sample_flags):
                    day = h.date()  # h is Beijing time: a Beijing day
                    if day not in checked_days:
                        checked_days.add(day)
                        continue
                invalidated = mark is not None and mark[2] == "invalidate"
                repaired = mark is not None and mark[2] == "repair" and mark[0] <= h + complete
                counts[0] += 1
                if first and first[0] <= h + instant:
                    counts[1] += 1
                    counts[2] += first[2] in cfg.valid_flags and not invalidated
                if first or repaired:
                    counts[3] += 1
                    counts[4] += repaired or (first[2] in cfg.valid_flags and not invalidated)
        out[mn] = counts
    return out


@pytest.mark.parametrize("seed", range(6))
def test_sql_matches_the_reference(store, seed):
    rng = random.Random(seed)
    records = []
    for mn, factors in FACTORS.items():
        for k in range(72):
            h = START + k * HOUR
            for factor in factors:
                for _copy in range(rng.choice([0, 1, 1, 1, 1, 1, 2, 3])):
                    records.append(rec(
                        mn, factor, h, flag=rng.choice("NNNNNNNCCDMS"),
                        delay=rng.choice(DELAYS) + timedelta(microseconds=rng.randrange(10**6))))
    rng.shuffle(records)  # arrival order is not data order
    write(store, records)
    exemptions, corrections = [], []
    for _ in range(2):
        mn = rng.choice([GAS, WATER, OTHER, None])
        unit = UNIT[mn] if mn else UNIT[rng.choice([GAS, WATER])]
        start = START + rng.randrange(72) * HOUR
        e = {"mn": mn, "unit": unit, "start": start, "end": start + rng.randrange(1, 20) * HOUR,
             "at": START + rng.choice([1, 20]) * DAY, "revoked": None}
        e["id"] = add_exemption(store, unit_id=None if mn else unit, mn=mn, kind="停产",
                                start=e["start"], end=e["end"], by="t", reason="r", proof="p",
                                at=e["at"])
        exemptions.append(e)
    for _ in range(4):
        mn = rng.choice(list(FACTORS))
        start = START + rng.randrange(72) * HOUR
        c = {"mn": mn, "factor": rng.choice([None, *FACTORS[mn]]), "start": start,
             "end": start + rng.randrange(1, 10) * HOUR,
             "action": rng.choice(["invalidate", "repair"]),
             "at": START + timedelta(hours=rng.randrange(0, 24 * 14)), "revoked": None}
        c["id"] = add_correction(store, mn=mn, factor=c["factor"], action=c["action"],
                                 start=c["start"], end=c["end"], by="t", reason="r", proof="p",
                                 at=c["at"])
        corrections.append(c)
    for mark, table in ((rng.choice(exemptions), "exemptions"),
                        (rng.choice(corrections), "corrections")):
        mark["revoked"] = START + rng.choice([2, 30]) * DAY
        revoke(store, table, mark["id"], by="t", reason="r", at=mark["revoked"])
    for cfg in (AssessConfig(), AssessConfig(instant_hours=3, complete_days=4,
                                             valid_flags=("N", "S"))):
        want = reference(records, exemptions, corrections, cfg)
        result = assess(store, START, END, cfg, as_of=AS_OF)
        got = {p.code: [p.counts.should, p.counts.instant_received, p.counts.instant_valid,
                        p.counts.complete_received, p.counts.complete_valid]
               for p in result.points}
        assert {mn: got[mn] for mn in FACTORS} == want
