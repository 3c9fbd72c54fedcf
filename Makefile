# Handlab: `make run` to use the app, `make test` to check it. Both set up .venv on first use.
#
# The virtual environment is (re)installed only when a requirements file or pyproject.toml changes: each install
# leaves a stamp named after a hash of the files it installed, so a no-op `make` costs well under a second.
# Both installs also install the project itself (`pip install -e .`), so `core` imports from anywhere.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Extra arguments: `make test PYTEST_ARGS='-m "not browser" -x'`, `make run ARGS='--server.port 8600'`.
PYTEST_ARGS ?=
ARGS ?=

hash_of = $(shell cat $(1) | sha256sum | cut -c1-16)
RUN_STAMP := $(VENV)/.installed-run-$(call hash_of,requirements.txt pyproject.toml)
DEV_STAMP := $(VENV)/.installed-dev-$(call hash_of,requirements.txt requirements-dev.txt requirements-scale.txt pyproject.toml)
PIP := $(BIN)/python -m pip install --disable-pip-version-check --quiet
# MediaPipe's hand models, fetched (hash-checked) from the mediapipe wheel on first use; see the script.
HAND_MODELS := models/hands/palm_detection_full.tflite models/hands/hand_landmark_full.tflite models/hands/LICENSE

.PHONY: help run dev test lint format bench chromium postgres clean distclean

help:
	@echo "make run        set up .venv and serve the app at http://localhost:8501"
	@echo "make dev        the same, reloading when the source changes"
	@echo "make test       set up .venv (+ test tools, Ray, psycopg, Chromium, PostgreSQL) and run lint and all tests"
	@echo "make lint       ruff check + ruff format --check"
	@echo "make format     ruff format + ruff check --fix"
	@echo "make bench      run every benchmarks/*.py (as python -m benchmarks.NAME)"
	@echo "make clean      remove caches and test artifacts (keeps .venv, data/ and .handlab/)"
	@echo "make distclean  clean, and remove .venv too"

# Users get no file watcher (it watched .venv too: thousands of "Inotify queue overflowed" lines); `make dev` has it.
run: $(RUN_STAMP) $(HAND_MODELS)
	$(BIN)/streamlit run streamlit_app.py --server.fileWatcherType none $(ARGS)

dev: $(RUN_STAMP) $(HAND_MODELS)
	$(BIN)/streamlit run streamlit_app.py --server.fileWatcherType auto --server.runOnSave true $(ARGS)

test: $(DEV_STAMP) $(HAND_MODELS) chromium postgres lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(RUN_STAMP) $(HAND_MODELS)
	@set -e; for script in benchmarks/*.py; do \
		[ -e "$$script" ] || { echo "no benchmarks/*.py yet"; break; }; \
		echo "== $$script"; $(BIN)/python -m "benchmarks.$$(basename "$$script" .py)"; \
	done

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): | $(BIN)/python
	$(PIP) -r requirements.txt --editable .
	rm -f $(VENV)/.installed-run-*
	touch $@

# requirements-dev.txt includes requirements.txt (and requirements-scale.txt: Ray, psycopg), so a dev install
# also satisfies `make run`, which needs neither.
$(DEV_STAMP): | $(BIN)/python
	$(PIP) -r requirements-dev.txt --editable .
	rm -f $(VENV)/.installed-run-* $(VENV)/.installed-dev-*
	touch $@ $(RUN_STAMP)

# One download brings all three files: a grouped target, so make runs the script once, and only when one is missing.
# The script needs only Python and pip (run as a module from the project folder, it finds `core` before any install),
# and itself does nothing when the files are there with the right hashes.
$(HAND_MODELS) &: | $(BIN)/python
	$(BIN)/python -m scripts.fetch_hand_models

# Browser tests drive a real Chromium: Debian's package when root, else Playwright's build (see the script).
chromium: $(DEV_STAMP)
	@bash scripts/install_chromium.sh $(BIN)/playwright

# The run-store tests start their own PostgreSQL server: Debian's package when root (see the script).
postgres:
	@bash scripts/install_postgres.sh

clean:
	rm -rf .pytest_cache .ruff_cache test-artifacts
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
