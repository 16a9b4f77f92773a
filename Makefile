# Run, test and lint the project (GNU make). `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Installed when pyproject.toml is newer than this stamp.
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
CHROMIUM := /usr/bin/chromium

# `make test-postgres` (and `DB=postgres` for test/test-browser) use these.
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/cqp
REDIS_URL ?= redis://127.0.0.1:6379/15
# Extra pytest arguments, e.g. make test PYTEST_ARGS="-k catalogue -x".
PYTEST_ARGS ?=
# Test processes (pytest-xdist); WORKERS=0 runs in this process (e.g. to use a debugger).
# Work stealing: a process that is done takes tests from the other's queue, so the long
# browser journeys do not leave one process working alone at the end.
WORKERS ?= 2
XDIST := $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist worksteal)
# JUNIT=path/prefix writes a JUnit report per pytest run: prefix-<run>.xml (used by .ci/run).
JUNIT ?=
junit = $(if $(JUNIT),--junitxml=$(JUNIT)-$(1).xml)

# The test targets choose the database themselves, whatever the shell or .env say; tasks run
# eagerly (no broker) except in test-postgres.
ifeq ($(DB),postgres)
TEST_DATABASE_URL := $(POSTGRES_URL)
else
TEST_DATABASE_URL := sqlite:///$(CURDIR)/db.sqlite3
endif
TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=

.PHONY: help install run test test-postgres test-browser test-browser-worker lint format worker beat messages clean

help:
	@echo "make run            install, migrate, load the demo data, serve on http://127.0.0.1:8000"
	@echo "make test           the whole suite on SQLite (celery_worker tests excepted: see README)"
	@echo "make test-postgres  the suite on PostgreSQL with Redis and a real Celery worker"
	@echo "make test-browser   the browser tests only (Playwright + /usr/bin/chromium)"
	@echo "make test-browser-worker  browser tests with a real Celery worker (PostgreSQL, Redis)"
	@echo "make lint           ruff check, ruff format --check, missing migrations"
	@echo "make format         ruff format and ruff check --fix"
	@echo "make worker / beat  a Celery worker / scheduler (needs CELERY_BROKER_URL)"
	@echo "make messages       update and compile the French translations"
	@echo "make clean          remove the virtualenv, caches and test artifacts"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV): install python3.11 and python3-venv (apt-get install python3-venv)." >&2; exit 1; }

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(STAMP)

run: $(STAMP)
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_demo
	$(MANAGE) runserver 127.0.0.1:8000

# pytest exits non-zero when a test fails and with 5 when no test ran; make stops on both.
test: $(STAMP)
	@if [ -x $(CHROMIUM) ]; then marks="not celery_worker"; else \
	  marks="not celery_worker and not browser"; \
	  echo "*** $(CHROMIUM) not found: browser tests NOT run (apt-get install chromium) ***"; fi; \
	echo "pytest -m \"$$marks\" on $(TEST_DATABASE_URL)"; \
	$(TEST_ENV) $(BIN)/pytest -m "$$marks" $(XDIST) $(call junit,all) $(PYTEST_ARGS)

# Two runs: the suite in parallel, then the tests that share one real Celery worker (one
# Redis queue: they run one after the other).
test-postgres: $(STAMP)
	DATABASE_URL=$(POSTGRES_URL) CELERY_BROKER_URL=$(REDIS_URL) \
	  $(BIN)/pytest -m "not browser and not celery_worker" $(XDIST) $(call junit,parallel) $(PYTEST_ARGS)
	DATABASE_URL=$(POSTGRES_URL) CELERY_BROKER_URL=$(REDIS_URL) \
	  $(BIN)/pytest -m "celery_worker and not browser" $(call junit,worker) $(PYTEST_ARGS)

test-browser: $(STAMP)
	$(TEST_ENV) $(BIN)/pytest -m "browser and not celery_worker" $(XDIST) $(call junit,all) $(PYTEST_ARGS)

# Browser journeys whose tasks go through Redis to a real Celery worker (PostgreSQL).
test-browser-worker: $(STAMP)
	DATABASE_URL=$(POSTGRES_URL) CELERY_BROKER_URL=$(REDIS_URL) \
	  $(BIN)/pytest -m "browser and celery_worker" $(call junit,all) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TEST_ENV) $(MANAGE) makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Without a broker Celery would try its own default (AMQP on localhost): refuse instead.
REQUIRE_BROKER := $(MANAGE) shell --no-startup --command "import sys; from django.conf import settings; \
	settings.CELERY_BROKER_URL or sys.exit('CELERY_BROKER_URL is not set: tasks run eagerly, no worker needed.')"

worker: $(STAMP)
	@$(REQUIRE_BROKER)
	$(BIN)/celery -A cqp worker --loglevel INFO

beat: $(STAMP)
	@$(REQUIRE_BROKER)
	$(BIN)/celery -A cqp beat --loglevel INFO --schedule $(VENV)/celerybeat-schedule

messages: $(STAMP)
	$(MANAGE) makemessages --locale fr --no-obsolete --ignore "$(VENV)/*" --ignore "staticfiles/*"
	$(MANAGE) compilemessages --locale fr --ignore "$(VENV)/*"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts staticfiles *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
