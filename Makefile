# Two commands on a fresh machine: `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
# The suite runs on every core (pytest-xdist); each worker gets its own test database.
PYTEST_WORKERS ?= auto

.PHONY: run test bench install sysdeps messages lint format lock clean audit

sysdeps:
	@bash scripts/sysdeps.sh

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c requirements.lock ".[test]"
	@touch $(STAMP)

install: sysdeps $(STAMP)

messages: install
	@$(PY) manage.py compilemessages --ignore=.venv -v0

run: install messages
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo
	@bash scripts/serve.sh

test: install messages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS)
	$(PY) scripts/pip_audit.py

# Known vulnerabilities in the pinned dependencies (fails only on a finding; warns when
# the advisory service cannot be reached). See docs/security.md.
audit: install
	$(PY) scripts/pip_audit.py

bench: install messages
	$(PY) bench/run.py

lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/lint-imports --no-cache

format:
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

lock:
	$(PIP) freeze --exclude gongyi-portal > requirements.lock

clean:
	rm -rf $(VENV) var/static var/test-media var/test-private
