# annotator: the two commands a new user needs are `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= annotations.db

.PHONY: demo test lint typecheck pytest bench install install-test clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,postgres,web]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## demo: install, import the seed articles into ./annotations.db, show the status, open the app
demo: install
	$(BIN)/annotator import --db $(DB) seeds/
	$(BIN)/annotator status --db $(DB)
	@if [ -t 0 ] && [ -t 1 ] && [ -f annotator/tui/app.py ]; then $(BIN)/annotator annotate --db $(DB); fi

## test: install with test extras, then ruff, mypy (strict) and pytest
test: install-test lint typecheck pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

# The suite runs on SQLite; with ANNOTATOR_PG_URL set (CI sets it) it runs a second time
# against that PostgreSQL server, one fresh database per test.
pytest: install-test
	$(BIN)/pytest -q $(PYTEST_ARGS)
	@if [ -n "$$ANNOTATOR_PG_URL" ]; then \
	  echo "--- the same suite against PostgreSQL ---"; \
	  ANNOTATOR_TEST_PG="$$ANNOTATOR_PG_URL" $(BIN)/pytest -q $(PYTEST_ARGS); \
	fi

## bench: every benchmark in benchmarks/, one table, also written to benchmarks/RESULTS.md
bench: install-test
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
