# intake-bot — `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-unit test-integration test-e2e test-web chromium report-tools check lint types imports bench diagram clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/intake-bot db upgrade
	$(BIN)/intake-bot demo load
	$(BIN)/intake-bot serve --host $(HOST) --port $(PORT)

# The browser tests drive Debian's chromium through playwright (never a browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "chromium is missing; installing it with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "ERROR: the browser tests need Debian's chromium: run 'sudo apt-get install chromium' (or make as root)" >&2; \
	    exit 1; \
	  fi; }

# The report tests render PDFs (weasyprint needs pango) and turn them into images and text (poppler-utils).
report-tools:
	@command -v pdftoppm >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep libpango-1.0 >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "poppler-utils or pango is missing; installing them with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils libpango-1.0-0 libpangoft2-1.0-0; \
	  else \
	    echo "ERROR: the report tests need Debian's poppler-utils and pango: run 'sudo apt-get install poppler-utils libpango-1.0-0 libpangoft2-1.0-0' (or make as root)" >&2; \
	    exit 1; \
	  fi; }

test: $(STAMP) chromium report-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

test-integration: $(STAMP) report-tools
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

test-e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

test-web: $(STAMP) chromium
	$(BIN)/python -m pytest tests/web $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

types: $(STAMP)
	$(BIN)/mypy sla bot channels intake web webhooks.py

imports: $(STAMP)
	$(BIN)/lint-imports

check: lint types imports test

diagram: $(STAMP)
	$(BIN)/python -m bot.diagram > docs/dialog.md

bench: $(STAMP)
	$(BIN)/python bench/sla_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
