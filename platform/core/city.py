"""Shared pieces of ``seed_city``: the scale, the seed and the SQL helpers each app's
generator uses (``settings.CITY_SEEDERS``, in dependency order, like ``seed_demo``).

Everything is written with bulk SQL (``INSERT … SELECT`` over ``generate_series``), on
PostgreSQL only. "Random" choices are ``hashint8extended(key, seed)``: the same seed
gives the same rows, whatever the machine.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

# Row counts at scale 1; each is multiplied by the scale (at least 1 row).
AT_SCALE_1 = {
    "residents": 150_000,
    "volunteers": 20_000,
    "shops": 1_000,
    "places": 500,
    "events": 10_000,
    "proposals": 2_000,
    "aid_recipients": 3_000,
    "help_requests": 30_000,
}
FISCAL_YEARS = 10


@dataclass
class City:
    """What the generators share: the scale, the seed, the time anchor and the counts
    and id bases they hand on to each other."""

    scale: float
    seed: int
    out: object
    today: dt.date = field(default_factory=timezone.localdate)
    facts: dict = field(default_factory=dict)

    def count(self, name: str) -> int:
        return max(1, round(AT_SCALE_1[name] * self.scale))

    @property
    def first_fiscal_year(self) -> int:
        """The April of the oldest of the ten fiscal years (the last is the current)."""
        current = self.today.year if self.today.month >= 4 else self.today.year - 1
        return current - FISCAL_YEARS + 1

    @property
    def now(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.today, dt.time(0)))

    def params(self, **extra) -> dict:
        return {"seed": self.seed, "today": self.today, "now": self.now, **extra}

    def run(self, label: str, sql: str, **params) -> int:
        """Execute ``sql`` (statements separated by a blank line), report time and rows."""
        started = time.perf_counter()
        rows = 0
        with connection.cursor() as cursor:
            for statement in sql.split(";\n\n"):
                if statement.strip():
                    cursor.execute(statement, self.params(**params))
                    rows += max(cursor.rowcount, 0)
        self.out.write(f"  {label}: {rows:,} rows, {time.perf_counter() - started:.1f} s")
        return rows

    def scalar(self, sql: str, **params):
        with connection.cursor() as cursor:
            cursor.execute(sql, self.params(**params))
            return cursor.fetchone()[0]


def rnd(expression: str, salt: int) -> str:
    """SQL for a deterministic pseudo-random non-negative bigint from ``expression``
    (an integer) and ``salt``, under the run's seed."""
    return f"abs(hashint8extended(({expression})::bigint * 1000 + {salt}, %(seed)s))"


def max_id(table: str, column: str = "id") -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"')  # noqa: S608
        return cursor.fetchone()[0]


def sequences_reset(*tables: str) -> None:
    """Move each table's id sequence past the ids written explicitly."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                f'GREATEST((SELECT MAX(id) FROM "{table}"), 1))',
                [table],
            )
