# The payment platform's dev → production migration. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= prod
LAYERS := foundation data compute edge observability
REVERSED := observability edge compute data foundation
SMOKE ?= 1
GRACE_HOURS ?= 24

# State lives in a local file backend inside the repository unless PULUMI_BACKEND_URL says
# otherwise; no Pulumi Cloud account is needed. The passphrase comes from the environment.
export PULUMI_BACKEND_URL ?= file://$(CURDIR)/.pulumi-state
# Every real preview and update runs the compliance policy pack; a mandatory violation stops it.
# `make plan` runs the same rules offline.
PULUMI_POLICY_ARGS ?= --policy-pack $(CURDIR)/policy

.PHONY: help setup test test-python test-node lint plan validate-dev export-dev-inventory report bench \
        merchant-add merchant-list merchant-rotate-key merchant-suspend local-api smoke \
        deploy-all destroy-all check-cli $(addprefix up-,$(LAYERS)) $(addprefix preview-,$(LAYERS)) $(addprefix destroy-,$(LAYERS))

help: ## list the targets
	@grep -hE '^[a-zA-Z%_$$(), -]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^\$$\(addprefix ([a-z]+)-,\$$\(LAYERS\)\): [a-z]+-%/\1-<layer>/; s/:.*## /\t/' | expand -t 26

setup: $(VENV)/.installed node_modules/.installed ## create .venv from pinned requirements and install the Node test dependencies

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test: test-python test-node ## run the whole suite (Python, then the Node.js handlers against emulated AWS)

test-python: setup
	$(VENV)/bin/pytest

test-node: setup
	MOTO_SERVER=$(CURDIR)/$(VENV)/bin/moto_server npm test

lint: setup ## ruff and mypy over every Python file
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared tools/payments_tools policy/payments_policy $(foreach layer,$(LAYERS),stacks/$(layer)/payments_$(layer))
	for layer in $(LAYERS); do $(VENV)/bin/mypy stacks/$$layer/__main__.py; done  # one at a time: each is a module named __main__

plan: setup ## offline plan of all five layers (mock runtime, emulated dev account); writes build/plan.json
	$(PY) -m payments_tools.plan --out build/plan.json

validate-dev: setup ## check every dev resource of the inventory exists in the dev account and has not drifted
	$(PY) -m payments_tools.validate_dev

export-dev-inventory: setup ## rewrite config/dev-environment.json and the OpenAPI export from the live dev account
	$(PY) -m payments_tools.export_inventory $(EXPORT_ARGS)

report: setup ## migration summary (Markdown + JSON in build/) from the deployed stacks (REPORT_ARGS=--plan: from build/plan.json)
	$(PY) -m payments_tools.report --stack $(STACK) $(REPORT_ARGS)

bench: setup ## print plan time per layer, zip sizes, handler cold start and latency
	$(PY) -m payments_tools.bench

merchant-add: setup ## onboard a merchant, print its API key once (NAME=…; MERCHANT_ARGS=--plan or --table T --endpoint-url U)
	@[ -n "$(NAME)" ] || { echo "usage: make merchant-add NAME='Acme Ltd'"; exit 2; }
	$(PY) -m payments_tools.merchants --stack $(STACK) $(MERCHANT_ARGS) add --name "$(NAME)"

merchant-list: setup ## list merchants, their key prefixes and rotated keys
	$(PY) -m payments_tools.merchants --stack $(STACK) $(MERCHANT_ARGS) list

merchant-rotate-key: setup ## new API key for merchant ID=…; the old one works GRACE_HOURS (24) more
	@[ -n "$(ID)" ] || { echo "usage: make merchant-rotate-key ID=m_… [GRACE_HOURS=24]"; exit 2; }
	$(PY) -m payments_tools.merchants --stack $(STACK) $(MERCHANT_ARGS) rotate-key --id "$(ID)" --grace-hours "$(GRACE_HOURS)"

merchant-suspend: setup ## refuse merchant ID=…'s keys (within the authorizer cache TTL)
	@[ -n "$(ID)" ] || { echo "usage: make merchant-suspend ID=m_…"; exit 2; }
	$(PY) -m payments_tools.merchants --stack $(STACK) $(MERCHANT_ARGS) suspend --id "$(ID)"

local-api: setup ## serve the production API contract on 127.0.0.1:8080 against moto (LOCAL_API_ARGS=--port N)
	$(PY) -m payments_tools.local_api $(LOCAL_API_ARGS)

smoke: setup ## smoke-test the deployed API through its custom domain with a synthetic merchant (SMOKE_ARGS)
	$(PY) -m payments_tools.smoke --stack $(STACK) $(SMOKE_ARGS)

check-cli:
	@command -v pulumi >/dev/null || { echo "the Pulumi CLI is required for real deploys: https://www.pulumi.com/docs/install/"; exit 1; }
	@[ -n "$${PULUMI_CONFIG_PASSPHRASE+x}" ] || [ -n "$${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] || { echo "set PULUMI_CONFIG_PASSPHRASE (or _FILE) to encrypt stack secrets"; exit 1; }

$(addprefix up-,$(LAYERS)): up-%: setup check-cli ## deploy one layer (e.g. make up-data)
	cd stacks/$* && pulumi stack select --create $(STACK) && pulumi up --yes --stack $(STACK) $(PULUMI_POLICY_ARGS)

$(addprefix preview-,$(LAYERS)): preview-%: setup check-cli ## preview one layer's changes against the real account
	cd stacks/$* && pulumi stack select --create $(STACK) && pulumi preview --stack $(STACK) $(PULUMI_POLICY_ARGS)

$(addprefix destroy-,$(LAYERS)): destroy-%: setup check-cli ## destroy one layer (downstream layers first!)
	cd stacks/$* && pulumi destroy --yes --stack $(STACK)

deploy-all: setup check-cli ## deploy foundation → … → observability, stopping at the first failure; smoke after edge unless SMOKE=0
	for layer in $(LAYERS); do \
	  $(MAKE) --no-print-directory up-$$layer; \
	  if [ $$layer = edge ] && [ "$(SMOKE)" != 0 ]; then $(MAKE) --no-print-directory smoke; fi; \
	done

destroy-all: setup check-cli ## destroy every layer in reverse order
	for layer in $(REVERSED); do $(MAKE) --no-print-directory destroy-$$layer; done
