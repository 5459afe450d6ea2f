"""The ingest tests' store (a real DuckDB file with two registered points)."""

from tests.ingest.conftest import store  # noqa: F401 (a fixture)
