# The README's two commands: `make run` (install, ingest the seeds, ask, serve) and `make test`.
# torch goes in first from its CPU build, so nothing pulls the CUDA wheels.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
QUESTION ?= Why did Netanyahu thank Putin?

.PHONY: run test install install-test browser postgres

run: install
	$(BIN)/qa ingest seeds/
	$(BIN)/qa ask "$(QUESTION)"
	$(BIN)/qa serve

test: install-test
	$(BIN)/python -m pytest

install: $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python browser postgres
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test,scale]"

# The browser tests drive Debian's chromium (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || $(SUDO) apt-get install -y -q chromium \
		|| { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

# The scale-out tests start a throwaway PostgreSQL server from Debian's binaries.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| $(SUDO) apt-get install -y -q postgresql || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q postgresql; }

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
