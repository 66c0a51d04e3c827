# Two commands do everything on a fresh machine with Python >= 3.11:
#   make run   - create .venv, install hecon, run the main job on the embedded default inputs
#   make test  - create .venv, install hecon with test tools, run ruff and the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,dask]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hecon run

test: $(STAMP)
	$(BIN)/ruff check hecon tests benchmarks
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_analysis.py

clean:
	rm -rf $(VENV) outputs/*/ .pytest_cache
