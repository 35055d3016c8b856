"""Matching latency for one help request on PostgreSQL at 1,000, 10,000, 100,000 and
1,000,000 volunteers, and the 1M/1k ratio (the baseline is the same call at 1,000
volunteers, measured in the same run).

What is measured: ``volunteers.selectors.profiles.suggest(request, limit=10)`` — the hard
filters, the weighted preferences and the reasons, evaluated as a user would see them
(the list is fully built) — called ``ITERATIONS`` times after a warm-up; median and
95th percentile in milliseconds. Targets: median under 50 ms at 1,000,000 and a ratio
under 5.

Set-up: one database per size, ``{BENCH_MATCHING_DB}_1k`` … ``_1m`` (default
``ikiiki_bench_matching_…``), kept between runs and reused while its fingerprint (the
size, the generation code) matches, after ``migrate``; ``BENCH_MATCHING_FRESH=1``
generates again. A missing or stale one is a ``CREATE DATABASE … TEMPLATE`` copy of the
previous size's with the volunteers added (the first is migrated and filled from
nothing), so a first run generates 1,000,000 volunteers once (about 5–8 minutes on the
loaded two cores) and later runs only measure. Volunteers are generated with bulk SQL
(``generate_series``), deterministic from their number: home district ``n % 13`` and
the next one served for half of them, one or two of the four skills, three weekly
slots of 3–4 hours on different weekdays, 95 % with valid insurance, one in three with
a car, alternating gender; one past assignment in the request's month per 20
volunteers (so the monthly load has rows to count) and the matching index rows derived
from the profiles exactly as ``matching_slots_rebuild`` does, then ``VACUUM ANALYZE``
(as autovacuum would). The request: shopping in district 0 on Tuesday 2030-06-04
10:00–11:00 (a fixed day, so a kept database does not go stale) for a resident who
prefers a same-gender helper. Results and what limits them: bench/README.md.
"""

from __future__ import annotations

import hashlib
import inspect
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
FRESH = os.environ.get("BENCH_MATCHING_FRESH", "") not in ("", "0")
# The request's Tuesday (fixed, so a kept database does not go stale with the date).
DAY = (2030, 6, 4)


def fail(message: str) -> None:
    raise SystemExit(f"bench_matching: {message}")


def role_env(database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"{PG_URL}/{database}",
        PYTHONPATH=os.pathsep.join(
            [str(ROOT / "platform"), str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
        ),
        DEBUG="0",
        CELERY_TASK_ALWAYS_EAGER="1",
        LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_REPLICA_URL", None)
    return env


def database_name(size: int) -> str:
    return f"{DB}_{_short(size).lower()}"


def fingerprint(size: int) -> str:
    """What a kept database must match to be reused: the size and the generation
    code. Migrations are applied to a kept database (``migrate``), as a real city's
    database is upgraded; one that changes the matching index changes the generation
    SQL too."""
    digest = hashlib.sha256()
    digest.update(GENERATE.encode())
    digest.update(inspect.getsource(role_generate).encode())
    return f"bench_matching volunteers={size} code={digest.hexdigest()[:16]}"


def _child(database: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=role_env(database),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        fail(f"{' '.join(args)} failed:\n{done.stderr[-4000:]}")
    return done.stdout


def database_ready(conn, size: int, previous: tuple[int, str] | None) -> str:
    """The database of ``size`` volunteers, generated when missing or stale: a copy
    of the previous size's (``CREATE DATABASE … TEMPLATE``) with the volunteers
    added, or migrated and filled from nothing."""
    name = database_name(size)
    wanted = fingerprint(size)
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [name],
    ).fetchone()
    if not FRESH and row is not None and row[0] == wanted:
        _child(name, "manage.py", "migrate", "--noinput", "-v0")
        print(f"  {name}: reused (migrated)")
        return name
    started = time.perf_counter()
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if previous is None:
        conn.execute(f'CREATE DATABASE "{name}"')
        _child(name, "manage.py", "migrate", "--noinput", "-v0")
        made = 0
    else:
        made, source = previous
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY FILE_COPY')
    _child(name, "-m", "bench.bench_matching", "generate", str(made), str(size))
    # Marked only once complete: an interrupted generation is never reused.
    conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{wanted}'")
    print(f"  {name}: generated in {time.perf_counter() - started:.0f} s")
    return name


def main() -> None:
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        fail("psycopg is not installed; run `make bench`")
    try:
        conn = psycopg.connect(f"{PG_URL}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        fail(f"PostgreSQL is not reachable at {PG_URL} ({exc}); set BENCH_PG_URL")
    results, previous = [], None
    with conn:
        for size in SIZES:
            name = database_ready(conn, size, previous)
            out = _child(name, "-m", "bench.bench_matching", "measure", str(size))
            results.append(json.loads(out.strip().splitlines()[-1]))
            previous = (size, name)
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
        f"{big['median']:.1f} ms (target < {TARGET_MEDIAN_MS} ms); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if big["median"] >= TARGET_MEDIAN_MS or ratio >= TARGET_RATIO:
        print("MISSED: a target was missed (see above).")


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

INSERT INTO volunteers_matchingslot (profile_id, district_id, category_id, day_key, starts, ends,
    home, gender, has_car)
SELECT p.user_id, pd.district_id, ps.helpcategory_id, w.weekday, w.starts, w.ends,
    pd.district_id IS NOT DISTINCT FROM p.home_district_id, p.gender, p.has_car
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


def _bench_request():
    from volunteers.models import HelpRequest

    return HelpRequest.objects.select_related("resident", "category").get(notes="bench_matching")


def role_generate(made: int, size: int) -> None:
    """Add volunteers ``made + 1`` … ``size`` (with the districts, categories, residents
    and the request to rank when starting from nothing), then ``VACUUM ANALYZE``."""
    import datetime as dt

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from accounts.demo import DISTRICTS
    from accounts.models import District, User
    from volunteers.defaults import help_categories_ensure
    from volunteers.models import HelpCategory, HelpRequest, Resident, VolunteerProfile

    zone = timezone.get_current_timezone()
    tuesday = dt.date(*DAY)
    if not made:
        help_categories_ensure()
        for order, (code, name, kana) in enumerate(DISTRICTS):
            District.objects.update_or_create(
                code=code, defaults={"name": name, "name_kana": kana, "sort_order": order}
            )
        residents = Resident.objects.bulk_create(
            Resident(
                full_name=f"住民 {i}",
                full_name_kana="ジュウミン",
                address=f"中央{i}",
                district=District.objects.get(sort_order=i % 13),
                gender="female",
                prefers_same_gender=i == 0,
            )
            for i in range(200)
        )
        HelpRequest.objects.create(
            resident=residents[0],
            category=HelpCategory.objects.get(code="shopping"),
            district=District.objects.get(sort_order=0),
            starts_at=dt.datetime.combine(tuesday, dt.time(10), tzinfo=zone),
            ends_at=dt.datetime.combine(tuesday, dt.time(11), tzinfo=zone),
            notes="bench_matching",
        )
    request = _bench_request()
    month = dt.datetime(tuesday.year, tuesday.month, 1, 9, tzinfo=zone)
    with connection.cursor() as cursor:
        params = {
            "first": made + 1,
            "last": size,
            "max_before": User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
            "category": request.category_id,
            "first_resident": Resident.objects.order_by("pk").values_list("pk", flat=True)[0],
            "month": month.isoformat(),
        }
        for statement in GENERATE.split(";\n\n"):
            if statement.strip():
                cursor.execute(statement, params)
        # What autovacuum does in production: statistics, and the visibility map
        # that lets the matching index be read without visiting the table.
        cursor.execute("VACUUM ANALYZE")
    if VolunteerProfile.objects.count() != size:
        raise SystemExit(f"expected {size} volunteer profiles")


def role_measure(size: int) -> dict:
    import django

    django.setup()
    from volunteers.models import VolunteerProfile
    from volunteers.selectors.profiles import eligible_volunteers, ranked_volunteers, suggest

    if VolunteerProfile.objects.count() != size:
        raise SystemExit(f"expected {size} volunteer profiles")
    request = _bench_request()
    for _ in range(WARMUP):
        suggest(request, limit=10)
    timings = []
    for _ in range(ITERATIONS):
        started = time.perf_counter()
        found = suggest(request, limit=10)
        timings.append((time.perf_counter() - started) * 1000)
    if len(found) != 10:
        raise SystemExit(f"expected 10 suggestions, found {len(found)}")
    # The same ten, in the same order with the same scores, as ranking every eligible
    # volunteer (what suggest() did before it stopped early).
    everyone = [(p.pk, p.score) for p in ranked_volunteers(request)[:10]]
    if [(s.profile.pk, s.score) for s in found] != everyone:
        raise SystemExit(f"suggest() differs from ranking everyone: {everyone}")
    timings.sort()
    return {
        "volunteers": size,
        "eligible": eligible_volunteers(request).count(),
        "median": statistics.median(timings),
        "p95": timings[int(len(timings) * 0.95) - 1],
        "reasons": "; ".join(found[0].reasons),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["generate"]:
        role_generate(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1:2] == ["measure"]:
        print(json.dumps(role_measure(int(sys.argv[2])), ensure_ascii=False))
    else:
        raise SystemExit("usage: python -m bench.bench_matching generate MADE SIZE | measure SIZE")
