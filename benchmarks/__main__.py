"""Run every benchmark in turn: `python -m benchmarks [--smoke] [NAME ...]` (e.g. `decode
receiver`).

`--smoke` runs each at its tiny size (the module's SMOKE_ARGS): seconds each, not timed, so
CI (.ci/run) proves every benchmark still runs and its own cross-checks still hold; a
benchmark that fails stops the run with its exit status.
"""

import importlib
import pkgutil
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    args = sys.argv[1:]
    smoke = "--smoke" in args
    wanted = {a for a in args if a != "--smoke"}
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                   if m.name.startswith("bench_"))
    unknown = wanted - {name.removeprefix("bench_") for name in names}
    if unknown:
        sys.exit(f"error: no benchmark named {', '.join(sorted(unknown))}")
    for name in names:
        if wanted and name.removeprefix("bench_") not in wanted:
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        extra = list(module.SMOKE_ARGS) if smoke else []
        print(f"\n== {name}{' (smoke: ' + ' '.join(extra) + ')' if smoke else ''} ==",
              flush=True)
        sys.argv = [name, *extra]  # each benchmark's own defaults, or its tiny size
        t0 = time.perf_counter()
        module.main()
        if smoke:
            print(f"-- {name} smoke ok ({time.perf_counter() - t0:.1f} s)", flush=True)
