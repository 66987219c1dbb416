# The two quick-start commands (see README):
#   make demo   set up, import the bundled sample season, print the weekly tables and the risk flags
#   make test   set up with the test extras and run the whole test suite (what .ci/run runs);
#               installs Debian's chromium for the browser tests first when missing and run as root
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test bench clean sample

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/runload import sample_activities/alex --athlete alex --tz Europe/Berlin --shoe "Pegasus 40"
	$(BIN)/runload import sample_activities/sam_strava_export.zip --athlete sam --tz America/New_York
	$(BIN)/runload weeks --athlete alex
	$(BIN)/runload weeks --athlete sam
	$(BIN)/runload check --all --as-of 2026-11-21

test: $(VENV)/.installed-test
	@sh scripts/ensure_chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/import_bench.py
	$(BIN)/python benchmarks/analysis_bench.py

sample: $(VENV)/.installed
	$(BIN)/python scripts/make_sample_season.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .hypothesis
