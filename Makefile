# The two commands a newcomer needs: `make demo` and `make test`.
# Everything is installed into .venv from PyPI; nothing else is needed on the machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install demo serve test test-fast mutation bench worker lint format messages clean backup restore lock axe

# Reproducible installs: every package, version and file hash comes from the lock
# (requirements/lock.txt, made from pyproject.toml by `make lock`), installed by uv
# (itself pinned by hash in requirements/uv.txt); then the project itself, without
# dependencies. pyproject.toml stays the source of truth with lower bounds.
LOCK       := requirements/lock.txt
BENCH_LOCK := requirements/lock-bench.txt
UV         := $(BIN)/uv
UV_INSTALL := $(UV) pip install --quiet --python $(PY) --require-hashes

# uv alone, so that `make lock` works before the new dependencies are installed.
$(UV): requirements/uv.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements/uv.txt
	touch $(UV)

$(STAMP): pyproject.toml $(LOCK) $(UV)
	$(UV_INSTALL) -r $(LOCK)
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
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

# axe-core, which tests/browser/test_axe.py injects into every page it checks: version
# and integrity hash pinned in package-lock.json, installed by `npm ci` into node_modules/
# (git-ignored). Without npm, `make test` skips that test; .ci/run installs npm and runs
# `make axe`, and there a missing axe-core fails the test.
AXE := node_modules/axe-core/axe.min.js
NPM := $(shell command -v npm 2>/dev/null)

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $(AXE)

axe: $(AXE)

test: install $(if $(NPM),$(AXE))
	$(BIN)/pytest $(PYTEST_ARGS)

# The edit-and-test loop: the SQLite test database is kept in var/test-db.sqlite3 and
# reused (only new migrations run), so one file runs in seconds, not half a minute.
# `make test-fast T=tests/points/test_codes.py`. `make test` still starts afresh.
T ?= tests
test-fast: install
	$(BIN)/pytest --reuse-db -p no:cacheprovider $(T) $(PYTEST_ARGS)

# Mutation testing of the modules that guard money, access and identity (tests/
# mutation.json; results explained in tests/MUTATION.md). Two mutants at a time;
# MODULES="points/codes.py ..." narrows it. mutmut comes with the dev extra.
mutation: install
	$(PY) .ci/mutation.py run --fresh $(MODULES)

# The benchmarks also need the `bench` extra (django-hordak, the ledger's reference).
$(VENV)/.installed-bench: $(STAMP) $(BENCH_LOCK)
	$(UV_INSTALL) -r $(BENCH_LOCK)
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

# Refresh the locks after changing dependencies in pyproject.toml, or to take newer
# releases (UPGRADE=1). Versions already locked are kept unless UPGRADE=1.
# Only uv is needed: a dependency just added to pyproject.toml is not installed yet.
lock: $(UV)
	$(UV) pip compile pyproject.toml --quiet --extra dev --generate-hashes \
	  --python-version 3.11 $(if $(UPGRADE),--upgrade) -o $(LOCK)
	$(UV) pip compile pyproject.toml --quiet --extra dev --extra bench --generate-hashes \
	  --python-version 3.11 -c $(LOCK) -o $(BENCH_LOCK)

# Re-extract strings after changing user-facing text (needs GNU gettext's xgettext).
messages: install
	$(PY) manage.py makemessages -l ja --no-location -i .venv -i tests -i bench -i var

# Backups of the PostgreSQL database at DATABASE_URL (pg_dump's custom format, which
# pg_restore reads selectively and in parallel). Run from cron; keep copies off the host.
BACKUP_DIR ?= var/backups
backup:
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; \
	  *) echo "make backup needs DATABASE_URL=postgres://... (SQLite demo data is not backed up)" >&2; exit 2;; esac
	@mkdir -p $(BACKUP_DIR)
	@file=$(BACKUP_DIR)/ikiiki-$$(date -u +%Y%m%dT%H%M%SZ).dump; \
	  pg_dump --format=custom --no-owner --no-privileges --file="$$file" "$$DATABASE_URL" && \
	  echo "$$file"

# Restore DUMP into the EMPTY database at RESTORE_URL (default DATABASE_URL), in one
# transaction (all or nothing), then prove the ledger with points_audit.
restore:
	@test -n "$(DUMP)" || { echo "usage: make restore DUMP=var/backups/x.dump [RESTORE_URL=postgres://.../empty_db]" >&2; exit 2; }
	@target="$${RESTORE_URL:-$$DATABASE_URL}"; \
	  case "$$target" in postgres://*|postgresql://*) ;; *) echo "RESTORE_URL must be postgres://..." >&2; exit 2;; esac; \
	  pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$$target" "$(DUMP)" && \
	  DATABASE_URL="$$target" $(PY) manage.py points_audit

clean:
	rm -rf $(VENV) var mutants .pytest_cache .ruff_cache node_modules
