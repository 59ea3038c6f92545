# gkarchive: the two commands of the README are `make crawl` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PORT ?= 8601

.PHONY: setup system-deps crawl demo test bench mutation clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

system-deps:
	bash scripts/system-deps.sh

setup: system-deps $(STAMP)

crawl: setup
	$(BIN)/gkarchive crawl --db data/archive.db

demo: setup
	bash scripts/demo.sh $(DEMO_PORT)

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python -m bench

# Mutation score of the core (mutmut, pinned in requirements-mutation.lock) -> docs/mutation.md.
mutation: setup
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-mutation.lock
	$(BIN)/python scripts/mutation.py

clean:
	rm -rf $(VENV) data/demo.db*
