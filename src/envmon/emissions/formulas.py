"""CEMS formulas: flue-gas state, dry basis, O2 correction (折算) and emission mass.

Pure, vectorised (floats or numpy arrays). Sources (emissions.md):
- HJ 75-2017 appendix / HJ 1045 Appendix A chain (emissions.md §2; not checked against the
  text, same chain as public code): actual flow, standard dry flow, standard-state
  concentration, wet → dry, ppm → mg/m³, NOx as NO2, reference-O2 correction.
- HJ 212-2017 Appendix D (hj212.md §10): NOx = NO·46/30 + NO2; G = D·C·10⁻³ (water).
- emissions.md §3: emission mass uses the MEASURED dry standard concentration, never the
  O2-corrected one (the known error of `nizuowanzhenbang/emission-monitoring`, §10).

The standard state is 273 K, 101 325 Pa, dry gas (emissions.md §2: the formulas use 273).
"""

from __future__ import annotations

import numpy as np

T0_K = 273.0
P0_PA = 101_325.0
MOLAR_VOLUME_L = 22.4
O2_AIR_PCT = 21.0
O2_CUTOFF_PCT = 20.5
"""Default cut-off: no O2 correction at or above this measured O2 (emissions.md §2 guard;
public code rejects O2 ≥ 20.5 %). Configurable: every function takes `o2_cutoff_pct`."""

MOLAR_MASS_G_MOL = {"SO2": 64.06, "NO2": 46.01, "NO": 30.01, "CO": 28.01}
"""emissions.md §2 table."""


def actual_flow_m3_h(area_m2, velocity_m_s):
    """Duct (actual-state) flow Q_s = 3600 · F · V_s, m³/h (emissions.md §2)."""
    return 3600.0 * np.asarray(area_m2, dtype=float) * np.asarray(velocity_m_s, dtype=float)


def standard_dry_flow_m3_h(actual_m3_h, temp_c, ambient_pa, static_pa, moisture_fraction):
    """Standard dry flow Q_sn, m³/h (HJ 75-2017 appendix, emissions.md §2):

    Q_sn = Q_s · 273/(273 + t_s) · (B_a + P_s)/101325 · (1 − X_sw)

    `moisture_fraction` is X_sw as a fraction (0–1), pressures in Pa, temperature in °C.
    """
    q = np.asarray(actual_m3_h, dtype=float)
    t = np.asarray(temp_c, dtype=float)
    p = np.asarray(ambient_pa, dtype=float) + np.asarray(static_pa, dtype=float)
    x = np.asarray(moisture_fraction, dtype=float)
    return q * T0_K / (T0_K + t) * p / P0_PA * (1.0 - x)


def concentration_to_standard(c_mg_m3, temp_c, ambient_pa, static_pa):
    """Duct-state concentration → standard state: C_sn = C_s · 101325/(B_a + P_s) ·
    (273 + t_s)/273 (emissions.md §2; HJ 212-2017 Appendix D)."""
    p = np.asarray(ambient_pa, dtype=float) + np.asarray(static_pa, dtype=float)
    return np.asarray(c_mg_m3, dtype=float) * P0_PA / p * (T0_K + np.asarray(temp_c)) / T0_K


def wet_to_dry(value_wet, moisture_fraction):
    """Wet basis → dry basis, C_d = C_w / (1 − X_sw); also for O2 (emissions.md §2). Only for
    wet-basis analysers."""
    return np.asarray(value_wet, dtype=float) / (1.0 - np.asarray(moisture_fraction, dtype=float))


def ppm_to_mg_m3(ppm, molar_mass_g_mol):
    """Volume fraction → mass concentration at the standard state: C = M/22.4 · ppm
    (emissions.md §2; SO2 2.86, NO2 2.05, NO 1.34, CO 1.25 mg/m³ per ppm)."""
    return np.asarray(molar_mass_g_mol, dtype=float) / MOLAR_VOLUME_L * np.asarray(ppm)


def nox_as_no2_mg_m3(no_mg_m3, no2_mg_m3):
    """NOx expressed as NO2 from mass concentrations: NO · 46/30 + NO2 (HJ 212-2017
    Appendix D; emissions.md §1.2, §2)."""
    return np.asarray(no_mg_m3, dtype=float) * 46.0 / 30.0 + np.asarray(no2_mg_m3, dtype=float)


def o2_correction_factor(o2_measured_pct, o2_ref_pct, o2_cutoff_pct: float = O2_CUTOFF_PCT):
    """(21 − O2_ref) / (21 − O2_meas,dry) (emissions.md §2 "reference-O2 correction").

    NaN where the measured O2 is at or above `o2_cutoff_pct` (the factor diverges as
    O2 → 21 %; public code rejects O2 ≥ 20.5 %) or is not a number.
    """
    o2 = np.asarray(o2_measured_pct, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (O2_AIR_PCT - float(o2_ref_pct)) / (O2_AIR_PCT - o2)
    factor = np.where(o2 >= o2_cutoff_pct, np.nan, factor)
    return factor if factor.ndim else float(factor)


def o2_corrected_mg_m3(c_mg_m3, o2_measured_pct, o2_ref_pct, o2_cutoff_pct: float = O2_CUTOFF_PCT):
    """折算浓度 C_ref = C · (21 − O2_ref)/(21 − O2_meas) (emissions.md §2), for comparison
    with a limit ONLY (§3). NaN at or above the O2 cut-off."""
    result = np.asarray(c_mg_m3, dtype=float) * o2_correction_factor(
        o2_measured_pct, o2_ref_pct, o2_cutoff_pct
    )
    return result if np.ndim(result) else float(result)


def excess_air_corrected_mg_m3(c_mg_m3, o2_measured_pct, alpha_ref: float = 1.7):
    """Excess-air form C_ref = C · α/α_s, α = 21/(21 − O2) (emissions.md §2; GB 9078-1996
    industrial furnaces α_s = 1.7, not checked)."""
    alpha = O2_AIR_PCT / (O2_AIR_PCT - np.asarray(o2_measured_pct, dtype=float))
    return np.asarray(c_mg_m3, dtype=float) * alpha / alpha_ref


def gas_emission_kg(c_measured_dry_mg_m3, flow_std_dry_m3):
    """Emission mass of flue gas, kg: G = C [mg/m³, MEASURED, dry, standard] × Q [m³, dry,
    standard] × 10⁻⁶ (emissions.md §1.1, §3). With Q the hour's m³ (= m³/h) this is the
    hourly emission G_h and the emission rate in kg/h.

    Never pass the O2-corrected concentration: it overstates mass whenever O2 > O2_ref.
    """
    return np.asarray(c_measured_dry_mg_m3, dtype=float) * np.asarray(flow_std_dry_m3) * 1e-6


def water_emission_kg(c_mg_l, volume_m3):
    """Emission mass of wastewater, kg: G = C [mg/L] × Q [m³] × 10⁻³ (emissions.md §3;
    HJ 212-2017 Appendix D G = D·C·10⁻³)."""
    return np.asarray(c_mg_l, dtype=float) * np.asarray(volume_m3, dtype=float) * 1e-3


def flow_weighted_mean(conc, volumes):
    """Flow-weighted period mean Cm = ΣG / ΣQ (HJ 212-2017 Appendix D, same units as `conc`)."""
    c = np.asarray(conc, dtype=float)
    q = np.asarray(volumes, dtype=float)
    total = q.sum()
    return float((c * q).sum() / total) if total > 0 else float("nan")
