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

# The safety catch of every command that changes production: prints the extra Pulumi flags
# (`--yes` only with YES=1), or refuses without a terminal (tools/payments_tools/confirm.py).
CONFIRM = YES="$(YES)" $(PY) -m payments_tools.confirm
# Run in stacks/<layer>: fail unless the stack exists. Never creates one, never prompts (on a terminal a
# missing stack would otherwise be offered for creation); stacks come from `make init-stacks`.
STACK_EXISTS = pulumi stack select $(STACK) --non-interactive >/dev/null \
  || { echo "stacks/$*: no stack '$(STACK)'; create the stacks once with make init-stacks (or fix STACK=)"; exit 1; }
# What deploy-all runs after the checks, in order; a step is any target: `smoke` follows edge unless SMOKE=0.
DEPLOY_ALL_STEPS := $(foreach layer,$(LAYERS),pulumi-up-$(layer) $(if $(and $(filter edge,$(layer)),$(filter-out 0,$(SMOKE))),smoke))

.PHONY: help setup setup-deploy test test-python test-node lint plan validate-dev export-dev-inventory report bench \
        preflight init-stacks deploy-checks deploy-all destroy-all check-cli \
        merchant-add merchant-list merchant-rotate-key merchant-suspend local-api smoke \
        $(addprefix up-,$(LAYERS)) $(addprefix preview-,$(LAYERS)) $(addprefix destroy-,$(LAYERS)) \
        $(addprefix pulumi-up-,$(LAYERS)) $(addprefix pulumi-destroy-,$(LAYERS))

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

merchant-add: $(VENV)/.deploy-installed ## onboard a merchant, print its API key once (NAME=…; MERCHANT_ARGS=--plan or --table T --endpoint-url U)
	@[ -n "$(NAME)" ] || { echo "usage: make merchant-add NAME='Acme Ltd'"; exit 2; }
	$(PY) -m payments_tools.merchants --stack $(STACK) $(MERCHANT_ARGS) add --name "$(NAME)"

merchant-list: $(VENV)/.deploy-installed ## list merchants, their key prefixes and rotated keys
	$(PY) -m payments_tools.merchants --stack $(STACK) $(MERCHANT_ARGS) list

merchant-rotate-key: $(VENV)/.deploy-installed ## new API key for merchant ID=…; the old one works GRACE_HOURS (24) more
	@[ -n "$(ID)" ] || { echo "usage: make merchant-rotate-key ID=m_… [GRACE_HOURS=24]"; exit 2; }
	$(PY) -m payments_tools.merchants --stack $(STACK) $(MERCHANT_ARGS) rotate-key --id "$(ID)" --grace-hours "$(GRACE_HOURS)"

merchant-suspend: $(VENV)/.deploy-installed ## refuse merchant ID=…'s keys (within the authorizer cache TTL)
	@[ -n "$(ID)" ] || { echo "usage: make merchant-suspend ID=m_…"; exit 2; }
	$(PY) -m payments_tools.merchants --stack $(STACK) $(MERCHANT_ARGS) suspend --id "$(ID)"

local-api: setup ## serve the production API contract on 127.0.0.1:8080 against moto (LOCAL_API_ARGS=--port N)
	$(PY) -m payments_tools.local_api $(LOCAL_API_ARGS)

smoke: $(VENV)/.deploy-installed ## smoke-test the deployed API through its custom domain with a synthetic merchant (SMOKE_ARGS)
	$(PY) -m payments_tools.smoke --stack $(STACK) $(SMOKE_ARGS)

# --- deploying for real ---------------------------------------------------------------------
# Order: check-cli (seconds, before any install) → setup-deploy → preflight → preview/confirm/up.

check-cli: ## the Pulumi CLI and a secrets provider or passphrase are there (runs before any install)
	@command -v pulumi >/dev/null || { echo "the Pulumi CLI is required for real deploys: https://www.pulumi.com/docs/install/"; exit 1; }
	@[ -n "$${PULUMI_CONFIG_PASSPHRASE+x}" ] || [ -n "$${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] || [ -n "$${PULUMI_SECRETS_PROVIDER:-}" ] \
	  || { echo "set PULUMI_SECRETS_PROVIDER (e.g. awskms://...) or PULUMI_CONFIG_PASSPHRASE (or _FILE) to encrypt stack secrets"; exit 1; }

setup-deploy: $(VENV)/.deploy-installed node_modules/.deploy-installed ## install only what deploys: requirements.txt, this repo, the handlers' build packages

$(VENV)/.deploy-installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

# Only package.json's "dependencies" (what builds the Lambda bundle), never the test packages.
node_modules/.deploy-installed: package.json package-lock.json
	npm ci --omit=dev --no-audit --no-fund
	touch $@

preflight: $(VENV)/.deploy-installed ## check the production account and this machine; every problem at once (exit 1), exit 2 if unreadable
	$(PY) -m payments_tools.preflight --stack $(STACK)

deploy-checks: check-cli
	@$(MAKE) --no-print-directory setup-deploy
	@$(MAKE) --no-print-directory preflight

init-stacks: check-cli ## create the five stacks once (secrets: PULUMI_SECRETS_PROVIDER, else the passphrase)
	for layer in $(LAYERS); do \
	  cd $(CURDIR)/stacks/$$layer; \
	  if pulumi stack select $(STACK) 2>/dev/null; then echo "$$layer: stack $(STACK) exists"; \
	  else pulumi stack init $(STACK) $${PULUMI_SECRETS_PROVIDER:+--secrets-provider "$$PULUMI_SECRETS_PROVIDER"}; fi; \
	done

$(addprefix preview-,$(LAYERS)): preview-%: deploy-checks ## preview one layer's changes against the real account
	cd stacks/$* && $(STACK_EXISTS)
	cd stacks/$* && pulumi preview --stack $(STACK) --diff $(PULUMI_POLICY_ARGS)

$(addprefix up-,$(LAYERS)): up-%: deploy-checks ## deploy one layer: preview, confirm on a terminal (YES=1 without one), up
	@$(MAKE) --no-print-directory pulumi-up-$*

deploy-all: deploy-checks ## deploy foundation → … → observability, each previewed and confirmed, `smoke` after edge (SMOKE=0: not); stops at the first failure
	for step in $(DEPLOY_ALL_STEPS); do $(MAKE) --no-print-directory $$step; done

$(addprefix destroy-,$(LAYERS)): destroy-%: check-cli ## destroy one layer (downstream layers first!): type its stack name, or YES=1
	@$(MAKE) --no-print-directory setup-deploy
	@$(MAKE) --no-print-directory pulumi-destroy-$*

destroy-all: check-cli ## destroy every layer in reverse order, each confirmed
	@$(MAKE) --no-print-directory setup-deploy
	for layer in $(REVERSED); do $(MAKE) --no-print-directory pulumi-destroy-$$layer; done

# The Pulumi steps themselves, run after the checks above. No stack is ever created here
# (a mistyped STACK= fails in STACK_EXISTS instead of making an empty one: see init-stacks).
$(addprefix pulumi-up-,$(LAYERS)): pulumi-up-%:
	cd stacks/$* && $(STACK_EXISTS)
	flags=$$($(CONFIRM) up --layer $* --stack $(STACK)) && cd stacks/$* && pulumi up --stack $(STACK) $(PULUMI_POLICY_ARGS) $$flags

$(addprefix pulumi-destroy-,$(LAYERS)): pulumi-destroy-%:
	cd stacks/$* && $(STACK_EXISTS)
	flags=$$($(CONFIRM) destroy --layer $* --stack $(STACK)) && cd stacks/$* && pulumi destroy --stack $(STACK) $$flags
