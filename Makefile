# Two commands for a newcomer: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install whenever pyproject.toml changes.
STAMP_RUN := $(VENV)/.stamp-run
STAMP_DEV := $(VENV)/.stamp-dev
OUT ?= demo-output

.PHONY: demo test lint format check install install-dev clean mutation

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "gramabm needs Python >= 3.12, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,api,dask]'
	@touch $@ $(STAMP_RUN)

install: $(STAMP_RUN)
install-dev: $(STAMP_DEV)

demo: $(STAMP_RUN)
	$(BIN)/gramabm stress --out $(OUT)

# The suite is split over every core (pytest-xdist), to keep CI within its time on two cores.
# PYTEST_WORKERS= runs it in one process (a debugger, or -x to stop at the first failure).
PYTEST_WORKERS ?= -n auto

test: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy gramabm
	$(BIN)/python -m pytest $(PYTEST_WORKERS)

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy gramabm

format: $(STAMP_DEV)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Mutation testing of the market core (tens of minutes; not part of CI). Configured in
# pyproject.toml [tool.mutmut]. MODULE picks the parts (default all): ledger orderbook venue
# primary (the core, whose mutants run without the contracts' slow tests and the two second-long
# owner-index sweeps, which test_orderbook_rules states in one) and amm wrapper chain
# (the on-chain contracts; without the seconds-long exact power of test_tick_range_ends, whose
# values test_amm_rules pins), e.g. `make mutation MODULE=ledger`. JOBS sets the worker processes
# (default 2), NICE their priority. The table is printed at the end (tests/market/mutation_scores.py).
JOBS ?= 2
MODULE ?= ledger orderbook venue primary amm wrapper chain
NICE ?= nice -n 19
MUTMUT = HYPOTHESIS_PROFILE=mutation $(NICE) $(abspath $(BIN))/mutmut run --max-children $(JOBS)
CORE_PARTS := $(filter ledger orderbook venue primary,$(MODULE))
CONTRACT_PARTS := $(filter-out ledger orderbook venue primary,$(MODULE))
mutation: $(STAMP_DEV)
	$(if $(CORE_PARTS),PYTEST_ADDOPTS='-k "not test_amm and not test_wrapper and not sweeps_of"' $(MUTMUT) \
		$(foreach m,$(CORE_PARTS),"gramabm.market.$(m)*"))
	$(if $(CONTRACT_PARTS),PYTEST_ADDOPTS='-k "not test_tick_range_ends"' $(MUTMUT) \
		$(foreach m,$(CONTRACT_PARTS),"gramabm.market.$(m)*"))
	$(abspath $(BIN))/mutmut export-cicd-stats
	$(BIN)/python tests/market/mutation_scores.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis .ruff_cache mutants
