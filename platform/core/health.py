"""What the load balancer's health check looks at: the database, the cache, the broker
(when Redis is configured) and whether every migration is applied.

Polled every few seconds by every balancer, so each check is one round trip with a
short timeout, and the migration check (which loads every migration file) is
remembered for :data:`MIGRATIONS_CHECK_TTL` seconds per process.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

MIGRATIONS_CHECK_TTL = 30.0
BROKER_TIMEOUT = 2.0

_migrations: dict[str, float | bool] = {}


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    cache.set("healthz", "ok", timeout=10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache read back nothing")


def _broker() -> None:
    import redis

    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL,
        socket_timeout=BROKER_TIMEOUT,
        socket_connect_timeout=BROKER_TIMEOUT,
    )
    try:
        client.ping()
    finally:
        client.close()


def _migrations_applied() -> None:
    now = time.monotonic()
    checked_at = _migrations.get("checked_at")
    if checked_at is None or now - checked_at > MIGRATIONS_CHECK_TTL:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        _migrations.update(checked_at=now, applied=not plan)
    if not _migrations["applied"]:
        raise RuntimeError("unapplied migrations")


def forget_migrations_check() -> None:
    """Check the migrations afresh on the next call (tests, after migrating)."""
    _migrations.clear()


def run_checks() -> dict[str, str]:
    """Each check's name mapped to ``"ok"``, ``"fail"`` or ``"skipped"``. Failures
    name only the check: no error text (it could carry hosts or credentials)."""
    checks = {"database": _database, "cache": _cache, "migrations": _migrations_applied}
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        checks["broker"] = _broker
    results = {"broker": "skipped"}
    for name, check in checks.items():
        try:
            check()
        except Exception:  # noqa: BLE001 - any failure is a failed check
            if name == "migrations":  # a database that is down fails here too
                forget_migrations_check()
            results[name] = "fail"
        else:
            results[name] = "ok"
    return results
