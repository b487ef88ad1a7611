# The payment platform's dev → production migration. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := .tools/uv/bin/uv
# Every wheel for every platform, hashed: the locks install the same bytes on Linux and macOS.
LOCK_ARGS := --quiet --universal --generate-hashes --python-version 3.11
# uv uses the interpreter make was given, never one it downloads.
export UV_PYTHON_DOWNLOADS := never
STACK ?= prod
LAYERS := foundation data compute edge observability
REVERSED := observability edge compute data foundation

# State lives in a local file backend inside the repository unless PULUMI_BACKEND_URL says
# otherwise; no Pulumi Cloud account is needed. The passphrase comes from the environment.
export PULUMI_BACKEND_URL ?= file://$(CURDIR)/.pulumi-state

.PHONY: help setup lock measure test test-python test-node lint plan validate-dev export-dev-inventory report bench \
        deploy-all destroy-all check-cli $(addprefix up-,$(LAYERS)) $(addprefix preview-,$(LAYERS)) $(addprefix destroy-,$(LAYERS))

help: ## list the targets
	@grep -hE '^[a-zA-Z%_$$(), -]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^\$$\(addprefix ([a-z]+)-,\$$\(LAYERS\)\): [a-z]+-%/\1-<layer>/; s/:.*## /\t/' | expand -t 26

setup: ## create .venv from the hashed lock (requirements-dev.lock) and install the Node dependencies
	@# Python and Node install side by side: each mostly waits on the disk, not the CPU.
	@$(MAKE) --no-print-directory -j2 $(VENV)/.installed node_modules/.installed

# uv installs the locked environment (fast, with progress); it is itself pinned by hash and
# bootstrapped with the system pip into .tools/, outside the environment it manages.
$(UV): requirements-uv.lock
	@echo "setup: installing uv (requirements-uv.lock) into .tools/uv"
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --require-hashes --target .tools/uv -r requirements-uv.lock

# `pip sync` makes .venv hold exactly the lock, hash-checked; the repository's own packages are
# then installed editable, built by the locked setuptools (no build isolation: nothing unpinned).
$(VENV)/.installed: requirements-dev.lock pyproject.toml | $(UV)
	@echo "setup: .venv from requirements-dev.lock"
	[ -x $(PY) ] || $(UV) venv --python $(PYTHON) $(VENV)
	$(UV) pip sync --python $(PY) --require-hashes requirements-dev.lock
	$(UV) pip install --python $(PY) --no-deps --no-build-isolation --editable .
	touch $@

lock: $(UV) ## re-resolve requirements*.txt into the hashed locks (requirements.lock for deploys, requirements-dev.lock for tests)
	$(UV) pip compile $(LOCK_ARGS) requirements.txt -o requirements.lock
	$(UV) pip compile $(LOCK_ARGS) -c requirements.lock requirements-dev.txt -o requirements-dev.lock
	$(UV) pip compile $(LOCK_ARGS) requirements-uv.txt -o requirements-uv.lock

node_modules/.installed: package.json package-lock.json
	@echo "setup: node_modules from package-lock.json"
	npm ci --no-audit --no-fund --prefer-offline
	touch $@

test: test-python test-node ## run the whole suite (Python, then the Node.js handlers against emulated AWS)

# Two workers on CI's two cores; PYTEST_WORKERS=0 runs in one process (easier to debug).
PYTEST_WORKERS ?= auto
test-python: setup ## the Python suite, in parallel (PYTEST_WORKERS=auto)
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS)

test-node: setup ## the Node.js handler tests against moto_server
	MOTO_SERVER=$(CURDIR)/$(VENV)/bin/moto_server npm test

lint: setup ## ruff and mypy over every Python file
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared tools/payments_tools $(foreach layer,$(LAYERS),stacks/$(layer)/payments_$(layer))
	for layer in $(LAYERS); do $(VENV)/bin/mypy stacks/$$layer/__main__.py; done  # one at a time: each is a module named __main__

plan: setup ## offline plan of all five layers (mock runtime, emulated dev account); writes build/plan.json (PLAN_ARGS='--layer data ...')
	$(PY) -m payments_tools.plan --out build/plan.json $(PLAN_ARGS)

validate-dev: setup ## check every dev resource of the inventory exists in the dev account and has not drifted
	$(PY) -m payments_tools.validate_dev

export-dev-inventory: setup ## rewrite config/dev-environment.json and the OpenAPI export from the live dev account
	$(PY) -m payments_tools.export_inventory $(EXPORT_ARGS)

report: setup ## migration summary (Markdown + JSON in build/) from the deployed stacks (REPORT_ARGS=--plan: from build/plan.json)
	$(PY) -m payments_tools.report --stack $(STACK) $(REPORT_ARGS)

bench: setup ## print plan time per layer, the plan against its import floor, zip sizes, handler cold start and latency
	$(PY) -m payments_tools.bench

measure: ## fresh-clone figures of the committed tree: make setup, make test, make plan against its import floor
	tools/measure.sh

check-cli:
	@command -v pulumi >/dev/null || { echo "the Pulumi CLI is required for real deploys: https://www.pulumi.com/docs/install/"; exit 1; }
	@[ -n "$${PULUMI_CONFIG_PASSPHRASE+x}" ] || [ -n "$${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] || { echo "set PULUMI_CONFIG_PASSPHRASE (or _FILE) to encrypt stack secrets"; exit 1; }

$(addprefix up-,$(LAYERS)): up-%: setup check-cli ## deploy one layer (e.g. make up-data)
	cd stacks/$* && pulumi stack select --create $(STACK) && pulumi up --yes --stack $(STACK)

$(addprefix preview-,$(LAYERS)): preview-%: setup check-cli ## preview one layer's changes against the real account
	cd stacks/$* && pulumi stack select --create $(STACK) && pulumi preview --stack $(STACK)

$(addprefix destroy-,$(LAYERS)): destroy-%: setup check-cli ## destroy one layer (downstream layers first!)
	cd stacks/$* && pulumi destroy --yes --stack $(STACK)

deploy-all: setup check-cli ## deploy foundation → data → compute → edge → observability, stopping at the first failure
	for layer in $(LAYERS); do $(MAKE) --no-print-directory up-$$layer; done

destroy-all: setup check-cli ## destroy every layer in reverse order
	for layer in $(REVERSED); do $(MAKE) --no-print-directory destroy-$$layer; done
