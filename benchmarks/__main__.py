"""Run every benchmark in turn: `python -m benchmarks [NAME ...]` (e.g. `decode receiver`)."""

import importlib
import pkgutil
import sys
from pathlib import Path

if __name__ == "__main__":
    wanted = set(sys.argv[1:])
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                   if m.name.startswith("bench_"))
    for name in names:
        if wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"\n== {name} ==", flush=True)
        sys.argv = [name]  # each benchmark's own defaults
        importlib.import_module(f"benchmarks.{name}").main()
