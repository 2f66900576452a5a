# The two commands of the README: `make demo` and `make test`. Both set everything up from a
# fresh clone (.venv/, npm packages, the front-end bundle) and are quick on a second run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NPM_STAMP := js/node_modules/.ogpu-installed
PY_STAMP := $(VENV)/.ogpu-installed
BUNDLE := ogpu_widgets/static/widget.js
JS_SOURCES := $(shell find js/src -type f 2>/dev/null) js/package.json

.PHONY: demo test test-py test-js test-e2e lint install bundle contracts bench clean

install: $(PY_STAMP) $(BUNDLE)

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(NPM_STAMP): js/package.json js/package-lock.json
	cd js && npm ci --no-audit --no-fund
	touch $@

$(BUNDLE): $(NPM_STAMP) $(JS_SOURCES)
	cd js && npm run build

# The bundle is built above, so the package build's own npm step is skipped.
$(PY_STAMP): $(PY) pyproject.toml $(BUNDLE)
	HATCH_JUPYTER_BUILDER_SKIP_NPM=1 $(PY) -m pip install -q -e ".[dev]"
	touch $@

bundle: $(BUNDLE)

# Recompile contracts/ into ogpu_widgets/chain/abi/ (commit the result).
contracts: $(NPM_STAMP)
	cd js && npm run compile-contracts

lint: install
	$(VENV)/bin/ruff check ogpu_widgets tests benchmarks
	$(VENV)/bin/ruff format --check ogpu_widgets tests benchmarks
	cd js && npm run typecheck && npm run lint

test-js: $(NPM_STAMP)
	cd js && npm test

test-py: install
	$(VENV)/bin/pytest -m "not e2e"

test-e2e: install
	$(VENV)/bin/pytest -m e2e

test: lint test-js
	$(VENV)/bin/pytest

# Only the wheel test (also part of `make test`): the built wheel in a fresh venv without the
# dev extras or Node.js, `ogpu-widgets devnet` there, and a ResponseTable in its own JupyterLab.
.PHONY: test-wheel
test-wheel: install
	$(VENV)/bin/pytest tests/e2e/test_wheel.py

demo: install
	$(PY) -m ogpu_widgets demo

bench: install
	$(PY) benchmarks/bench_reads.py

clean:
	rm -rf $(VENV) js/node_modules ogpu_widgets/static
