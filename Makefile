# The README's two commands: `make run` (install, ingest the seeds, ask, serve) and `make test`.
# torch goes in first from its CPU build, so nothing pulls the CUDA wheels. Every install takes the
# versions in constraints.txt, indirect dependencies included.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
TORCH := torch==2.13.0
PIP_INSTALL = $(BIN)/pip install --quiet -c constraints.txt
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
QUESTION ?= Why did Netanyahu thank Putin?

.PHONY: run test install install-test browser postgres constraints

run: install
	$(BIN)/qa ingest seeds/
	$(BIN)/qa ask "$(QUESTION)"
	$(BIN)/qa serve

# The browser tests fail, rather than skip, when chromium is missing here; the slowest tests are listed
# at the end, to keep the suite within its time.
test: install-test
	QA_REQUIRE_BROWSER=1 $(BIN)/python -m pytest --durations=25

install: $(BIN)/python
	$(PIP_INSTALL) $(TORCH)
	$(PIP_INSTALL) -e .

install-test: $(BIN)/python browser postgres
	$(PIP_INSTALL) $(TORCH)
	$(PIP_INSTALL) -e ".[test,scale]"
	$(PIP_INSTALL) -e "./client[langchain,llama-index]"

# Regenerates constraints.txt: installs pyproject's pins alone into a new venv and records every
# version pip chose (pip itself left out, torch without its +cpu label), keeping the file's header.
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/pip install --quiet $(TORCH)
	.venv-constraints/bin/pip install --quiet -e ".[test,scale]"
	.venv-constraints/bin/pip install --quiet -e "./client[langchain,llama-index]"
	grep '^#' constraints.txt > constraints.txt.new
	.venv-constraints/bin/pip freeze --all --exclude-editable | grep -v '^pip==' | sed 's/+cpu$$//' >> constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-constraints

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
