# The stack and the tests. Every target creates what it needs first.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NODE   := node_modules/.installed

.PHONY: install demo up down deploy test test-slow test-fast bench lint format clean

install: $(STAMP) $(NODE)

$(STAMP): pyproject.toml constraints.txt infra/system-deps.sh
	@bash infra/system-deps.sh
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
	uv venv --quiet --allow-existing --python 3.11 $(VENV)
	uv pip install --quiet --python $(PY) -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# The consent engine (package.json pins it); .npmrc keeps npm from writing a lock file.
$(NODE): package.json .npmrc $(STAMP)
	npm install --silent --no-audit --no-fund --no-package-lock
	@touch $(NODE)

demo: install           ## the whole stack, offline, on SQLite, against the sandbox
	$(PY) -m infra.stack demo

up: install             ## the stack against your own blocks (.env), no sandbox
	$(PY) -m infra.stack up

down:                   ## stop what demo/up started (by PID)
	@if [ -x $(PY) ]; then $(PY) -m infra.stack down; else python3 -m infra.stack down; fi

deploy: install         ## re-apply prefect.yaml to the running server
	PREFECT_HOME=$(CURDIR)/.prefect PREFECT_API_URL=http://127.0.0.1:4200/api \
		$(PY) -m prefect --no-prompt deploy --all

# One pytest worker per core; each end-to-end group runs on one worker against its own
# live stack, while the other workers take the rest. The end-to-end runs that take
# minutes each are marked `slow`: `make test-slow` runs them, CI runs both targets.
test: install           ## the suite, end-to-end tests included, but the slow ones
	$(PY) -m pytest -n auto --dist loadgroup -m "not slow"

test-slow: install      ## the slow end-to-end runs (every job of a workflow, dead hosts, races)
	$(PY) -m pytest -n auto --dist loadgroup -m slow

test-fast: install      ## everything but the end-to-end tests
	$(PY) -m pytest -n auto --dist loadgroup -m "not e2e"

bench: install          ## every benchmark in bench/ (installs the bench extra: moviepy)
	@$(PY) -c 'import moviepy' 2>/dev/null || uv pip install --quiet --python $(PY) -c constraints.txt -e '.[dev,bench]'
	@set -e; for f in bench/*.py; do echo "== $$f"; $(PY) $$f; done

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

clean: down
	rm -rf .prefect .run data
