# Two commands matter (see README): `make dev` and `make test`. Everything else is a helper.
# Both install what they need on a fresh machine: a Python 3.12 venv in .venv, Node tools in node_modules.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Lambda runs python3.12, so do we. pyenv shims may exist without the version active, hence the probe.
PYTHON312 := $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { echo $$p; break; }; done)

# checkov pins an older boto3 than ours, so it lives in a venv of its own.
# Defined before `setup`: a prerequisite list expands when make reads it, so a later definition is empty there.
CHECKOV_VERSION := 3.3.30
CHECKOV := .tools/checkov/bin/checkov

.PHONY: setup dev test token users tenant lint openapi bench deploy clean

setup: $(VENV)/.installed node_modules/.installed web/dist/index.html $(CHECKOV)

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON312)" || { echo "Python 3.12 is needed (pyenv install 3.12, or apt-get install python3.12)"; exit 1; }
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

$(CHECKOV):
	@test -n "$(PYTHON312)" || { echo "Python 3.12 is needed (pyenv install 3.12, or apt-get install python3.12)"; exit 1; }
	rm -rf .tools/checkov && $(PYTHON312) -m venv .tools/checkov
	.tools/checkov/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The web console: its own npm project in web/ (npm ci from its lock), built by Vite into web/dist.
WEB_SOURCES := $(shell find web/src web/public web/m -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run --silent build

dev: setup  ## start the whole system locally on http://127.0.0.1:3000; its data is kept in .local/state (reset=1: start anew; the demo data goes into a new system)
	$(PY) -m localcloud serve --port 3000 $(if $(reset),--reset)

test: setup lint  ## the lint gates, then every test: unit, data, e2e over HTTP, contract, template checks
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

token: setup  ## make token user=rep.zhang
	@$(PY) -m localcloud token $(user)

users: setup  ## the users of the running system (make dev) that can get a token
	@$(PY) -m localcloud users

tenant: setup  ## make tenant id=acme name="Acme Pharma" admin=alice email=alice@acme.example mobile=+8613800000000 (needs make dev)
	@$(PY) -m localcloud tenant "$(id)" --name "$(name)" --admin "$(admin)" --email "$(email)" --mobile "$(mobile)"

LINTED := shared functions infra tests bench

lint: setup  ## the gates CI runs before the tests: ruff (lint, format), mypy (config in pyproject), complexity (no block worse than C), checkov on the template (each skip explained in it)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy
	$(VENV)/bin/xenon --max-absolute C shared functions infra bench  # tests: an assert counts as a branch
	$(CHECKOV) -f template.yaml --framework cloudformation --compact --quiet --skip-download  # offline: no guideline download

openapi: setup  ## regenerate schemas/ from the code: the OpenAPI document, the mapping and Parquet schemas
	$(PY) -m localcloud.openapi --write
	$(PY) -m crm.ingest.schemas schemas
	cd web && npm run --silent gen  # the console's API types follow the spec

deploy: setup  ## sam build + sam deploy (AWS credentials and the SAM CLI needed); the console goes with it
	rm -rf functions/console_deploy/site && cp -r web/dist functions/console_deploy/site
	sam build
	sam deploy $(if $(guided),--guided) --parameter-overrides ConsoleRelease=$$(git rev-parse --short HEAD)

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) .tools node_modules web/node_modules web/dist .local .pytest_cache
