"""Installs the test suite's engine switch in a subprocess (`envmon serve`, the CLI) when the
test session runs on PostgreSQL: see envmon_test_engine. This folder is on PYTHONPATH only
during that pass."""

import envmon_test_engine

envmon_test_engine.install_from_env()
