# The two commands: `make run` (the embedded demo) and `make test` (the whole suite, SQLite then PostgreSQL).
# Everything they need is installed on first use; re-runs only reinstall what changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: run test lint translations test-sqlite test-postgres deps dev-deps chromium clean

run: deps
	$(FLASK) db upgrade
	$(FLASK) demo

test: dev-deps chromium
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# Style and complexity (ruff.toml), and the layers and no-cycles contracts (.importlinter).
lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# After changing any user-facing string: extract, merge into every catalogue (then translate what is new or
# fuzzy in app/translations/*/LC_MESSAGES/*.po), and compile. tests/test_catalogues.py fails until all are complete.
LOCALES := en ru be ar
PYBABEL := $(VENV)/bin/pybabel
translations: dev-deps
	$(PYBABEL) -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 --no-wrap --sort-by-file --project Carebox -o app/translations/messages.pot .
	$(PYBABEL) -q extract -F babel-js.cfg -k pgettext:1c,2 --no-wrap --sort-by-file --project Carebox -o app/translations/js.pot .
	for domain in messages js; do for locale in $(LOCALES); do \
	  if [ -f app/translations/$$locale/LC_MESSAGES/$$domain.po ]; then \
	    $(PYBABEL) -q update --no-wrap --ignore-obsolete -D $$domain -i app/translations/$$domain.pot -d app/translations -l $$locale; \
	  else $(PYBABEL) -q init --no-wrap -D $$domain -i app/translations/$$domain.pot -d app/translations -l $$locale; fi; \
	done; done
	$(PY) -m app.i18n.english
	$(PYBABEL) -q compile -D messages -d app/translations
	$(PYBABEL) -q compile -D js -d app/translations

test-sqlite:
	@echo "== test suite on SQLite =="
	env -u DATABASE_URL $(PY) -m pytest $(PYTEST_ARGS)

test-postgres:
	@echo "== test suite on PostgreSQL ($(TEST_POSTGRES_URL), in a fresh database the tests create) =="
	DATABASE_URL=$(TEST_POSTGRES_URL) $(PY) -m pytest $(PYTEST_ARGS)

deps: $(VENV)/.stamp-runtime node_modules/.stamp

dev-deps: deps $(VENV)/.stamp-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.stamp-runtime: requirements.txt $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements-dev.txt $(VENV)/.stamp-runtime
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's chromium through Playwright (Playwright's own download cannot run here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

clean:
	rm -rf $(VENV) node_modules
