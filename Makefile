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

# the demo has a store of its own inside the checkout (git-ignored): it never touches your default store
DEMO_DB ?= .demo/runload.db
DEMO    := $(BIN)/runload --db $(DEMO_DB)

demo: $(VENV)/.installed
	@mkdir -p $(dir $(DEMO_DB))
	@echo "Demo store: $(DEMO_DB) (your own store is not touched)"
	$(DEMO) import sample_activities/alex --athlete alex --tz Europe/Berlin --shoe "Pegasus 40"
	$(DEMO) import sample_activities/sam_strava_export.zip --athlete sam --tz America/New_York
	$(DEMO) weeks --athlete alex --as-of 2026-11-21
	$(DEMO) weeks --athlete sam --as-of 2026-11-21
	$(DEMO) check --all --as-of 2026-11-21
	@echo
	@echo "Next, try (the demo store is $(DEMO_DB); drop --db for your own store):"
	@echo "  $(BIN)/runload --db $(DEMO_DB) activities --athlete alex --last 10"
	@echo "  $(BIN)/runload --db $(DEMO_DB) activities show 12"
	@echo "  $(BIN)/runload --db $(DEMO_DB) report --athlete alex --out alex.html"

test: $(VENV)/.installed-test
	@sh scripts/ensure_chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/import_bench.py
	$(BIN)/python benchmarks/xml_bench.py
	$(BIN)/python benchmarks/analysis_bench.py --scaling
	$(BIN)/python benchmarks/usefulness_bench.py

sample: $(VENV)/.installed
	$(BIN)/python scripts/make_sample_season.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .hypothesis .demo
