# Badgebridge: `make run` starts the tool with the sandbox LMS; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TOOL_PORT ?= 5000
SANDBOX_PORT ?= 5001
# Test processes (pytest-xdist): a third of the suite's time is waiting (browsers, subprocess
# workers, servers), so three processes keep two cores busy. Each has its own database and
# Redis db (tests/support/workers.py). TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 3
export FLASK_APP := app

.PHONY: run test install system-deps test-deps lint clean

# System libraries from Debian: cairo for badge rendering (cairosvg); for the tests, chromium
# (Playwright drives Debian's browser, it never downloads one).
system-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q libcairo.so.2; then \
	  echo "installing libcairo2 (badge rendering)"; \
	  (apt-get update -qq && apt-get install -y -qq libcairo2) || \
	  echo "WARNING: could not install libcairo2; install it with your package manager"; fi

test-deps: system-deps
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing chromium (browser tests)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || \
	  echo "WARNING: no chromium: the browser tests will be skipped"; fi
	@# axe-core (pinned in tests/browser/package-lock.json) for the accessibility audit.
	@if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then \
	  if command -v npm >/dev/null 2>&1; then \
	    (cd tests/browser && npm ci --no-audit --no-fund) || \
	    echo "WARNING: npm ci failed: the accessibility audit will be skipped"; \
	  else echo "WARNING: no npm: the accessibility audit will be skipped"; fi; fi

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: system-deps $(STAMP)

run: install
	$(VENV)/bin/flask db upgrade
	$(PY) scripts/demo.py --tool-port $(TOOL_PORT) --sandbox-port $(SANDBOX_PORT)

test: test-deps $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) instance .pytest_cache
