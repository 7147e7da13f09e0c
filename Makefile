# OncoGuide: `make run` sets up and starts the app; `make test` sets up and runs every test.
# Needs only Python 3.11 (and root or sudo for Debian's Chromium, used by the browser tests).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test test-unit test-pipeline test-e2e test-evals setup setup-dev index browser cluster-deps cluster cluster-stop lint bench clean

$(BIN)/uv:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"OncoGuide needs Python 3.11, found {sys.version.split()[0]}"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: requirements.txt requirements-nodeps.txt | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.txt
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --no-deps -r requirements-nodeps.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements-dev.txt
	@touch $@

setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev

index: setup  ## build or refresh the knowledge-base index (only changed documents are embedded)
	$(BIN)/python -m loaders.ingest

run: index
	@$(BIN)/python -m http.server 8080 --directory demo --bind 127.0.0.1 >/dev/null 2>&1 & demo=$$!; \
	trap 'kill $$demo 2>/dev/null' EXIT INT TERM; \
	sleep 0.3; kill -0 $$demo 2>/dev/null || echo "  (port 8080 is busy: the clinic demo page is not served)"; \
	echo ""; \
	echo "  OncoGuide is starting on http://localhost:$(PORT)"; \
	echo "  Clinic demo page with the chat widget: http://localhost:8080/?server=http://localhost:$(PORT)"; \
	echo "  (with sign-in on, open the link from: $(BIN)/python demo/mint_token.py demo-patient --link --server http://localhost:$(PORT))"; \
	echo ""; \
	$(BIN)/chainlit run app.py --headless --port $(PORT)

browser:  ## Debian's Chromium for the browser tests (no browser download from the internet works here)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

cluster-deps:  ## nginx and PostgreSQL from Debian, for deploy/cluster.sh and the failover test
	@{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx-light postgresql >/dev/null; }

cluster: setup cluster-deps  ## PostgreSQL, a Chroma server, N app processes and nginx on this machine (docs/DEPLOY.md)
	deploy/cluster.sh start

cluster-stop:
	deploy/cluster.sh stop

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: setup-dev browser cluster-deps lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

# One tier at a time (tests/<tier>/; `make test` runs them all): unit needs nothing built, pipeline and evals
# build the index once per run, e2e also starts the real server, Chromium, PostgreSQL and nginx.
test-unit: setup-dev
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

test-pipeline: setup-dev
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/pipeline

test-e2e: setup-dev browser cluster-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/e2e

test-evals: setup-dev  ## quality floors from tests/evals/baseline.json; figures printed with -s (tests/evals/README.md)
	$(BIN)/python -m pytest -q -p no:cacheprovider -s tests/evals

bench: setup-dev  ## speed figures reported in docs/BENCHMARKS.md
	$(BIN)/python -m bench.turn_latency

clean:
	rm -rf $(VENV) .oncoguide .files .pytest_cache .ruff_cache .import_linter_cache test-artifacts
