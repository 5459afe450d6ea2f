"""clipping: too many 折算 values just under the limit compared with a smooth density.

Statistic, over the period per pollutant with a limit: of the valid hours whose 折算 value
lies in the three bands [0.8, 0.9), [0.9, 1.0) and [1.0, 1.1) × limit, the share in the top
band under the limit. A density that is smooth across the limit puts about a third of these
hours in each band (exactly a third if linear there, less when it falls off, as an honest
series below its limit does); values cut off at the limit and put back just under it pile up
in [0.9, 1.0) with almost nothing above. Fires when the share is at least `MIN_SHARE` (0.5),
the one-sided binomial test against 1/3 gives p < `MAX_P` (1e-6), and the top band holds at
least `MIN_HOURS` (24) hours. The finding spans the first to the last hour of the top band.

Why: "超标数据被修改为限值以下" (exceeding values edited to just under the limit) is the
first kind of 篡改 the published cases list; a density test is how research on CEMS data
screens for it: Ghanem and Zhang, "Effortless perfection: do Chinese cities manipulate air
pollution data?" (J. Environ. Econ. Manage. 2014, doi:10.1016/j.jeem.2014.05.003) found reported
PM10 bunched just under the "blue sky" cut-off by a discontinuity test of the density. The
bands, 0.5 and 1e-6 are our own calibration.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binomtest

from envmon.screen.findings import Finding, score_of
from envmon.screen.series import PointSeries

PATTERN = "clipping"
MIN_SHARE = 0.5
MAX_P = 1e-6
MIN_HOURS = 24


def detect(series: PointSeries) -> list[Finding]:
    out = []
    for factor in series.pollutants:
        limit = series.limits.get(factor)
        if not limit:
            continue
        ratio = series.valid_corrected(factor) / limit
        below = (ratio >= 0.8) & (ratio < 0.9)
        top = (ratio >= 0.9) & (ratio < 1.0)
        above = (ratio >= 1.0) & (ratio < 1.1)
        n_top, n = int(top.sum()), int(below.sum() + top.sum() + above.sum())
        if n_top < MIN_HOURS:
            continue
        share = n_top / n
        p = binomtest(n_top, n, 1 / 3, alternative="greater").pvalue
        if share < MIN_SHARE or p >= MAX_P:
            continue
        hours = np.flatnonzero(top)
        out.append(Finding(
            PATTERN, factor, series.hour(int(hours[0])), series.hour(int(hours[-1]) + 1),
            share, MIN_SHARE,
            f"折算值落在限值 {limit:g} 的 90–100% 的小时 {n_top} 个，占 80–110% 区间的 "
            f"{share:.0%}（平滑分布约 1/3；超限 {int(above.sum())} 个，二项检验 p={p:.1e}）",
            score_of(share, MIN_SHARE) + min(5.0, -np.log10(max(p, 1e-300)) / 20)))
    return out
