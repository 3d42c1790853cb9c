# Two commands for a fresh machine with Python 3.11+ and git:
#   make lab    set up .venv and start the local sandbox + JupyterLab on notebooks/
#   make test   set up .venv and run the whole test suite (lint, types, tests, notebooks, browser)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: lab demo test lint typecheck unit notebooks browser bench load clean interop-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[test]'
	touch $@ $(VENV)/.runtime

# The interop tests run our client against panva's node-oidc-provider (Node.js 20+, npm).
INTEROP := tests/interop/oidc_provider
$(INTEROP)/node_modules/.package-lock.json: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	cd $(INTEROP) && npm ci --no-audit --no-fund

interop-deps: $(INTEROP)/node_modules/.package-lock.json

lab: $(VENV)/.runtime
	$(BIN)/bradesco-explore lab

demo: $(VENV)/.runtime
	$(BIN)/bradesco-explore demo

lint: $(VENV)/.test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(VENV)/.test
	$(BIN)/mypy

unit: $(VENV)/.test interop-deps
	$(BIN)/pytest -m "not browser" tests

notebooks: $(VENV)/.test
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then \
	  $(BIN)/pytest -p no:python --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg \
	    --nbval-cell-timeout 120 notebooks; \
	else echo "no notebooks yet"; fi

browser: $(VENV)/.test
	$(BIN)/pytest -m browser tests/browser

test: lint typecheck unit notebooks browser

bench: $(VENV)/.test
	$(BIN)/python benchmarks/run.py

load: $(VENV)/.test
	BX_LOAD_SECONDS=30 BX_LOAD_CLIENTS=50 $(BIN)/pytest -m slow tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info $(INTEROP)/node_modules
