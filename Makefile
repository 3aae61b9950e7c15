# Pathwise: `make run` serves the app with demo data; `make test` runs the whole suite.
# Both set everything up first on a fresh machine (a Python 3.11 virtual environment in .venv).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium
export HOST PORT

.PHONY: help install run serve test lint format bench messages chromium clean

help:
	@echo "make run      set up, migrate, seed demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test     set up and run the whole test suite"
	@echo "make lint     ruff check and format check"
	@echo "make bench    run the benchmarks in bench/ (JSON on stdout)"
	@echo "make messages refresh and compile the translation catalogs"

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

# Browser libraries (hls.js) from the npm registry, served by the app itself: no CDN.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

# Embedded default unless DATABASE_URL / REDIS_URL are set; DEBUG is on unless set.
run: export DEBUG ?= true
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
ifneq ($(strip $(REDIS_URL)),)
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/honcho --procfile Procfile --app-root . start --port $(PORT)
else
	$(VENV)/bin/uvicorn lms.asgi:application --host $(HOST) --port $(PORT)
endif

# Chromium for the browser tests comes from Debian's packages (Playwright cannot download one);
# so does ffmpeg, which the lecture tests use to make a short video.
chromium:
	@{ test -x $(CHROMIUM) && command -v ffmpeg >/dev/null; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium ffmpeg >/dev/null; \
	  else \
	    echo "Chromium or ffmpeg is missing: install Debian's 'chromium' and 'ffmpeg' packages (or set CHROMIUM)."; exit 1; \
	  fi; }

test: install chromium
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) -m bench

messages: install
	DEBUG=true $(PY) manage.py makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'staticfiles/*' --no-obsolete
	DEBUG=true $(PY) manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
