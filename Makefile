# deepcausal — set-up, tests and the demo.  Works on a fresh machine with Python 3.11 or newer.
# The first interpreter found that is at least 3.11 (override: make PYTHON=/path/to/python).
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
CONSTRAINTS := $(VENV)/constraints.txt
TORCH := torch==2.13.0

.PHONY: install test lint demo docs bench-install clean

$(PY):
	@test -n "$(PYTHON)" || { echo "no Python 3.11 or newer found; set PYTHON=..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# torch first (the CPU wheel), then everything else under a constraints file that pins it.
# The demo needs only the package; the tests add the dev tools.
$(RUN_STAMP): $(PY) pyproject.toml
	$(PIP) install --quiet $(TORCH)
	echo "$(TORCH)" > $(CONSTRAINTS)
	$(PIP) install --quiet -c $(CONSTRAINTS) -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(PIP) install --quiet -c $(CONSTRAINTS) -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks conftest.py
	$(VENV)/bin/ruff format --check src tests benchmarks conftest.py
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest -q src tests

demo: $(RUN_STAMP)
	$(VENV)/bin/deepcausal demo

# the documentation site (MkDocs Material, API reference from the docstrings) into site/
docs: $(RUN_STAMP)
	$(PIP) install --quiet -c $(CONSTRAINTS) -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

bench-install: $(STAMP)
	$(PIP) install --quiet -c $(CONSTRAINTS) -e ".[dev,bench]"

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache deepcausal-report site
