"""Benchmarks: `python -m benchmarks` (or `make bench`) runs them all; each prints its
figures and the ratio to a baseline measured in the same run. They are not timed tests."""
