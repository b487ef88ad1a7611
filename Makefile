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
# uv installs sources without bytecode. Python writes the bytecode cache on first import, unless
# PYTHONDONTWRITEBYTECODE is set (some shells and CI images set it): then every test worker and every
# plan parses pulumi_aws's thousands of modules again (2-3 s per process). So the cache is always
# written, into .pycache/ (ignored by git), never beside the repository's sources.
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/.pycache
PYCACHE_WARMED := .pycache/.warmed
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

.PHONY: help setup setup-deploy lock measure node-runtime build-handlers test test-python test-node lint plan validate-dev export-dev-inventory report bench \
        preflight init-stacks deploy-checks bootstrap bootstrap-access deploy-all destroy-all check-cli \
        merchant-add merchant-list merchant-rotate-key merchant-suspend merchant-reactivate local-api smoke \
        $(addprefix up-,$(LAYERS)) $(addprefix preview-,$(LAYERS)) $(addprefix destroy-,$(LAYERS)) \
        $(addprefix pulumi-up-,$(LAYERS)) $(addprefix pulumi-destroy-,$(LAYERS))

help: ## list the targets
	@grep -hE '^[a-zA-Z%_$$(), -]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^\$$\(addprefix ([a-z]+)-,\$$\(LAYERS\)\): [a-z]+-%/\1-<layer>/; s/:.*## /\t/' | expand -t 26

# What the test targets need first; `make test` runs it once and clears it for the two suites' makes.
SETUP := setup

# The Node.js the handler tests run on: the configured Lambda runtime's major (payments_tools.node_runtime).
NODE_RUNTIME := $(PY) -m payments_tools.node_runtime
# In a recipe: set NODE (that Node.js binary) and MAJOR in its shell, with one lookup; a failed lookup
# stops the recipe (the assignment, not eval, carries the lookup's status).
RUNTIME_NODE = runtime="$$($(NODE_RUNTIME) shell)" && eval "$$runtime"

setup: ## create .venv from the hashed lock (requirements-dev.lock), install the Node dependencies and the runtime's Node.js, compile what the tests import
	@# Python and Node install side by side: each mostly waits on the disk, not the CPU.
	@$(MAKE) --no-print-directory -j2 $(VENV)/.installed node_modules/.installed
	@# The runtime's Node.js mostly downloads; meanwhile Python compiles what the tests and the plan import.
	@$(MAKE) --no-print-directory -j2 node-runtime $(PYCACHE_WARMED)

# uv installs the locked environment (fast, with progress); it is itself pinned by hash and
# bootstrapped with the system pip into .tools/, outside the environment it manages.
$(UV): requirements-uv.lock
	@echo "setup: installing uv (requirements-uv.lock) into .tools/uv"
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --require-hashes --upgrade --target .tools/uv -r requirements-uv.lock
	touch $@  # pip keeps the file's old time when it replaces it: without this, every make reinstalls uv

# `pip sync` makes .venv hold exactly the lock, hash-checked; the repository's own packages are
# then installed editable, built by the locked setuptools (no build isolation: nothing unpinned).
$(VENV)/.installed: requirements-dev.lock requirements.lock pyproject.toml | $(UV)
	@echo "setup: .venv from requirements-dev.lock"
	[ -x $(PY) ] || $(UV) venv --python $(PYTHON) $(VENV)
	$(UV) pip sync --python $(PY) --require-hashes requirements-dev.lock
	$(UV) pip install --python $(PY) --no-deps --no-build-isolation --editable .
	touch $@ $(VENV)/.deploy-installed  # the development lock holds the runtime lock's exact versions

# uv installs no bytecode: compile what the tests, the plan and moto_server import once here, instead of
# in every test worker at once on the first `make test` (tools/payments_tools/warm_bytecode.py).
# Again after the environment changes, or when .pycache/ is deleted.
$(PYCACHE_WARMED): $(VENV)/.installed
	@echo "setup: compiling the Python the tests and the plan import into .pycache/"
	@$(PY) -m payments_tools.warm_bytecode
	@mkdir -p $(@D) && touch $@

lock: $(UV) ## re-resolve requirements*.txt into the hashed locks (requirements.lock for deploys, requirements-dev.lock for tests)
	$(UV) pip compile $(LOCK_ARGS) requirements.txt -o requirements.lock
	$(UV) pip compile $(LOCK_ARGS) -c requirements.lock requirements-dev.txt -o requirements-dev.lock
	$(UV) pip compile $(LOCK_ARGS) requirements-uv.txt -o requirements-uv.lock

node_modules/.installed: package.json package-lock.json
	@echo "setup: node_modules from package-lock.json"
	npm ci --no-audit --no-fund --prefer-offline
	touch $@

node-runtime: $(VENV)/.installed ## install the Node.js of compute.runtime (e.g. 24 for nodejs24.x) from npm into .node/
	@$(NODE_RUNTIME) install >/dev/null

build-handlers: $(SETUP) ## bundle every handler with esbuild into build/lambda/payments (what the Node tests import); nothing to do when its inputs are unchanged
	$(RUNTIME_NODE) && \
	"$$NODE" stacks/compute/handlers/build.mjs --if-changed --out build/lambda/payments --target node$$MAJOR >/dev/null

# The two suites are independent and each leaves a core idle part of the time (workers starting,
# moto_server waiting on the network), so they run side by side: pytest's progress shows live and
# the Node report follows it, whole, even when pytest failed (the recipe shell runs with -e, so each
# status is caught). The target fails if either suite fails. Setup runs first, once: the two makes
# are told it is done (SETUP=), instead of each checking the environment and the runtime's Node.js
# again; each suite's own prerequisites (the handler bundle for Node) are built by its own make.
test: setup ## run the whole suite: Python and the Node.js handlers against emulated AWS, side by side
	@log="$$(mktemp)"; trap 'rm -f "$$log"' EXIT; \
	$(MAKE) --no-print-directory test-node SETUP= >"$$log" 2>&1 & node=$$!; \
	$(MAKE) --no-print-directory test-python SETUP= && python=0 || python=$$?; \
	wait $$node && node_status=0 || node_status=$$?; cat "$$log"; \
	[ $$python -eq 0 ] && [ $$node_status -eq 0 ]

# Two workers on CI's two cores; PYTEST_WORKERS=0 runs in one process (easier to debug). Whole files go
# to one worker (--dist loadfile), so a module's shared runs are planned once, not once per worker.
PYTEST_WORKERS ?= auto
test-python: $(SETUP) ## the Python suite, in parallel (PYTEST_WORKERS=auto)
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile

# Test files run side by side, each in its own process, against one moto_server for the whole run
# (tests/compute/handlers/global-setup.mjs; each file has tables and a bucket of its own): most of
# a file's time is spent waiting on moto, so more files than cores keep both busy. Node's default
# is one file fewer than the cores (here: one at a time). NODE_TEST_CONCURRENCY=1 runs them one by one.
# --test-global-setup arrived in Node.js 24: on 22 (compute.runtime nodejs22.x) each file starts
# its own moto_server instead, slower but the same tests.
NODE_TEST_CONCURRENCY ?= 4
test-node: $(SETUP) build-handlers ## the Node.js handler tests, files in parallel: the esbuild bundle, on the runtime's Node.js, against moto_server
	$(RUNTIME_NODE) && \
	if [ "$$MAJOR" -ge 24 ]; then SHARED_MOTO=--test-global-setup=tests/compute/handlers/global-setup.mjs; else SHARED_MOTO=; fi && \
	MOTO_SERVER=$(CURDIR)/$(VENV)/bin/moto_server PAYMENTS_NODE_MAJOR=$$MAJOR \
		"$$NODE" --test --test-concurrency=$(NODE_TEST_CONCURRENCY) $$SHARED_MOTO tests/compute/handlers/*.test.mjs

lint: setup ## ruff check, ruff format --check and mypy (strict; boto3 typed by pinned stubs) over every Python file; actionlint and zizmor over the GitHub workflows
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared tools/payments_tools policy/payments_policy bootstrap/ci-access/payments_ci_access $(foreach layer,$(LAYERS),stacks/$(layer)/payments_$(layer))
	for main in $(foreach layer,$(LAYERS),stacks/$(layer)/__main__.py); do $(VENV)/bin/mypy $$main; done  # one at a time: each is a module named __main__
	MYPYPATH=stacks/data:stacks/foundation:tools $(VENV)/bin/mypy bootstrap/ci-access/__main__.py  # it reads two layers' constants and the bootstrap's names
	node tools/actionlint.mjs .github/workflows
	$(VENV)/bin/zizmor --offline --quiet .github  # the workflows and dependabot.yml

plan: setup ## offline plan of all five layers (mock runtime, emulated dev account); writes build/plan.json (PLAN_ARGS='--layer data ...')
	$(PY) -m payments_tools.plan --out build/plan.json $(PLAN_ARGS)

validate-dev: setup ## check every dev resource of the inventory exists in the dev account and has not drifted
	$(PY) -m payments_tools.validate_dev

export-dev-inventory: setup ## rewrite config/dev-environment.json and the OpenAPI export from the live dev account
	$(PY) -m payments_tools.export_inventory $(EXPORT_ARGS)

report: setup ## migration summary (Markdown + JSON in build/) from the deployed stacks (REPORT_ARGS=--plan: from build/plan.json)
	$(PY) -m payments_tools.report --stack $(STACK) $(REPORT_ARGS)

bench: setup ## print plan time per layer, the plan against its import floor, zip size and cold start of bundled vs unbundled handlers, latency (BENCH_ARGS='--only plan-floor')
	$(PY) -m payments_tools.bench $(BENCH_ARGS)

measure: ## fresh-clone figures of the committed tree: make setup, make test, make plan against its import floor
	tools/measure.sh

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

merchant-reactivate: $(VENV)/.deploy-installed ## accept suspended merchant ID=…'s keys again (within the authorizer cache TTL)
	@[ -n "$(ID)" ] || { echo "usage: make merchant-reactivate ID=m_…"; exit 2; }
	$(PY) -m payments_tools.merchants --stack $(STACK) $(MERCHANT_ARGS) reactivate --id "$(ID)"

local-api: setup ## serve the production API contract on 127.0.0.1:8080 against moto (LOCAL_API_ARGS=--port N)
	$(PY) -m payments_tools.local_api $(LOCAL_API_ARGS)

smoke: $(VENV)/.deploy-installed ## smoke-test the deployed API through its custom domain with a synthetic merchant (SMOKE_ARGS)
	$(PY) -m payments_tools.smoke --stack $(STACK) $(SMOKE_ARGS)

# --- once per account, administrator credentials: shared state and CI access -----------------

bootstrap: $(VENV)/.deploy-installed ## once per account: create or verify the state bucket and secrets key; prints PULUMI_BACKEND_URL and PULUMI_SECRETS_PROVIDER (BOOTSTRAP_ARGS=--repair)
	@$(PY) -m payments_tools.bootstrap $(BOOTSTRAP_ARGS)

bootstrap-access: check-cli $(VENV)/.deploy-installed ## once per account, after bootstrap: GitHub's OIDC provider and the CI preview/deploy roles
	@case "$$PULUMI_BACKEND_URL" in s3://*) ;; *) echo "export the PULUMI_BACKEND_URL that make bootstrap printed first"; exit 1;; esac
	cd bootstrap/ci-access && { pulumi stack select $(STACK) 2>/dev/null || \
	  pulumi stack init $(STACK) $${PULUMI_SECRETS_PROVIDER:+--secrets-provider "$$PULUMI_SECRETS_PROVIDER"}; } && pulumi up --stack $(STACK) $(PULUMI_POLICY_ARGS)

# --- deploying for real ---------------------------------------------------------------------
# Order: check-cli (seconds, before any install) → setup-deploy → preflight → preview/confirm/up.

check-cli: ## the Pulumi CLI and a secrets provider or passphrase are there (runs before any install)
	@command -v pulumi >/dev/null || { echo "the Pulumi CLI is required for real deploys: https://www.pulumi.com/docs/install/"; exit 1; }
	@[ -n "$${PULUMI_CONFIG_PASSPHRASE+x}" ] || [ -n "$${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] || [ -n "$${PULUMI_SECRETS_PROVIDER:-}" ] \
	  || { echo "set PULUMI_SECRETS_PROVIDER (e.g. awskms://...) or PULUMI_CONFIG_PASSPHRASE (or _FILE) to encrypt stack secrets"; exit 1; }

setup-deploy: $(VENV)/.deploy-installed node_modules/.deploy-installed ## install only what deploys: requirements.txt, this repo, the handlers' build packages

# The runtime lock alone. It removes the test tooling from a development .venv, so the
# development stamp goes and the next `make setup` syncs the tooling back.
$(VENV)/.deploy-installed: requirements.lock pyproject.toml | $(UV)
	@echo "setup-deploy: .venv from requirements.lock"
	[ -x $(PY) ] || $(UV) venv --python $(PYTHON) $(VENV)
	$(UV) pip sync --python $(PY) --require-hashes requirements.lock
	$(UV) pip install --python $(PY) --no-deps --no-build-isolation --editable .
	rm -f $(VENV)/.installed
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
