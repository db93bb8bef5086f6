# Everything a person or CI runs. `make plan` and `make test` set up .venv on first use.
PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= staging
BASE ?= origin/main

.PHONY: setup plan diff check test lint preview up engine up-local

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON_BIN) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

plan: setup  ## offline plan of STACK (mock engine, no credentials)
	$(PY) -m plan show $(STACK)

diff: setup  ## offline diff of every stack against BASE
	$(PY) -m plan diff --base $(BASE)

check: setup  ## offline policy checks of STACK
	$(PY) -m plan check $(STACK)

# The local twin (tools/twin): miniflare and its workerd from npm, pinned by package-lock.json.
.PHONY: twin dev
TWIN := tools/twin
twin: $(TWIN)/node_modules/.installed  ## the twin's npm packages (npm ci; needs Node.js 18+)
$(TWIN)/node_modules/.installed: $(TWIN)/package.json $(TWIN)/package-lock.json
	cd $(TWIN) && npm ci
	touch $@

dev: setup twin  ## every worker of STACK together in workerd, on 127.0.0.1 (Ctrl-C stops)
	$(PY) -m plan dev $(STACK)

test: twin  # the twin's tests (tests/twin) run it

test: setup engine  ## the whole suite, the real-engine tests included (tests/engine)
	$(PY) -m pytest -q -n 2 --dist loadgroup

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/actionlint .github/workflows/*.yml
	$(VENV)/bin/zizmor --offline .github/workflows

preview: setup  ## real preview: needs the Pulumi CLI, a backend and cloud credentials
	pulumi preview --diff --policy-pack policy -s $(STACK)

up: setup  ## real deploy of STACK
	pulumi up -s $(STACK)

engine:  ## the Pulumi CLI + Python language host, built from the Go module proxy into .tools/bin
	tools/engine/build.sh

up-local: setup engine  ## a real `pulumi up` of STACK onto local emulators, throwaway backend
	$(PY) -m tools.localcloud.up_local $(STACK)
