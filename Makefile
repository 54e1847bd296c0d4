# Quick start: `make run` (install, migrate the SQLite default, serve on :8000), `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export MESSENGER_DATABASE_URL ?= sqlite+aiosqlite:///var/messenger.db

.PHONY: install run test test-unit test-integration test-faults lint format bench bench-full bench-search services migrate clean \
	client-install test-client test-e2e

$(PY):
	python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

services:
	bash scripts/services.sh

migrate: install
	mkdir -p var
	$(BIN)/messenger migrate

run: install migrate
	MESSENGER_DOCS=$${MESSENGER_DOCS:-1} \
	MESSENGER_CORS_ORIGINS=$${MESSENGER_CORS_ORIGINS:-http://localhost:3000,http://127.0.0.1:3000,app://.} \
	$(BIN)/messenger serve --host $(HOST) --port $(PORT)

# The whole suite needs MariaDB and Redis: scripts/ensure-services.sh starts them where it
# may (root or passwordless sudo, as .ci/run does) or stops with one line saying what is
# missing; pytest then fails, never skips, on a missing service. `make test-unit` needs none.
test: install
	bash scripts/ensure-services.sh
	MESSENGER_REQUIRE_SERVICES=1 $(BIN)/pytest -q

test-unit: install
	$(BIN)/pytest -q tests/unit

test-integration: install
	bash scripts/ensure-services.sh
	MESSENGER_REQUIRE_SERVICES=1 $(BIN)/pytest -q tests/integration

# The fault suite alone (it is part of `make test` too): faults under load, counted.
test-faults: install
	bash scripts/ensure-services.sh
	MESSENGER_REQUIRE_SERVICES=1 $(BIN)/pytest -q -m faults tests/integration

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --strict src
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install
	$(PY) bench/run.py --quick

bench-full: install
	$(PY) bench/run.py --full

# Message search over 1,000,000 messages on MariaDB (a few minutes; not part of CI).
bench-search: install
	$(PY) bench/search.py

# --- desktop/web client (client/): Node >= 20; the browser tests need /usr/bin/chromium
# (`bash scripts/services.sh chromium`). Electron's binary is never downloaded here.
client/node_modules/.installed: client/package.json client/package-lock.json
	cd client && ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

client-install: client/node_modules/.installed

test-client: client-install
	cd client && node --test test/*.test.js

test-e2e: install client-install
	cd client && node --test --test-concurrency=1 e2e/*.e2e.js

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
