# Set-up contract: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data
PORT   ?= 8501

.PHONY: demo test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[ui]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev,ui,dagster]"
	touch $@

## demo: install, run the daily pipeline over 30 simulated sessions, then serve the portal
demo: $(VENV)/.installed-demo
	$(BIN)/options-helper --data-dir $(DATA) demo
	$(BIN)/options-helper --data-dir $(DATA) ui --port $(PORT)

## test: install dev extras, lint, run the whole suite (slow tests included)
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/bench_pricing.py
	$(BIN)/python bench/bench_ingest_candles.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
