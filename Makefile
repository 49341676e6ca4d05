# mmp: the two commands users need are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BEHAVE_ARGS ?=
FORMAT ?= progress

.PHONY: demo test install lint clean services catalog bench mutation

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/mmp demo

# Acceptance suite under branch coverage, its passes side by side (tools/acceptance.py):
# every scenario on the embedded default (two passes), and the @dev scenarios on the real
# services (skipped with one loud line when they do not answer, fatal with
# MMP_REQUIRE_DEV=1). It fails over the suite's 5-minute budget; its last line is the
# scenario tally CI reads.
test: $(STAMP)
	$(BIN)/python tools/acceptance.py --format $(FORMAT) --behave-args "$(BEHAVE_ARGS)"

# Dev environment: databases, seeded warehouse, MLflow server on :5002, feature views
# registered over the warehouse tables and Redis filled with their latest values (idempotent).
services: $(STAMP)
	APP_ENV=dev $(BIN)/mmp services up
	APP_ENV=dev $(BIN)/mmp seed --rows 2000
	APP_ENV=dev $(BIN)/mmp features apply
	APP_ENV=dev $(BIN)/mmp features materialize
	APP_ENV=dev $(BIN)/mmp services status

# Every benchmark, with ratios against peers measured in the same run (minutes; heavy).
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# Mutation testing of the guarantee modules against their scenarios (~1 h): docs/mutation.md.
mutation: $(STAMP)
	nice -n 10 $(BIN)/python tools/mutation.py

# The step catalog product owners write scenarios from (checked by @hygiene scenarios).
catalog: $(STAMP)
	$(BIN)/python -m steps.support.catalog

lint: $(STAMP)
	$(BIN)/ruff check src serving steps environment.py benchmarks tools
	$(BIN)/behave --dry-run --format null --no-summary --no-snippets

clean:
	rm -rf .mmp reports
