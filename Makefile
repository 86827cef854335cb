# yiwang — two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENDOR := src/yiwang/web/static/vendor
PGURL ?= $(or $(YIWANG_TEST_POSTGRES_URL),postgresql://postgres@127.0.0.1:5432/test)
# Two workers: the suite is CPU-bound and CI machines have two cores (pytest-xdist).
PYTEST_ARGS ?= -n 2

.PHONY: install demo test lint typecheck test-sqlite test-postgres serve clean messages

install: $(VENV)/.installed $(VENDOR)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end libraries come from npm (pinned in package-lock.json) and are served locally.
$(VENDOR)/.installed: node_modules/.installed
	mkdir -p $(VENDOR)/leaflet/images
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/leaflet/
	cp node_modules/leaflet/dist/images/* $(VENDOR)/leaflet/images/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	touch $@

demo: install
	$(VENV)/bin/yiwang demo

serve: install
	$(VENV)/bin/yiwang serve

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: install
	$(VENV)/bin/mypy

test-sqlite: install
	YIWANG_DATABASE_URL= $(PY) -m pytest $(PYTEST_ARGS)

# PostgreSQL: a missing server is a failure under CI=true, a visible skip otherwise.
test-postgres: install
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(PGURL)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== pytest on PostgreSQL ($(PGURL))"; \
	  YIWANG_SECRET_KEY=test-only-not-a-secret YIWANG_DATABASE_URL='$(PGURL)' $(PY) -m pytest $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL is not reachable at $(PGURL); CI=true makes this a failure."; exit 1; \
	else \
	  echo "SKIPPED: PostgreSQL is not reachable at $(PGURL) (set CI=true to make this a failure)."; \
	fi

test: lint typecheck
	@echo "== pytest on SQLite"
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

messages: install
	cd src/yiwang && ../../$(VENV)/bin/django-admin makemessages -l en --no-obsolete && ../../$(VENV)/bin/django-admin compilemessages

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var/static
