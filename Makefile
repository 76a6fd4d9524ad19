# Credo: `make run` and `make test` are the two commands (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-slow lint typecheck bench demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/credo init --if-needed
	$(BIN)/credo serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy

typecheck: lint

# The whole suite: lint, types, fast tests, then the slow (real-HTTPS interop) step.
test: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy
	$(BIN)/pytest -q -m "not slow" -p no:cacheprovider
	$(BIN)/pytest -q -m slow -p no:cacheprovider

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow" -x

# The whole app-only story against real processes: certificate, app registration, admin
# consent, tokens, the sample mail API, revocation (examples/README.md).
demo: $(STAMP)
	$(BIN)/python -m examples.demo

bench: $(STAMP)
	$(BIN)/python bench/token_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
