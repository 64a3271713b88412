# storepick: `make run` starts the demo store, `make test` runs every test.
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-$(shell cat requirements.lock requirements-test.lock | sha256sum | cut -c1-12)
APT_PACKAGES := libzbar0
TEST_APT_PACKAGES := libzbar0 chromium fonts-dejavu-core postgresql

.PHONY: run run-scaled test test-fast bench lint system system-test vendor messages clean

PORT ?= 8000
OMS_PORT ?= 8001
WORKERS ?=

# The app with demo data on SQLite (port $(PORT)) next to the OMS simulator ($(OMS_PORT)),
# which pushes orders and receives the app's events: a living store on one machine.
# Both listen on every interface, so phones on the same network can open them; customer
# links use this machine's network address unless STOREPICK_PUBLIC_BASE_URL says otherwise.
# STOREPICK_ENV=development: the only mode that runs with the public dev secrets.
run: $(STAMP) system
	$(BIN)/python -m sync.simulator --host 0.0.0.0 --port $(OMS_PORT) \
	  --app http://127.0.0.1:$(PORT) --every 20 & \
	  trap "kill $$! 2>/dev/null" EXIT; \
	  STOREPICK_ENV=development STOREPICK_OMS_EVENTS_URL=http://127.0.0.1:$(OMS_PORT)/events \
	  STOREPICK_OMS_BATCH_URL=http://127.0.0.1:$(OMS_PORT)/events/batch \
	  $(BIN)/python -m app run --port $(PORT) --workers $(or $(WORKERS),1) $(RUN_FLAGS)

# The same with N app processes behind one port (WORKERS, default 2) on PostgreSQL:
# DATABASE_URL=postgresql://… when given, else a throwaway local cluster started the
# way the tests start theirs (removed on exit). Migrated once; one outbox relay runs
# (whichever process holds the database's relay lock); live updates and settings
# changes cross processes over LISTEN/NOTIFY.
run-scaled:
	@scripts/ensure_system.sh postgresql
	$(MAKE) run WORKERS=$(or $(WORKERS),2) RUN_FLAGS=--local-postgres

test: $(STAMP) system-test ## the whole suite, SQLite and PostgreSQL, browser included
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not browser"

bench: $(STAMP) system
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check app picking sync tests benchmarks && $(BIN)/mypy picking sync app

$(STAMP): requirements.lock requirements-test.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) \
	  || { scripts/ensure_system.sh python3-venv && $(PY) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-test.lock
	rm -f $(VENV)/.stamp-* && touch $@

# System libraries: installed with apt only when missing (root or sudo needed then).
system:
	@scripts/ensure_system.sh $(APT_PACKAGES)

system-test:
	@scripts/ensure_system.sh $(TEST_APT_PACKAGES)

vendor: ## re-fetch htmx from npm and check it against static/vendor/SHA256SUMS
	scripts/vendor_js.sh

messages: $(STAMP) ## re-extract translatable strings into the .po files
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 -o app/locale/messages.pot .
	$(BIN)/pybabel update -i app/locale/messages.pot -d app/locale --no-fuzzy-matching

clean:
	rm -rf $(VENV) var
