"""Generated cities for the benchmarks that measure growth (``bench_pages``,
``bench_jobs``): one PostgreSQL database per scale, made by ``manage.py seed_city``.

A city at scale 1 takes 6–40 minutes to generate on a two-core machine (6.4 minutes
idle), so a database is kept between runs and reused when its fingerprint still
matches: the scale, the seed, the month it is anchored on (``seed_city`` dates ten
fiscal years back from today) and a hash of the generator files. A kept city is brought
up to date with ``migrate``, as a real city's database is; anything else drops and
generates it again. ``BENCH_CITY_FRESH=1`` always generates.

Benchmarks that write (jobs, scans) never touch the kept city: they work on a copy made
with ``CREATE DATABASE … TEMPLATE`` (:func:`city_copy`), dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PREFIX = os.environ.get("BENCH_DB_PREFIX", "ikiiki")
SEED = int(os.environ.get("BENCH_CITY_SEED", "1"))
FRESH = os.environ.get("BENCH_CITY_FRESH", "") not in ("", "0")


class CityError(SystemExit):
    pass


def _connect(dbname: str = "postgres"):
    import psycopg

    try:
        return psycopg.connect(f"{PG_URL}/{dbname}", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise CityError(
            f"PostgreSQL is not reachable at {PG_URL} ({str(exc).strip()}); "
            "start it or set BENCH_PG_URL"
        ) from exc


def database_name(scale: float) -> str:
    return f"{PREFIX}_city_s{format(scale, 'g').replace('.', '_')}"


def database_url(name: str) -> str:
    return f"{PG_URL}/{name}"


def fingerprint(scale: float, seed: int = SEED) -> str:
    """What the kept database must match to be reused."""
    digest = hashlib.sha256(VOUCHER_CODE_KEY.encode())
    platform = ROOT / "platform"
    files = sorted(
        [
            *platform.glob("*/city.py"),
            *(p for p in ROOT.glob("*/city.py") if p.parent.name != "bench"),  # volunteers, cms
            platform / "core" / "management" / "commands" / "seed_city.py",
        ]
    )
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    month = dt.date.today().strftime("%Y-%m")
    return f"seed_city scale={scale:g} seed={seed} anchored={month} code={digest.hexdigest()[:16]}"


def _comment(conn, name: str) -> str | None:
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [name],
    ).fetchone()
    return None if row is None else (row[0] or "")


#: The key voucher codes are sealed with in every generated city, the same in every
#: checkout (else it falls back to the generating checkout's var/dev-secret-key and
#: another checkout cannot open a kept city's codes). Part of the fingerprint.
VOUCHER_CODE_KEY = "bench-city-voucher-code-key-not-a-secret-0123456789"


def django_env(database: str, settings: str = "config.settings", **extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        DATABASE_URL=database_url(database),
        PYTHONPATH=os.pathsep.join(
            [str(ROOT / "platform"), str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
        ),
        DEBUG="0",
        CELERY_TASK_ALWAYS_EAGER="1",
        LOG_LEVEL="WARNING",
        VOUCHER_CODE_KEY=VOUCHER_CODE_KEY,
    )
    env.update(extra)
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_REPLICA_URL", None)
    return env


def _manage(database: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=django_env(database),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise CityError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    return done.stdout


def city_database(scale: float, seed: int = SEED, log=print) -> str:
    """The name of a database holding ``seed_city --scale scale --seed seed`` on the
    current code, generated when missing or stale."""
    name = database_name(scale)
    wanted = fingerprint(scale, seed)
    with _connect() as conn:
        reuse = not FRESH and _comment(conn, name) == wanted
    if reuse:
        _manage(name, "migrate", "--noinput", "-v0")  # as a real city is, on upgrade
        log(f"  city {name}: reused ({wanted})")
        return name
    with _connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"  city {name}: generating scale {scale:g} (seed {seed}) …")
    started = time.perf_counter()
    _manage(name, "migrate", "--noinput", "-v0")
    _manage(name, "seed_city", "--scale", format(scale, "g"), "--seed", str(seed))
    with _connect(name) as conn:
        conn.execute("VACUUM ANALYZE")
    with _connect() as conn:
        # Marked only once complete: an interrupted generation is never reused.
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{wanted}'")
    log(f"  city {name}: generated in {time.perf_counter() - started:.0f} s")
    return name


def city_copy(scale: float, suffix: str, seed: int = SEED, log=print) -> str:
    """A throwaway copy of the scale's city, for benchmarks that write."""
    source = city_database(scale, seed, log=log)
    name = f"{source}_{suffix}"
    started = time.perf_counter()
    with _connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [source],
        )
        # FILE_COPY: one checkpoint and a copy of the files, instead of writing a city
        # of several GB through the WAL (PostgreSQL 15's default strategy).
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY FILE_COPY')
    log(f"  copy {name}: {time.perf_counter() - started:.0f} s")
    return name


def drop(name: str) -> None:
    with _connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":  # python -m bench.city 0.01 0.1 1: generate ahead of a run
    for arg in sys.argv[1:] or ["0.01"]:
        city_database(float(arg))
