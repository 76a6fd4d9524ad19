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

# The whole suite: lint, then types (on the second core) beside the fast tests, then the
# slow step (real HTTPS, browsers, faults, fuzzing). Fails if any of them fails.
test: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	@types=$$(mktemp); ($(BIN)/mypy > $$types 2>&1; echo $$? >> $$types) & \
	$(BIN)/pytest -q -m "not slow" -p no:cacheprovider; fast=$$?; wait; \
	echo "mypy:"; head -n -1 $$types; rc=$$(tail -n 1 $$types); rm -f $$types; \
	test $$fast -eq 0 -a $$rc -eq 0
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
