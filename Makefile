# deepcausal — set-up, tests and the demo.  Works on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
CONSTRAINTS := $(VENV)/constraints.txt
TORCH := torch==2.13.0

.PHONY: install test lint demo bench-install clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "python3.11 not found; set PYTHON=..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# torch first (the CPU wheel), then everything else under a constraints file that pins it.
$(STAMP): $(PY) pyproject.toml
	$(PIP) install --quiet $(TORCH)
	echo "$(TORCH)" > $(CONSTRAINTS)
	$(PIP) install --quiet -c $(CONSTRAINTS) -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks conftest.py
	$(VENV)/bin/ruff format --check src tests benchmarks conftest.py
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest -q src tests

demo: $(STAMP)
	$(VENV)/bin/deepcausal demo

bench-install: $(STAMP)
	$(PIP) install --quiet -c $(CONSTRAINTS) -e ".[dev,bench]"

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache deepcausal-report
