"""Real receivers and DuckDB files, as the ingest tests have them."""

from tests.ingest.conftest import store  # noqa: F401  (the registered store fixture)
