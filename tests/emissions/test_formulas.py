"""Worked examples for the CEMS formulas, the 45-minute rule, substitution and the tax.

Sources: emissions.md §2 (HJ 75-2017 appendix chain), §3, §4, §9 (环境保护税法 Annex 2,
Art. 13; worked example §9.3) and §10 (known errors of public code)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from envmon.emissions import formulas as f
from envmon.emissions.hourly import hourly_from_minutes
from envmon.emissions.substitution import HourInput, capture_rate_pct, substitute
from envmon.emissions.tax import (
    PollutantMonth,
    ProvinceRate,
    TaxConfig,
    compute_tax,
    equivalent_value_kg,
    rate_for,
    reduction_factor,
    tax_item,
)
from envmon.timeutil import BEIJING_FIXED

T0 = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)


def test_standard_dry_flow_worked_example():
    # emissions.md §2: Q_s = 3600·F·V_s; Q_sn = Q_s·273/(273+t_s)·(B_a+P_s)/101325·(1−X_sw).
    # F = 10 m², V_s = 15 m/s → 540 000 m³/h; t_s = 120 °C, B_a + P_s = 100 000 Pa, X_sw = 8 %.
    qs = f.actual_flow_m3_h(10.0, 15.0)
    assert qs == pytest.approx(540_000.0)
    qsn = f.standard_dry_flow_m3_h(qs, 120.0, 101_325.0, -1_325.0, 0.08)
    by_hand = 540_000 * 273 / 393 * 100_000 / 101_325 * 0.92
    assert qsn == pytest.approx(by_hand)
    assert qsn == pytest.approx(340_592, rel=1e-5)


def test_concentration_state_and_basis():
    # C_sn = C_s·101325/(B_a+P_s)·(273+t_s)/273; at 0 °C and 101325 Pa nothing changes.
    assert f.concentration_to_standard(50.0, 0.0, 101_325.0, 0.0) == pytest.approx(50.0)
    assert f.concentration_to_standard(50.0, 120.0, 100_000.0, 0.0) == pytest.approx(
        50.0 * 1.01325 * 393 / 273)
    assert f.wet_to_dry(9.2, 0.08) == pytest.approx(10.0)  # C_d = C_w/(1 − X_sw)


def test_ppm_and_nox():
    # emissions.md §2 table: SO2 2.86, NO2 2.05, NO 1.34, CO 1.25 mg/m³ per ppm.
    for gas, per_ppm in (("SO2", 2.86), ("NO2", 2.05), ("NO", 1.34), ("CO", 1.25)):
        assert f.ppm_to_mg_m3(1.0, f.MOLAR_MASS_G_MOL[gas]) == pytest.approx(per_ppm, abs=0.005)
    # HJ 212-2017 Appendix D: NOx = NO·46/30 + NO2 (NO × 1.53).
    assert f.nox_as_no2_mg_m3(30.0, 5.0) == pytest.approx(51.0)


def test_o2_correction():
    # emissions.md §2: C_ref = C·(21 − O2_ref)/(21 − O2_meas). Coal boiler (GB 13223, 6 %):
    # 30 mg/m³ at 9 % O2 → 30 · 15/12 = 37.5.
    assert f.o2_corrected_mg_m3(30.0, 9.0, 6.0) == pytest.approx(37.5)
    # Brick kiln at O2_ref 18 %, measured 20 % → factor 3 (§2 guard note).
    assert f.o2_correction_factor(20.0, 18.0) == pytest.approx(3.0)
    # At or above the cut-off (default 20.5 %) there is no correction.
    assert np.isnan(f.o2_corrected_mg_m3(30.0, 20.5, 6.0))
    assert f.o2_corrected_mg_m3(30.0, 20.5, 6.0, o2_cutoff_pct=20.8) == pytest.approx(900.0)
    arr = f.o2_corrected_mg_m3(np.array([30.0, 30.0]), np.array([6.0, 21.0]), 6.0)
    assert arr[0] == pytest.approx(30.0) and np.isnan(arr[1])
    # Excess-air form (GB 9078-1996, α_s = 1.7): at O2 = 9 %, α = 1.75.
    assert f.excess_air_corrected_mg_m3(34.0, 9.0) == pytest.approx(35.0)


def test_emission_mass_uses_measured_concentration():
    # emissions.md §9.3 worked example: 30 mg/m³ × 5e5 m³/h × 720 h × 1e-6 = 10 800 kg.
    hourly = f.gas_emission_kg(30.0, 5e5)
    assert hourly == pytest.approx(15.0)
    assert hourly * 720 == pytest.approx(10_800.0)
    # §3 / §10: the corrected concentration would overstate it when O2 > O2_ref.
    corrected = f.o2_corrected_mg_m3(30.0, 9.0, 6.0)
    assert f.gas_emission_kg(corrected, 5e5) > hourly
    # Water: 50 mg/L × 1000 m³ × 1e-3 = 50 kg.
    assert f.water_emission_kg(50.0, 1000.0) == pytest.approx(50.0)
    assert f.flow_weighted_mean([10.0, 30.0], [1.0, 3.0]) == pytest.approx(25.0)


def _minutes(n_valid: int, n_bad: int, flag: str = "D"):
    out = []
    for k in range(60):
        out.append((T0 + timedelta(minutes=k), 10.0 + k % 2, "N" if k < n_valid else flag))
    return out[: n_valid + n_bad]


def test_hourly_validity_45_minutes():
    # HJ 75-2017 (emissions.md §1.1): ≥ 45 valid minutes; more than 15 invalid → invalid.
    ok = hourly_from_minutes(_minutes(45, 15))[T0]
    assert ok.valid and ok.valid_minutes == 45
    assert ok.avg == pytest.approx((23 * 10 + 22 * 11) / 45)
    bad = hourly_from_minutes(_minutes(44, 16))[T0]
    assert not bad.valid and bad.avg is None and bad.status == "invalid"
    stopped = hourly_from_minutes(_minutes(10, 50, "F"))[T0]
    assert stopped.status == "stopped"
    # negative minutes are never valid (emissions.md §8)
    negative = [(T0 + timedelta(minutes=k), -1.0 if k < 20 else 5.0, "N") for k in range(60)]
    assert not hourly_from_minutes(negative)[T0].valid


def _series(statuses: str, values=None):
    out = []
    for k, s in enumerate(statuses):
        status = {"v": "valid", "i": "invalid", "m": "missing", "s": "stopped"}[s]
        kg = (values[k] if values else float(k)) if s == "v" else None
        out.append(HourInput(T0 + timedelta(hours=k), kg, status))
    return out


def test_capture_rate():
    # α = (H_total − H_stopped − H_invalid)/(H_total − H_stopped) × 100 (emissions.md §4)
    assert capture_rate_pct(2208, 208, 100) == pytest.approx(95.0)
    assert capture_rate_pct(10, 10, 0) == 100.0


def test_substitution_rules():
    hours = _series("vvvvviiv")
    out = substitute(hours, 95.0)
    assert [r.rule for r in out[5:7]] == ["max180", "max180"]
    assert out[5].kg == 4.0 and out[5].measured_kg is None  # max of the valid hours before
    assert out[4].rule is None and out[4].kg == 4.0
    # a long gap (> 24 h) at α ≥ 90 % uses 720 hours; 75 % ≤ α < 90 % uses 2160
    long_gap = substitute(_series("vv" + "m" * 25 + "v"), 95.0)
    assert long_gap[2].rule == "max720"
    assert substitute(hours, 80.0)[5].rule == "max2160"
    # α < 75 %: no substitution
    assert substitute(hours, 70.0)[5].rule == "none_alpha_lt_75"
    # stopped hours contribute 0 and are not substituted
    stopped = substitute(_series("vvssv"), 95.0)
    assert stopped[2].kg == 0.0 and stopped[2].rule is None
    # the unverified alternative for maintenance/fault: mean of the bracketing valid hours
    from envmon.emissions.substitution import SubstitutionConfig

    alt = substitute(_series("vvviiv", [1, 2, 3, 0, 0, 7]), 95.0,
                     SubstitutionConfig(other_rule="mean_bracketing"))
    assert alt[3].kg == pytest.approx(5.0) and alt[3].rule == "mean_bracketing"


def test_equivalent_values_and_known_errors():
    # 环境保护税法 Annex 2 (emissions.md §9.2)
    assert equivalent_value_kg("gas", "二氧化硫") == 0.95
    assert equivalent_value_kg("gas", "烟尘") == 2.18
    assert equivalent_value_kg("gas", "一般性粉尘") == 4.0
    assert equivalent_value_kg("water", "化学需氧量") == 1.0
    assert equivalent_value_kg("water", "氨氮") == 0.8
    assert equivalent_value_kg("water", "总汞") == 0.0005
    # §10: water formaldehyde is 0.125, not 0.25; TN is not taxable
    assert equivalent_value_kg("water", "甲醛") == 0.125
    assert tax_item("water", "w21001") is None
    assert tax_item("gas", "a34013") == "烟尘"
    assert tax_item("gas", "a34013", general_dust=True) == "一般性粉尘"


def test_reduction_is_strict():
    # Art. 13: "低于" is strict (emissions.md §9.1, §10: public code wrongly uses ≤)
    assert reduction_factor(34.99, 50.0, exceeded=False) == 0.75
    assert reduction_factor(35.0, 50.0, exceeded=False) == 1.0
    assert reduction_factor(24.99, 50.0, exceeded=False) == 0.5
    assert reduction_factor(25.0, 50.0, exceeded=False) == 0.75
    assert reduction_factor(10.0, 50.0, exceeded=True) == 1.0
    assert reduction_factor(None, 50.0, exceeded=False) == 1.0


def test_rates():
    # Shanxi: air 1.8, water 2.1 ¥ per equivalent (emissions.md §9.1)
    r = rate_for((), "140000", date(2026, 11, 1))
    assert (r.air_yuan, r.water_yuan) == (1.8, 2.1)
    other = ProvinceRate("110000", "北京市", 12.0, 14.0, date(2018, 1, 1))
    assert rate_for((other,), "110000", date(2026, 1, 1)).air_yuan == 12.0
    assert rate_for((other,), "110000", date(2017, 1, 1)).air_yuan == 1.8  # default


def test_tax_worked_example():
    # emissions.md §9.3: 10 800 kg SO2 → 11 368.4 eq → ¥20 463; × 0.75 = ¥15 347.
    full = compute_tax([PollutantMonth("U", "DA001", "gas", "a21026", 10_800.0, 40.0, 50.0)],
                       date(2026, 11, 1))[0]
    assert full.equivalents == pytest.approx(11_368.42, abs=0.01)
    assert full.reduction == 1.0 and full.tax_yuan == pytest.approx(20_463.16, abs=0.01)
    reduced = compute_tax([PollutantMonth("U", "DA001", "gas", "a21026", 10_800.0, 34.0, 50.0)],
                          date(2026, 11, 1))[0]
    assert reduced.reduction == 0.75 and round(reduced.tax_yuan) == 15_347
    exceeded = compute_tax([PollutantMonth("U", "DA001", "gas", "a21026", 10_800.0, 20.0, 50.0,
                                           exceeded=True)], date(2026, 11, 1))[0]
    assert exceeded.reduction == 1.0


def test_top_three_air_and_water_selection_and_scope():
    gas = [PollutantMonth("U", "DA001", "gas", code, kg, 1.0, 100.0)
           for code, kg in (("a21026", 95.0), ("a21002", 190.0), ("a34013", 21.8),
                            ("a21005", 16.7))]  # eq 100, 200, 10, 1
    lines = {t.factor: t for t in compute_tax(gas, date(2026, 11, 1))}
    assert [c for c, t in lines.items() if t.taxed] == ["a21026", "a21002", "a34013"]
    assert lines["a21005"].tax_yuan == 0.0
    water = [PollutantMonth("U", "DW001", "water", code, kg)
             for code, kg in (("w01018", 100.0), ("w01017", 60.0), ("w21003", 8.0),
                              ("w21011", 1.0), ("w01012", 4.0), ("w21001", 500.0),
                              ("w20111", 0.001))]
    wl = {t.factor: t for t in compute_tax(water, date(2026, 11, 1))}
    assert "w21001" not in wl  # TN is not taxable
    # COD (100 eq) beats BOD5 (120 eq)? BOD5 60/0.5 = 120 eq: only BOD5 is taxed of the two
    assert wl["w01017"].taxed and not wl["w01018"].taxed
    assert wl["w21003"].taxed and wl["w21011"].taxed  # 10 eq, 4 eq; SS 1 eq is 4th
    assert not wl["w01012"].taxed
    assert wl["w20111"].taxed  # class 1 counted apart (top 5)
    assert wl["w01017"].rate_yuan == 2.1
    # scope: an exceedance at another outlet of the taxpayer removes the reduction
    two = [PollutantMonth("U", "DA001", "gas", "a21026", 95.0, 10.0, 100.0),
           PollutantMonth("U", "DA002", "gas", "a21026", 95.0, 10.0, 100.0, exceeded=True),
           PollutantMonth("U", "DA001", "gas", "a21002", 95.0, 10.0, 100.0)]
    by = {(t.outlet_id, t.factor): t for t in compute_tax(two, date(2026, 11, 1))}
    assert by[("DA001", "a21026")].reduction == 1.0
    assert by[("DA001", "a21002")].reduction == 0.5
    by_taxpayer = {(t.outlet_id, t.factor): t for t in compute_tax(
        two, date(2026, 11, 1), TaxConfig(no_reduction_scope="taxpayer"))}
    assert by_taxpayer[("DA001", "a21002")].reduction == 1.0
