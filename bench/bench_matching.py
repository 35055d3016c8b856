"""Matching latency for one help request on PostgreSQL at 1,000, 10,000 and 100,000
volunteers, and the 100k/1k ratio (the baseline is the same query at 1,000 volunteers,
measured in the same run).

What is measured: ``volunteers.selectors.profiles.suggest(request, limit=10)`` — the hard
filters, the weighted preferences and the reasons, evaluated as a user would see them
(the list is fully built) — called ``ITERATIONS`` times after a warm-up; median and
95th percentile in milliseconds. Targets: median under 50 ms at 100,000 and a ratio
under 5.

Set-up (database ``ikiiki_bench_matching``, dropped and recreated, then migrated; override
with ``BENCH_MATCHING_DB``): volunteers are generated with bulk SQL
(``generate_series``), deterministic from their number: home district ``n % 13`` and
the next one served for half of them, one or two of the four skills, three weekly
slots of 3–4 hours on different weekdays, 95 % with valid insurance, one in three with
a car, alternating gender. Each step of 1k → 10k → 100k adds volunteers to the same
database, with one past assignment this month per 20 volunteers (so the monthly load
subquery has rows to count) and the matching index rows derived from the profiles
exactly as ``matching_slots_rebuild`` does, then ``VACUUM ANALYZE`` (as autovacuum
would). The request: shopping in district 0 on a
Tuesday 10:00–11:00 for a resident who prefers a same-gender helper.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_MATCHING_DB", "ikiiki_bench_matching")
SIZES = (1_000, 10_000, 100_000, 1_000_000)
ITERATIONS = int(os.environ.get("BENCH_MATCHING_ITERATIONS", "200"))
WARMUP = 20
TARGET_MEDIAN_MS, TARGET_RATIO = 50.0, 5.0


def fail(message: str) -> None:
    raise SystemExit(f"bench_matching: {message}")


def role_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"{PG_URL}/{DB}",
        PYTHONPATH=os.pathsep.join(
            [str(ROOT / "platform"), str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
        ),
        DEBUG="0",
        CELERY_TASK_ALWAYS_EAGER="1",
        LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)
    return env


def main() -> None:
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        fail("psycopg is not installed; run `make bench`")
    try:
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB}"')
    except psycopg.OperationalError as exc:
        fail(f"PostgreSQL is not reachable at {PG_URL} ({exc}); set BENCH_PG_URL")
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=role_env(),
        capture_output=True,
        text=True,
    )
    if migrated.returncode != 0:
        fail(f"migrate failed:\n{migrated.stderr[-4000:]}")
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_matching", "measure"],
        cwd=ROOT,
        env=role_env(),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        fail(f"measuring failed:\n{done.stderr[-4000:]}")
    results = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{'volunteers':>11} {'eligible':>9} {'median ms':>10} {'p95 ms':>8}  top reasons")
    for row in results:
        print(
            f"{row['volunteers']:>11,} {row['eligible']:>9,} {row['median']:>10.2f} "
            f"{row['p95']:>8.2f}  {row['reasons']}"
        )
    base, big = results[0], results[-1]
    ratio = big["median"] / base["median"]
    print(
        f"ratio {_short(big['volunteers'])}/{_short(base['volunteers'])} (median): "
        f"{ratio:.2f} (target < {TARGET_RATIO}); median at {_short(big['volunteers'])}: "
        f"{big['median']:.1f} ms (target < {TARGET_MEDIAN_MS} ms)"
    )
    if big["median"] >= TARGET_MEDIAN_MS or ratio >= TARGET_RATIO:
        print("WARNING: a target was missed (see above).")


def _short(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1_000}k"


# --- In the Django subprocess -------------------------------------------------------

GENERATE = """
INSERT INTO accounts_user (password, is_superuser, email, full_name, full_name_kana, phone,
    preferred_language, is_staff, is_active, date_joined)
SELECT '!', false, 'bench' || n || '@example.jp', 'ボランティア ' || n, 'ボランティア', '',
    'ja', false, true, now()
FROM generate_series(%(first)s, %(last)s) AS n;

INSERT INTO volunteers_volunteerprofile (user_id, home_district_id, gender, has_car,
    insurance_valid_until, languages, active, left_reason)
SELECT u.id, d.id, CASE WHEN n %% 2 = 0 THEN 'female' ELSE 'male' END, n %% 3 = 0,
    CASE WHEN n %% 20 = 0 THEN DATE '2020-03-31' ELSE DATE '2099-03-31' END, '日本語', true, ''
FROM generate_series(%(first)s, %(last)s) AS n
JOIN accounts_user u ON u.email = 'bench' || n || '@example.jp'
JOIN accounts_district d ON d.sort_order = n %% 13;

INSERT INTO volunteers_volunteerprofile_districts (volunteerprofile_id, district_id)
SELECT u.id, d.id
FROM generate_series(%(first)s, %(last)s) AS n
JOIN accounts_user u ON u.email = 'bench' || n || '@example.jp'
JOIN accounts_district d ON d.sort_order = n %% 13 OR (n %% 2 = 0 AND d.sort_order = (n + 1) %% 13);

INSERT INTO volunteers_volunteerprofile_skills (volunteerprofile_id, helpcategory_id)
SELECT DISTINCT u.id, c.id
FROM generate_series(%(first)s, %(last)s) AS n
JOIN accounts_user u ON u.email = 'bench' || n || '@example.jp'
JOIN volunteers_helpcategory c ON c.sort_order = n %% 4 OR c.sort_order = (n / 4) %% 4;

INSERT INTO volunteers_weeklyavailability (profile_id, weekday, starts, ends)
SELECT u.id, (n + k * 2) %% 7, make_time(9 + (n + k) %% 4, 0, 0),
    make_time(9 + (n + k) %% 4 + 3 + n %% 2, 0, 0)
FROM generate_series(%(first)s, %(last)s) AS n
JOIN accounts_user u ON u.email = 'bench' || n || '@example.jp'
CROSS JOIN generate_series(0, 2) AS k;

INSERT INTO volunteers_matchingslot (profile_id, district_id, category_id, day_key, starts, ends)
SELECT p.user_id, pd.district_id, ps.helpcategory_id, w.weekday, w.starts, w.ends
FROM volunteers_volunteerprofile p
JOIN volunteers_volunteerprofile_districts pd ON pd.volunteerprofile_id = p.user_id
JOIN volunteers_volunteerprofile_skills ps ON ps.volunteerprofile_id = p.user_id
JOIN volunteers_weeklyavailability w ON w.profile_id = p.user_id
WHERE p.user_id IN (SELECT id FROM accounts_user WHERE email LIKE 'bench%%'
    AND id > %(max_before)s);

WITH helpers AS (
    SELECT u.id AS uid, n FROM generate_series(%(first)s, %(last)s, 20) AS n
    JOIN accounts_user u ON u.email = 'bench' || n || '@example.jp'
), made AS (
    INSERT INTO volunteers_helprequest (resident_id, category_id, district_id, starts_at,
        ends_at, place, notes, channel, status, created_at, cancel_reason)
    SELECT r.id, %(category)s, r.district_id,
        %(month)s::timestamptz + (h.n %% 20) * interval '1 day',
        %(month)s::timestamptz + (h.n %% 20) * interval '1 day' + interval '1 hour',
        '', h.uid::text, 'phone', 'confirmed', now(), ''
    FROM helpers h
    JOIN volunteers_resident r ON r.id = %(first_resident)s + h.n %% 200
    RETURNING id, notes, starts_at, ends_at
)
INSERT INTO volunteers_assignment (request_id, volunteer_id, status, starts_at, ends_at,
    assigned_by_id, assigned_at, cash_note)
SELECT id, notes::bigint, 'confirmed', starts_at, ends_at, notes::bigint, now(), '' FROM made;
"""


def role_measure() -> list[dict]:
    import datetime as dt

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from accounts.demo import DISTRICTS
    from accounts.models import District, User
    from volunteers.defaults import help_categories_ensure
    from volunteers.models import HelpCategory, HelpRequest, Resident
    from volunteers.selectors.profiles import eligible_volunteers, suggest

    help_categories_ensure()
    for order, (code, name, kana) in enumerate(DISTRICTS):
        District.objects.update_or_create(
            code=code, defaults={"name": name, "name_kana": kana, "sort_order": order}
        )
    district = District.objects.get(sort_order=0)
    residents = Resident.objects.bulk_create(
        Resident(
            full_name=f"住民 {i}",
            full_name_kana="ジュウミン",
            address=f"中央{i}",
            district=District.objects.get(sort_order=i % 13),
            gender="female",
        )
        for i in range(200)
    )
    resident = residents[0]
    resident.prefers_same_gender = True
    resident.save()
    today = timezone.localdate()
    tuesday = today + dt.timedelta(days=(1 - today.weekday()) % 7 or 7)
    zone = timezone.get_current_timezone()
    request = HelpRequest.objects.create(
        resident=resident,
        category=HelpCategory.objects.get(code="shopping"),
        district=district,
        starts_at=dt.datetime.combine(tuesday, dt.time(10), tzinfo=zone),
        ends_at=dt.datetime.combine(tuesday, dt.time(11), tzinfo=zone),
    )
    month = dt.datetime(tuesday.year, tuesday.month, 1, 9, tzinfo=zone)
    results = []
    made = 0
    for size in SIZES:
        with connection.cursor() as cursor:
            params = {
                "first": made + 1,
                "last": size,
                "max_before": User.objects.order_by("-pk").values_list("pk", flat=True).first()
                or 0,
                "category": request.category_id,
                "first_resident": residents[0].pk,
                "month": month.isoformat(),
            }
            for statement in GENERATE.split(";\n\n"):
                if statement.strip():
                    cursor.execute(statement, params)
            # What autovacuum does in production: statistics, and the visibility map
            # that lets the matching index be read without visiting the table.
            cursor.execute("VACUUM ANALYZE")
        made = size
        for _ in range(WARMUP):
            suggest(request, limit=10)
        timings = []
        for _ in range(ITERATIONS):
            started = time.perf_counter()
            found = suggest(request, limit=10)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        results.append(
            {
                "volunteers": size,
                "eligible": eligible_volunteers(request).count(),
                "median": statistics.median(timings),
                "p95": timings[int(len(timings) * 0.95) - 1],
                "reasons": "; ".join(found[0].reasons) if found else "(none)",
            }
        )
    return results


if __name__ == "__main__":
    if sys.argv[1:] == ["measure"]:
        print(json.dumps(role_measure(), ensure_ascii=False))
    else:
        raise SystemExit("usage: python -m bench.bench_matching measure")
