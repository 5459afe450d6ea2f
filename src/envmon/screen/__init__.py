"""Falsification screening (issue 15 §1): measurable signatures of falsified monitoring data
(弄虚作假: 篡改、伪造) in the hourly series the store already holds.

One module per detector, each a pure function `detect(series) -> list[Finding]` over one
point's `series.PointSeries` (numpy arrays on the hour grid of the period), with the
statistic, the threshold and its reason in its docstring; a detector gives evidence and a
score, never a verdict. `rank` runs them all and orders the points for inspection; `api` is
the use case (`envmon screen`, `GET /api/v1/screen`); `report` the XLSX/HTML with plots and
the enforcement checklist. A new signature: a module here with `PATTERN` and `detect`, listed
in `rank.DETECTORS`, and an injector in `envmon.sim.falsify`.
"""

PATTERNS = ("flat", "copied", "dilution", "clipping", "periodic", "flag_gaming",
            "inconsistent")
"""The pattern names of the JSON contract (`findings[].pattern`)."""

PATTERN_ZH = {"flat": "数据平直/量化", "copied": "数据复制", "dilution": "稀释（氧量异常）",
              "clipping": "限值下截断", "periodic": "小幅周期波动", "flag_gaming": "标记规避超标",
              "inconsistent": "参数关系矛盾"}
