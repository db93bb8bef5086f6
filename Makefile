# Everything a person or CI runs. `make plan` and `make test` set up .venv on first use.
PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= staging
BASE ?= origin/main

.PHONY: setup plan diff check test lint preview up engine up-local

# From the hash lock; then, offline, every pin of requirements-dev.txt must be what got installed.
STALE_DEV_LOCK := requirements-dev.lock does not match requirements-dev.txt: run make lock
$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-dev.lock
	$(PYTHON_BIN) -m venv $(VENV)
	$(VENV)/bin/$(PIP_LOCKED) -r requirements-dev.lock
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check --dry-run --no-index \
	  -r requirements-dev.txt || { echo "$(STALE_DEV_LOCK)" >&2; exit 1; }
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

preview: setup policy-venv  ## real preview: needs the Pulumi CLI, a backend and cloud credentials
	pulumi preview --diff --policy-pack policy -s $(STACK)

up: setup  ## real deploy of STACK
	pulumi up -s $(STACK)

engine:  ## the Pulumi CLI + Python language host, built from the Go module proxy into .tools/bin
	tools/engine/build.sh

up-local: setup engine  ## a real `pulumi up` of STACK onto local emulators, throwaway backend
	$(PY) -m tools.localcloud.up_local $(STACK)

# Hash locks beside their inputs: `lock:input:constraint`. The dev lock is resolved first and
# constrains the others, so a package has one version in every lock. Installs check every hash
# and take wheels only (an sdist build would fetch its build dependencies unchecked).
.PHONY: runtime-venv policy-venv lock lock-check
LOCKS := requirements-dev.lock:requirements-dev.txt: \
	requirements.lock:requirements.txt:requirements-dev.lock \
	policy/requirements.lock:policy/requirements.txt:requirements-dev.lock
PIP_LOCKED := pip install --quiet --disable-pip-version-check --require-hashes --only-binary :all:
PIP_TOOLS := .tools/pip-tools
PIP_TOOLS_VERSION := 7.6.2
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(CURDIR)/$(PIP_TOOLS)/bin/pip-compile --quiet \
	--no-config --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
# Shell loops over LOCKS, setting lock, input and constraint; COMPILE_LOCKS, run in the directory
# of the files, compiles every lock in order.
EACH_LOCK = for spec in $(LOCKS); do \
	  lock=$${spec%%:*}; rest=$${spec\#*:}; input=$${rest%%:*}; constraint=$${rest\#*:};
COMPILE_LOCKS = $(EACH_LOCK) echo "pip-compile $$input -> $$lock"; \
	  $(PIP_COMPILE) $${constraint:+-c $$constraint} -o "$$lock" "$$input" || exit 1; done

runtime-venv:  ## .venv from requirements.lock alone: what CI jobs holding credentials run
	$(PYTHON_BIN) -m venv $(VENV)
	$(VENV)/bin/$(PIP_LOCKED) -r requirements.lock

policy-venv: policy/.venv/.installed  ## the CrossGuard pack's policy/.venv (policy/PulumiPolicy.yaml)

policy/.venv/.installed: policy/requirements.lock
	$(PYTHON_BIN) -m venv policy/.venv
	policy/.venv/bin/$(PIP_LOCKED) -r policy/requirements.lock
	touch $@

# pip-tools in a throwaway virtualenv of its own, never in the project's requirements.
$(PIP_TOOLS)/.installed-$(PIP_TOOLS_VERSION):
	$(PYTHON_BIN) -m venv $(PIP_TOOLS)
	$(PIP_TOOLS)/bin/pip install --quiet --disable-pip-version-check \
	  pip==25.0.1 pip-tools==$(PIP_TOOLS_VERSION)
	touch $@

lock: $(PIP_TOOLS)/.installed-$(PIP_TOOLS_VERSION)  ## regenerate the hash locks (PyPI); rerunnable
	@$(COMPILE_LOCKS)

# Compiles copies of the inputs and locks (a lock is kept where it still fits) elsewhere, exactly
# as `make lock` would, and compares.
lock-check: $(PIP_TOOLS)/.installed-$(PIP_TOOLS_VERSION)  ## fail, naming it, if a lock is stale
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(EACH_LOCK) for f in "$$lock" "$$input"; do if [ -f "$$f" ]; then \
	  mkdir -p "$$tmp/$$(dirname "$$f")"; cp "$$f" "$$tmp/$$f"; fi; done; done; \
	(cd "$$tmp" && $(COMPILE_LOCKS)) || exit 1; \
	stale=; $(EACH_LOCK) \
	  if [ ! -f "$$lock" ]; then \
	    echo "$$lock is missing: run make lock" >&2; stale="$$stale $$lock"; \
	  elif ! cmp -s "$$lock" "$$tmp/$$lock"; then \
	    echo "$$lock does not match $$input: run make lock (changed pins below)" >&2; \
	    diff "$$lock" "$$tmp/$$lock" | grep -E '^[<>] [A-Za-z0-9]' | head -n 40 >&2 || true; \
	    stale="$$stale $$lock"; \
	  fi; \
	done; \
	if [ -n "$$stale" ]; then echo "stale lock files:$$stale" >&2; exit 1; fi; \
	echo "lock files match their inputs"
