# Quick start: `make run` (install, migrate the SQLite default, serve on :8000), `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export MESSENGER_DATABASE_URL ?= sqlite+aiosqlite:///var/messenger.db

.PHONY: install install-run lock wheel-check run test test-unit test-integration test-faults lint format \
	bench bench-full bench-search bench-many-chats bench-big-channel bench-idle-sockets bench-reconnect-storm bench-processes services migrate clean client-install test-client test-e2e bench-client

$(PY):
	python3 -m venv $(VENV)

# Exact versions from the lock files (`make lock` writes them from pyproject.toml's ranges),
# then the project itself, editable, without resolving anything again. The runtime alone
# for `make run`; the development tools (tests, linters, benchmarks) for everything else.
$(VENV)/.installed-run: pyproject.toml requirements.lock | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(VENV)/.installed: pyproject.toml requirements.lock requirements-dev.lock | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.lock
	$(PY) -m pip install -q --no-deps -e '.[dev]'
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed

install-run: $(VENV)/.installed-run

# The lock files, for Linux, macOS and Windows alike. The runtime lock is constrained by
# the dev one (whose pins are the stricter) so both install the same version of every
# package they share.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --quiet \
	--custom-compile-command 'make lock'
lock: install
	$(UV_COMPILE) --extra dev -o requirements-dev.lock
	$(UV_COMPILE) -c requirements-dev.lock -o requirements.lock

# Build the wheel, install it into a fresh venv outside the checkout, migrate a scratch
# SQLite database and serve it; checks /api/v1/ready and that / is the web client.
wheel-check: install
	bash scripts/wheel-check.sh

services:
	bash scripts/services.sh

migrate: install-run
	mkdir -p var
	$(BIN)/messenger migrate

run: install-run migrate
	@echo
	@echo "  messenger: open http://$(HOST):$(PORT)/ (another port: make run PORT=8080)"
	@echo "  The first account registered on this server becomes its administrator;"
	@echo "  or: $(BIN)/messenger create-user NAME --admin"
	@echo
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
	$(BIN)/hadolint Dockerfile

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install
	$(PY) bench/run.py --quick

bench-full: install
	$(PY) bench/run.py --full

# One group of 5,000 members all online on one process, posts at 2/s and 5/s, next to the
# relay (issue 18, scenario 1; `BIG_CHANNEL_ARGS=--quick`: 1,000 members, about a minute).
bench-big-channel: install
	$(PY) bench/big_channel.py $(BIG_CHANNEL_ARGS)

# Issue 18, scenario 3: 10,000 connected users, the server restarted (SIGTERM), every client
# reconnecting and catching up as the desktop client does (`RECONNECT_STORM_ARGS=--quick`:
# 1,000 users).
bench-reconnect-storm: install
	$(PY) bench/reconnect_storm.py $(RECONNECT_STORM_ARGS)
# Issue 18, scenario 2: idle authenticated sockets on one process (IDLE_SOCKETS_ARGS=--quick:
# 5,000 sockets).
bench-idle-sockets: install
	$(PY) bench/idle_sockets.py $(IDLE_SOCKETS_ARGS)

# Message search over 1,000,000 messages on MariaDB (a few minutes; not part of CI).
bench-search: install
	$(PY) bench/search.py

# Issue 18, scenario 4: one user in 2,000 chats, a chat of 1,000,000 messages (--quick: 100,000).
bench-many-chats: install
	$(PY) bench/many_chats.py $(BENCH_MANY_CHATS_ARGS)

# Issue 18, scenario 5: 1, 2 and 4 server processes behind Redis on one MariaDB
# (`PROCESSES_ARGS=--quick`: 1 and 2 processes, about 3 minutes).
bench-processes: install
	$(PY) bench/processes.py $(PROCESSES_ARGS)

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

# The client's speed figures next to the issue's targets (client/bench/README.md): a real
# server and headless Chromium, as the browser tests. The full sizes by default; CI runs the
# bounded form with BENCH_CLIENT_ARGS=--quick. A missed target prints MISS, only errors fail.
BENCH_CLIENT_ARGS ?=
bench-client: install client-install
	cd client && node bench/run.js $(BENCH_CLIENT_ARGS)

clean:
	rm -rf $(VENV) var build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
