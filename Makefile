# The README's two commands: `make run` (install, ingest the seeds, ask, serve) and `make test`.
# torch goes in first from its CPU build, so nothing pulls the CUDA wheels.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
QUESTION ?= Why did Netanyahu thank Putin?

.PHONY: run test install install-test

run: install
	$(BIN)/qa ingest seeds/
	$(BIN)/qa ask "$(QUESTION)"
	$(BIN)/qa serve

test: install-test
	$(BIN)/python -m pytest

install: $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test]"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
