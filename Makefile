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

install: $(BIN)/envmon

demo: install
	$(BIN)/envmon demo

test: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest

bench: install
	$(BIN)/python -m benchmarks

# Every benchmark once at a tiny size (not timed): benchmarks rot when nothing runs them.
bench-smoke: install
	$(BIN)/python -m benchmarks --smoke

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
