# The two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench bench-smoke clean

$(BIN)/envmon: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	@echo "Installing envmon and its dependencies into $(VENV) (a few minutes the first time)..."
	$(BIN)/pip install --progress-bar on -e '.[dev]'
	touch $@

VENDOR := src/envmon/web/static/vendor
# apt-get needs root: through sudo when make runs as a user (as on a developer's machine).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

install: $(BIN)/envmon $(VENDOR)/.installed

# The pages' JS/CSS (ECharts, Leaflet, the province's boundaries) from npm's lock file into
# src/envmon/web/static/vendor/ (never committed, never loaded from the internet at run time).
$(VENDOR)/.installed: package-lock.json scripts/vendor_assets.py
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: installing Debian's nodejs and npm (apt-get)..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm; } || { \
	  echo "could not install npm: run 'sudo apt-get install nodejs npm', then 'make install'"; exit 1; }
	@echo "Installing the pages' JS/CSS libraries from package-lock.json (npm ci)..."
	@npm ci --silent --no-audit --no-fund --ignore-scripts
	@$(PYTHON) scripts/vendor_assets.py
	touch $@

demo: install
	$(BIN)/envmon demo

# Two passes: the whole suite on DuckDB, then again on PostgreSQL (ENVMON_TEST_ENGINE=postgresql:
# every store a test opens by a DuckDB path is a database on a throwaway server, see
# tests/engine_switch/). Left out of the PostgreSQL pass:
# - tests marked duckdb_only (DuckDB's file locks, file formats, WAL, .bak copies, old-version
#   files, and "serve holds the file so the CLI goes through serve"): each says why;
# - tests/web/browser: the pages in a real browser, slow (Chromium) and engine-blind: the API
#   calls the pages make run on PostgreSQL in tests/web.
test: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest
	ENVMON_TEST_ENGINE=postgresql $(BIN)/pytest --ignore=tests/web/browser

bench: install
	$(BIN)/python -m benchmarks

# Every benchmark once at a tiny size (not timed): benchmarks rot when nothing runs them.
bench-smoke: install
	$(BIN)/python -m benchmarks --smoke

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info node_modules src/envmon/web/static/vendor
