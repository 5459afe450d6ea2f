"""Emission accounting from CEMS / online water data and the environmental-protection tax.

- `formulas`: flue-gas state, dry basis, O2 correction, emission mass (HJ 75-2017 chain);
- `hourly`: valid hourly averages from minute data (≥ 45 valid minutes);
- `substitution`: HJ 75-2017 修约 of emission amounts for invalid/missing hours, marked;
- `tax`: pollution equivalents, top-N selection, reductions, provincial rates;
- `accounting`: the store-backed monthly totals per point, unit and region, and the tax;
- `api`: the use cases of `envmon emissions`, `emissions-totals` and `tax`.
"""
