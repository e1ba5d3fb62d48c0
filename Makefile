# Two commands: `make run` and `make test`. `make setup` is their shared first step.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py

.PHONY: setup run run-scaled test lint

# Reinstall only when the dependency files change; migrate is a no-op when up to date.
setup: $(STAMP)
	@$(MANAGE) migrate --noinput -v0

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[dev]"
	@touch $@

# Debug pages stay off (people share links to this server): DJANGO_DEBUG=1 make run turns them
# on for development. It serves plain HTTP, so cookies cannot be Secure-only here.
run: export DJANGO_SECURE_COOKIES ?= 0
run: setup
	@$(MANAGE) collectstatic --noinput -v0
	@bin/run.sh

# WEB Daphne processes + WORKERS RQ workers on PostgreSQL and Redis (defaults: 2 + 2, ports
# 8001..); DATABASE_URL / REDIS_URL default to the servers on 127.0.0.1. See README "Scaling out".
run-scaled: $(STAMP)
	@bin/run-scaled.sh

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
