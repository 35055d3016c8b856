# The two commands a newcomer needs: `make demo` and `make test`.
# Everything is installed into .venv from PyPI; nothing else is needed on the machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install demo serve test bench worker lint format messages clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Install, then compile the Japanese catalogue (with polib: no GNU gettext needed).
install: $(STAMP)
	$(PY) manage.py compile_catalogues

# The printed poster and card URLs and the emails point at the address being served.
demo: export BASE_URL ?= http://$(HOST):$(PORT)
demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The benchmarks also need the `bench` extra (django-hordak, the ledger's reference).
$(VENV)/.installed-bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

# bench_checkin drives the server with wrk (a Debian package); install it if missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
bench: install $(VENV)/.installed-bench
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(PY) -m bench

# A worker with an embedded beat scheduler, against REDIS_URL. In production run
# beat as its own single process instead (see README).
worker: install
	@test -n "$$REDIS_URL" || (echo "REDIS_URL is not set" >&2; exit 2)
	$(BIN)/celery -A config worker --beat --loglevel=info

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	PYTHONPATH=platform:. $(BIN)/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py compile_catalogues --check

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-extract strings after changing user-facing text (needs GNU gettext's xgettext).
messages: install
	$(PY) manage.py makemessages -l ja --no-location -i .venv -i tests -i bench -i var

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
