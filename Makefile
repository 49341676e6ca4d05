# mmp: the two commands users need are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BEHAVE_ARGS ?=

.PHONY: demo test install lint clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/mmp demo

# Acceptance suite under branch coverage; the last line is the scenario tally CI reads.
test: $(STAMP)
	@mkdir -p reports; rm -f reports/scenario-counts.json reports/.coverage
	@set -o pipefail; status=0; \
	$(BIN)/coverage run -m behave $(BEHAVE_ARGS) || status=$$?; \
	$(BIN)/coverage report || true; \
	$(BIN)/coverage html --quiet || true; \
	$(BIN)/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["line"])' \
	    reports/scenario-counts.json 2>/dev/null \
	    || { echo "scenarios: 0 passed, 1 failed, 0 skipped"; status=1; }; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check src serving steps environment.py benchmarks
	$(BIN)/behave --dry-run --format null --no-summary --no-snippets

clean:
	rm -rf .mmp reports
