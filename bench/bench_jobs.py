"""The nightly and monthly jobs on a generated city at two scales (issue #18, item 3).

Jobs, each called through its Celery task (eager) or, for the report, through the
selectors the report's view calls:

* ``expiry``: ``points.expire_points`` (``points_expire_due``), per wallet examined;
* ``statements``: ``points.generate_statements`` for last month
  (``statements_generate_month``), per shop;
* ``standing``: ``volunteers.generate_standing_requests``
  (``standing_requests_generate``), per standing request;
* ``forgotten``: ``volunteers.close_forgotten_checkouts``
  (``activities_close_forgotten``), per activity closed;
* ``fiscal``: ``centre_fiscal`` + ``points_fiscal`` for the last complete fiscal year
  (``/admin/reports/annual/``), per ledger transaction of the year.

For each scale (``BENCH_JOBS_SCALES``, default ``0.1,1``) the kept city
(``bench.city``) is copied (``city_copy(scale, "jobs")``), the copy is given work for
every job with bulk SQL in the same proportion at each scale (``prepare``), then per
job: a raw SQL baseline doing the same reads and writes, inside a transaction that is
rolled back after its deferred checks ran (``SET CONSTRAINTS ALL IMMEDIATE``), then
the job in a fresh process. Peak memory is the child's ``ru_maxrss`` from
``os.wait4`` minus that of a child that only sets Django and Celery up and imports the
same modules (``idle``); both reset their peak after set-up (``/proc/self/clear_refs``),
so the difference is what the job added. Afterwards the copy is checked (the work each
job did, exactly, and ``manage.py points_audit``) and dropped.

Roles (subprocesses, with Django): ``prepare``, ``idle``, ``job NAME``,
``capture fiscal``. The parent never imports Django. See bench/README.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALES = tuple(float(s) for s in os.environ.get("BENCH_JOBS_SCALES", "0.1,1").split(","))
JOBS = ("expiry", "statements", "standing", "forgotten", "fiscal")
SUFFIX = "jobs"
TARGET = 1.2
TZ = "Asia/Tokyo"

#: What each job's items are (the unit of "time per item").
ITEM = {
    "expiry": "wallet examined",
    "statements": "shop",
    "standing": "standing request",
    "forgotten": "activity closed",
    "fiscal": "transaction in the year",
}
#: Vouchers redeemed at each shop in the month being settled.
VOUCHERS_PER_SHOP = 4
#: Wallets whose earned points are given a validity of two years (one in four).
EXPIRY_DAYS = 730


def fail(message: str) -> None:
    raise SystemExit(f"bench_jobs: {message}")


# --- Orchestration (no Django in this process) --------------------------------------


def _child(database: str, *args: str) -> tuple[dict, int]:
    """Run ``python -m bench.bench_jobs ARGS`` on ``database``; (its JSON, peak RSS KiB)."""
    from bench.city import django_env

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_jobs", *args],
            cwd=ROOT,
            env=django_env(database),
            stdout=out,
            stderr=err,
            text=True,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            fail(f"{' '.join(args)} failed:\n{err.read()[-4000:]}")
        return json.loads(out.read().strip().splitlines()[-1]), usage.ru_maxrss


def _connect(database: str):
    import psycopg

    from bench.city import database_url

    return psycopg.connect(database_url(database), autocommit=True)


def _baseline(database: str, job: str, facts: dict) -> float:
    """Seconds the raw SQL of ``job`` takes (its writes rolled back after the deferred
    checks ran); checks that it found the same work as expected."""
    statements = BASELINE[job](facts)
    with _connect(database) as conn:
        started = time.perf_counter()
        conn.execute("BEGIN")
        rows = 0
        for sql, params, counts in statements:
            cursor = conn.execute(sql, params)
            if counts:
                rows += cursor.rowcount
            if cursor.description is not None:
                cursor.fetchall()
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        elapsed = time.perf_counter() - started
        conn.execute("ROLLBACK")
    expected = facts[job]["baseline_rows"]
    if expected is not None and rows != expected:
        fail(f"{job}: the SQL baseline wrote {rows} rows, expected {expected}")
    return elapsed


def _verify(database: str, facts: dict, results: dict) -> list[str]:
    """What each job should have done, against what the copy holds now."""
    errors = []
    with _connect(database) as conn:

        def one(sql, params=None):
            return conn.execute(sql, params or {}).fetchone()

        exp = facts["expiry"]
        count, total = one(
            "SELECT count(*), COALESCE(sum(e.amount), 0)::bigint FROM points_transaction t "
            "JOIN points_entry e ON e.transaction_id = t.id AND e.account_id = %(a)s "
            "WHERE t.kind = 'expire'",
            {"a": exp["expired_account"]},
        )
        (mismatched,) = one(
            "SELECT count(*) FROM bench_jobs_expiry x FULL JOIN ("
            " SELECT e.account_id, -e.amount AS amount FROM points_entry e"
            " JOIN points_transaction t ON t.id = e.transaction_id"
            " WHERE t.kind = 'expire' AND e.amount < 0) y ON y.account_id = x.wallet "
            "WHERE COALESCE(x.amount, 0) <> COALESCE(y.amount, 0)"
        )
        if (count, total, mismatched) != (exp["expired"], exp["points"], 0):
            errors.append(
                f"expiry: {count} wallets / {total} points expired ({mismatched} wallets "
                f"differ), expected {exp['expired']} / {exp['points']}"
            )
        if results["expiry"]["result"] != exp["expired"]:
            errors.append(f"expiry: the task returned {results['expiry']['result']}")
        st = facts["statements"]
        got = one(
            "SELECT count(*), COALESCE(sum(voucher_count), 0)::bigint, "
            "COALESCE(sum(total_points), 0)::bigint "
            "FROM points_settlementstatement WHERE month = %(m)s AND status = 'open'",
            {"m": st["month"]},
        )
        if (
            list(got) != [st["items"], st["vouchers"], st["points"]]
            or results["statements"]["result"] != st["items"]
        ):
            errors.append(f"statements: {got}, expected {st}")
        sr = facts["standing"]
        (made,) = one(
            "SELECT count(*) FROM volunteers_helprequest WHERE standing_id IS NOT NULL "
            "AND starts_at >= %(t)s",
            {"t": sr["today_start"]},
        )
        if made != sr["created"] or results["standing"]["result"] != sr["created"]:
            errors.append(
                f"standing: {made} requests ahead ({results['standing']['result']} "
                f"reported), expected {sr['created']}"
            )
        fo = facts["forgotten"]
        closed, still_open = one(
            "SELECT count(*) FILTER (WHERE status = 'review' AND auto_closed AND "
            "review_reason = 'forgotten_checkout'), count(*) FILTER (WHERE status = 'open') "
            "FROM volunteers_activity"
        )
        if (closed, still_open, results["forgotten"]["result"]) != (
            fo["items"],
            fo["not_due"],
            fo["items"],
        ):
            errors.append(
                f"forgotten: {closed} closed, {still_open} open, expected {fo['items']} "
                f"closed and {fo['not_due']} open"
            )
        fi = facts["fiscal"]
        if results["fiscal"]["result"] != fi["figures"]:
            errors.append(f"fiscal: {results['fiscal']['result']}, expected {fi['figures']}")
    from bench.city import _manage

    try:
        audit = _manage(database, "points_audit")
    except SystemExit as exc:
        errors.append(f"points_audit: {exc}")
    else:
        if "points ledger audit passed" not in audit:
            errors.append(f"points_audit:\n{audit}")
    return errors


def main() -> None:
    from bench.city import city_copy, drop

    copies: dict[float, str] = {}
    facts: dict[float, dict] = {}
    idle: dict[float, int] = {}
    runs: dict[float, dict] = {scale: {} for scale in SCALES}
    errors: list[str] = []
    try:
        for scale in SCALES:
            copies[scale] = city_copy(scale, SUFFIX)
            started = time.perf_counter()
            facts[scale], _ = _child(copies[scale], "prepare")
            _, idle[scale] = _child(copies[scale], "idle")
            print(f"  scale {scale:g}: prepared in {time.perf_counter() - started:.0f} s")
        # Job by job, each scale right after the other: drift in the machine's load
        # between the two measurements of a ratio stays small.
        for job in JOBS:
            for scale in SCALES:
                copy = copies[scale]
                if job == "fiscal":
                    captured, _ = _child(copy, "capture", "fiscal")
                    facts[scale]["fiscal"]["statements"] = captured["statements"]
                sql = _baseline(copy, job, facts[scale])
                measured, peak = _child(copy, "job", job)
                measured.update(
                    sql=sql, peak=peak, idle=idle[scale], items=facts[scale][job]["items"]
                )
                runs[scale][job] = measured
                print(
                    f"  scale {scale:g} {job}: {measured['items']:,} items, "
                    f"{measured['seconds']:.2f} s (SQL {sql:.2f} s), peak "
                    f"{peak / 1024:.1f} MiB (idle {idle[scale] / 1024:.1f})"
                )
        for scale in SCALES:
            for error in _verify(copies[scale], facts[scale], runs[scale]):
                errors.append(f"scale {scale:g}: {error}")
    finally:
        for copy in copies.values():
            drop(copy)
    _report(runs)
    if errors:
        fail("checks failed:\n  " + "\n  ".join(errors))


def _report(runs: dict[float, dict]) -> None:
    small, large = min(runs), max(runs)
    print(
        f"{'job':<11} {'item':<24} {'items':>15} {'ms/item':>15} {'ratio':>6} "
        f"{'job/SQL':>11} {'memory MiB':>13} {'ratio':>6} {'CPU ms/item':>15}"
    )
    missed = []
    for job in JOBS:
        a, b = runs[small][job], runs[large][job]
        per = [r["seconds"] / max(1, r["items"]) * 1000 for r in (a, b)]
        mem = [max(0, r["peak"] - r["idle"]) / 1024 for r in (a, b)]
        cpu = [r["cpu"] / max(1, r["items"]) * 1000 for r in (a, b)]
        vs_sql = [r["seconds"] / r["sql"] if r["sql"] else float("inf") for r in (a, b)]
        time_ratio = per[1] / per[0] if per[0] else float("inf")
        # A job that allocates under 1 MiB at the small scale is measured against 1 MiB.
        mem_ratio = mem[1] / max(mem[0], 1.0)
        print(
            f"{job:<11} {ITEM[job]:<24} {a['items']:>7,}/{b['items']:<7,} "
            f"{per[0]:>7.3f}/{per[1]:<7.3f} {time_ratio:>6.2f} "
            f"{vs_sql[0]:>5.1f}/{vs_sql[1]:<5.1f} {mem[0]:>6.2f}/{mem[1]:<6.2f} "
            f"{mem_ratio:>6.2f} {cpu[0]:>7.3f}/{cpu[1]:<7.3f}"
        )
        for label, ratio in (("time per item", time_ratio), ("memory", mem_ratio)):
            if ratio > TARGET:
                missed.append(f"MISSED: {job} {label} ratio {ratio:.2f} > {TARGET}")
    print(
        f"(scales {small:g} / {large:g}; ratio = scale {large:g} / scale {small:g}, "
        f"target <= {TARGET}; memory = peak RSS of the job's process minus an idle Django "
        "process, os.wait4 ru_maxrss; CPU = the job process's own CPU time, information)"
    )
    for line in missed:
        print(line)


# --- Raw SQL baselines (run by the parent, psycopg, rolled back) --------------------

EXPIRY_SQL = [
    (
        """
CREATE TEMP TABLE b_expire ON COMMIT DROP AS
WITH candidates AS (
    SELECT a.id, a.balance FROM points_account a
    WHERE a.kind = 'wallet' AND a.balance > 0 AND EXISTS (
        SELECT 1 FROM points_entry e JOIN points_transaction t ON t.id = e.transaction_id
        WHERE e.account_id = a.id AND t.kind = 'earn' AND t.expires_on < %(today)s)
    ORDER BY a.id FOR NO KEY UPDATE OF a
)
SELECT c.id AS wallet, GREATEST(0, LEAST(c.balance,
    SUM(CASE WHEN e.amount > 0 AND t.expires_on < %(today)s THEN e.amount ELSE 0 END)
    + SUM(LEAST(e.amount, 0)))) AS amount
FROM candidates c JOIN points_entry e ON e.account_id = c.id
JOIN points_transaction t ON t.id = e.transaction_id
GROUP BY c.id, c.balance""",
        False,
    ),
    (
        """
INSERT INTO points_transaction (kind, idempotency_key, fingerprint, reference, created_at,
    memo, capped_points, cap_reason)
SELECT 'expire', 'expire:' || wallet || ':' || %(today)s, md5(wallet::text), 'expire:' || %(today)s,
    now(), '', 0, ''
FROM b_expire WHERE amount > 0 ORDER BY wallet
ON CONFLICT (idempotency_key) DO NOTHING""",
        True,
    ),
    (
        """
INSERT INTO points_entry (transaction_id, account_id, amount)
SELECT t.id, CASE leg WHEN 0 THEN b.wallet ELSE %(expired_account)s END,
    CASE leg WHEN 0 THEN -b.amount ELSE b.amount END
FROM b_expire b
JOIN points_transaction t ON t.idempotency_key = 'expire:' || b.wallet || ':' || %(today)s
CROSS JOIN generate_series(0, 1) AS leg WHERE b.amount > 0""",
        False,
    ),
    (
        """
UPDATE points_account a SET balance = a.balance - b.amount
FROM b_expire b WHERE a.id = b.wallet AND b.amount > 0""",
        False,
    ),
    (
        """
UPDATE points_account SET balance = balance + (SELECT COALESCE(sum(amount), 0) FROM b_expire)
WHERE id = %(expired_account)s""",
        False,
    ),
]

STATEMENTS_SQL = [
    (
        """
INSERT INTO points_settlementstatement (shop_id, month, voucher_count, total_points,
    total_yen, status, generated_at)
SELECT shop_id, %(month)s, count(*), sum(points), sum(face_value_yen), 'open', now()
FROM points_voucher
WHERE status = 'redeemed' AND redeemed_at >= %(start)s AND redeemed_at < %(end)s
GROUP BY shop_id ORDER BY shop_id
ON CONFLICT (shop_id, month) DO UPDATE SET voucher_count = EXCLUDED.voucher_count,
    total_points = EXCLUDED.total_points, total_yen = EXCLUDED.total_yen,
    generated_at = EXCLUDED.generated_at
WHERE points_settlementstatement.status <> 'paid'""",
        True,
    )
]

STANDING_SQL = [
    (
        """
SELECT id FROM volunteers_standingrequest
WHERE active AND first_date <= %(last)s AND (last_date IS NULL OR last_date >= %(today)s)
ORDER BY id FOR UPDATE""",
        False,
    ),
    (
        """
INSERT INTO volunteers_helprequest (starts_at, ends_at, place, notes, channel, status,
    created_at, cancel_reason, category_id, district_id, resident_id, standing_id)
SELECT (d.day + s.starts) AT TIME ZONE %(tz)s,
    (d.day + s.starts) AT TIME ZONE %(tz)s + s.duration_minutes * interval '1 minute',
    s.place, s.notes, 'standing', 'requested', now(), '', s.category_id, r.district_id,
    s.resident_id, s.id
FROM volunteers_standingrequest s
JOIN volunteers_resident r ON r.id = s.resident_id
CROSS JOIN LATERAL (
    SELECT g::date AS day FROM generate_series(%(today)s::date, %(last)s::date, interval '1 day') g
) d
WHERE s.active AND s.weekdays @> to_jsonb(extract(isodow FROM d.day)::int - 1)
  AND d.day >= s.first_date AND (s.last_date IS NULL OR d.day <= s.last_date)
  AND d.day <> ALL (%(closed)s::date[])
  AND NOT EXISTS (SELECT 1 FROM volunteers_standingrequestskip k
                  WHERE k.standing_id = s.id AND k.date = d.day)
  AND NOT EXISTS (SELECT 1 FROM volunteers_helprequest h WHERE h.standing_id = s.id
                  AND h.starts_at >= d.day::timestamp AT TIME ZONE %(tz)s
                  AND h.starts_at < (d.day + 1)::timestamp AT TIME ZONE %(tz)s)
ORDER BY s.id, d.day
ON CONFLICT DO NOTHING""",
        True,
    ),
]

FORGOTTEN_SQL = [
    (
        """
WITH open_ones AS (
    SELECT a.id, a.started_at, p.closes_at, p.max_minutes,
        ((a.started_at AT TIME ZONE %(tz)s)::date + p.closes_at) AT TIME ZONE %(tz)s AS closing
    FROM volunteers_activity a JOIN volunteers_place p ON p.id = a.place_id
    WHERE a.status = 'open' ORDER BY a.id FOR UPDATE OF a
), due AS (
    SELECT id, CASE WHEN closing > started_at THEN closing
        ELSE started_at + GREATEST(max_minutes, 1) * interval '1 minute' END AS ends
    FROM open_ones
)
UPDATE volunteers_activity a SET status = 'review', review_reason = 'forgotten_checkout',
    auto_closed = true, ended_at = due.ends
FROM due WHERE a.id = due.id AND due.ends <= now()""",
        True,
    )
]


def _with(statements, params):
    return [(sql, params, counts) for sql, counts in statements]


BASELINE = {
    "expiry": lambda f: _with(EXPIRY_SQL, {**f["expiry"], "today": f["today"]}),
    "statements": lambda f: _with(STATEMENTS_SQL, f["statements"]),
    "standing": lambda f: _with(STANDING_SQL, {**f["standing"], "tz": TZ}),
    "forgotten": lambda f: _with(FORGOTTEN_SQL, {"tz": TZ}),
    # The report's own SQL as the ORM sent it (``capture``), run without the ORM.
    "fiscal": lambda f: [(sql, None, False) for sql in f["fiscal"]["statements"]],
}


# --- In the Django subprocesses -------------------------------------------------------


def _setup():
    """Django, the tasks and every module the jobs use: what ``idle`` measures too."""
    import django

    django.setup()
    from django.db import connection

    import points.selectors.fiscal  # noqa: F401
    import points.services.expiry  # noqa: F401
    import points.services.settlement  # noqa: F401
    import points.tasks  # noqa: F401
    import volunteers.selectors.fiscal  # noqa: F401
    import volunteers.services.activity  # noqa: F401
    import volunteers.services.standing  # noqa: F401
    import volunteers.tasks  # noqa: F401
    from config.celery import app

    # What a worker has loaded before its first task (the tasks of every app).
    app.finalize()
    connection.ensure_connection()
    _reset_peak()
    return connection


def _reset_peak() -> None:
    """Start the process's peak RSS afresh from what it holds now (Linux: ``5`` to
    ``/proc/self/clear_refs``), so that ``ru_maxrss`` measures what comes after: a
    peak reached while setting up (and freed since) would otherwise hide the job's
    own allocations below it."""
    import gc

    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:  # not Linux: the peak then includes the set-up's
        pass


def _run(cursor, sql: str, params: dict) -> int:
    rows = 0
    for statement in sql.split(";\n\n"):
        if statement.strip():
            cursor.execute(statement, params)
            rows += max(cursor.rowcount, 0)
    return rows


PREPARE_EXPIRY = """
UPDATE points_transaction t SET expires_on = t.activity_date + %(expiry_days)s
FROM points_entry e JOIN points_account a ON a.id = e.account_id
WHERE e.transaction_id = t.id AND t.kind = 'earn' AND a.kind = 'wallet' AND a.id %% 4 = 0;

CREATE TABLE bench_jobs_expiry AS
SELECT a.id AS wallet, GREATEST(0, LEAST(a.balance,
    SUM(CASE WHEN e.amount > 0 AND t.expires_on < %(today)s THEN e.amount ELSE 0 END)
    + SUM(LEAST(e.amount, 0))))::bigint AS amount
FROM points_account a JOIN points_entry e ON e.account_id = a.id
JOIN points_transaction t ON t.id = e.transaction_id
WHERE a.kind = 'wallet' AND a.id %% 4 = 0 AND a.balance > 0
GROUP BY a.id, a.balance
"""

# One voucher each for the first wallets (id = 2 mod 4: none of the expiring ones)
# with enough points: exchanged and redeemed at a shop during last month, in the
# ledger as the product posts them (exchange: wallet -> liability; redemption:
# liability -> the shop's receivable).
PREPARE_STATEMENTS = """
CREATE TEMP TABLE bench_redeem ON COMMIT DROP AS
SELECT w.n, w.id AS wallet, w.owner_id AS owner, s.id AS shop, s.staff,
    ((%(month)s::date + (w.n %% 25)::int + time '10:00') AT TIME ZONE %(tz)s) AS exchanged_at,
    ((%(month)s::date + (w.n %% 25)::int + 2 + time '13:00') AT TIME ZONE %(tz)s) AS redeemed_at
FROM (
    SELECT id, owner_id, row_number() OVER (ORDER BY id) - 1 AS n FROM points_account
    WHERE kind = 'wallet' AND id %% 4 = 2 AND balance >= %(voucher_points)s
    ORDER BY id LIMIT %(per_shop)s * (SELECT count(*) FROM points_shop)
) w
JOIN (
    SELECT sh.id, row_number() OVER (ORDER BY sh.id) - 1 AS i,
        (SELECT min(m.user_id) FROM points_shopmembership m WHERE m.shop_id = sh.id) AS staff
    FROM points_shop sh
) s ON s.i = w.n %% (SELECT count(*) FROM points_shop);

INSERT INTO points_transaction (kind, idempotency_key, fingerprint, reference, created_at,
    memo, capped_points, cap_reason)
SELECT 'exchange', 'bench:exchange:' || wallet, md5('bench:exchange:' || wallet),
    'exchange:' || owner, exchanged_at, '', 0, ''
FROM bench_redeem ORDER BY n;

INSERT INTO points_voucher (code_digest, code_sealed, points, face_value_yen, status, issued_at,
    expires_on, redeemed_at, void_reason, exchange_id, owner_id, redeemed_by_id, shop_id)
SELECT md5('bench-jobs-voucher:' || b.wallet), '', %(voucher_points)s, %(face_value_yen)s,
    'redeemed', b.exchanged_at, (b.exchanged_at AT TIME ZONE %(tz)s)::date + %(valid_days)s,
    b.redeemed_at, '', t.id, b.owner, b.staff, b.shop
FROM bench_redeem b JOIN points_transaction t ON t.idempotency_key = 'bench:exchange:' || b.wallet
ORDER BY b.n;

INSERT INTO points_transaction (kind, idempotency_key, fingerprint, reference, created_at,
    memo, capped_points, cap_reason)
SELECT 'redeem', 'voucher:' || v.id || ':close', md5('voucher:' || v.id || ':close'),
    'voucher:' || v.id, b.redeemed_at, '', 0, ''
FROM bench_redeem b JOIN points_voucher v ON v.code_digest = md5('bench-jobs-voucher:' || b.wallet)
ORDER BY b.n;

UPDATE points_voucher v SET settled_by_id = t.id
FROM bench_redeem b, points_transaction t
WHERE v.code_digest = md5('bench-jobs-voucher:' || b.wallet)
  AND t.idempotency_key = 'voucher:' || v.id || ':close';

CREATE TEMP TABLE bench_legs ON COMMIT DROP AS
SELECT x.id AS txn, b.wallet AS debit, %(liability)s::bigint AS credit
FROM bench_redeem b JOIN points_transaction x ON x.idempotency_key = 'bench:exchange:' || b.wallet
UNION ALL
SELECT v.settled_by_id, %(liability)s, r.id
FROM bench_redeem b
JOIN points_voucher v ON v.code_digest = md5('bench-jobs-voucher:' || b.wallet)
JOIN points_account r ON r.code = 'shop-' || b.shop || '-receivable';

INSERT INTO points_entry (transaction_id, account_id, amount)
SELECT txn, CASE leg WHEN 0 THEN debit ELSE credit END,
    CASE leg WHEN 0 THEN -%(voucher_points)s ELSE %(voucher_points)s END
FROM bench_legs CROSS JOIN generate_series(0, 1) AS leg ORDER BY txn, leg;

UPDATE points_account a SET balance = a.balance + d.delta
FROM (
    SELECT account, sum(delta) AS delta FROM (
        SELECT debit AS account, -%(voucher_points)s AS delta FROM bench_legs
        UNION ALL SELECT credit, %(voucher_points)s FROM bench_legs) AS legs
    GROUP BY account
) d WHERE a.id = d.account
"""

# One standing request per three residents helped: one or two weekdays, an hour in
# the morning, running since eight weeks with its past occurrences carried out; every
# third has a skipped date in the coming window, every tenth ends within it.
PREPARE_STANDING = """
INSERT INTO volunteers_standingrequest (weekdays, starts, duration_minutes, place, notes,
    first_date, last_date, active, category_id, resident_id)
SELECT CASE WHEN n %% 2 = 0 THEN jsonb_build_array(n %% 5)
        ELSE jsonb_build_array(n %% 5, n %% 5 + 2) END,
    make_time(9 + (n %% 3)::int, 0, 0), 60, '', '',
    %(today)s::date - 56, CASE WHEN n %% 10 = 0 THEN %(today)s::date + 6 END, true,
    (%(categories)s::bigint[])[1 + n %% 2], r.id
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM volunteers_resident) r
WHERE r.n %% 3 = 0;

INSERT INTO volunteers_helprequest (starts_at, ends_at, place, notes, channel, status,
    created_at, cancel_reason, category_id, district_id, resident_id, standing_id)
SELECT (d::date + s.starts) AT TIME ZONE %(tz)s,
    (d::date + s.starts) AT TIME ZONE %(tz)s + s.duration_minutes * interval '1 minute',
    '', '', 'standing', 'confirmed', d - interval '14 days', '', s.category_id, r.district_id,
    s.resident_id, s.id
FROM volunteers_standingrequest s JOIN volunteers_resident r ON r.id = s.resident_id
CROSS JOIN generate_series(s.first_date, %(today)s::date - 1, interval '1 day') AS d
WHERE s.weekdays @> to_jsonb(extract(isodow FROM d)::int - 1);

INSERT INTO volunteers_standingrequestskip (standing_id, date)
SELECT s.id, %(today)s::date + 7
    + (((s.weekdays->>0)::int - (extract(isodow FROM %(today)s::date + 7)::int - 1) + 7) %% 7)
FROM volunteers_standingrequest s WHERE s.id %% 3 = 0
"""

# One volunteer in ten checked in two days ago and forgot to check out (half the places
# close at 17:00, the others after max_minutes); one in twenty checked in ten minutes
# ago at a place without a closing time (not due).
PREPARE_FORGOTTEN = """
UPDATE volunteers_place SET closes_at = time '17:00' WHERE id %% 2 = 0;

INSERT INTO volunteers_activity (method, started_at, status, review_reason, auto_closed,
    recorded_by_id, volunteer_id, place_id)
SELECT 'self',
    (%(today)s::date - 2 + time '09:00') AT TIME ZONE %(tz)s,
    'open', '', false, p.user_id, p.user_id,
    (%(places)s::bigint[])[1 + (p.user_id / 10) %% array_length(%(places)s::bigint[], 1)]
FROM volunteers_volunteerprofile p
WHERE p.user_id %% 10 = 0
"""


def role_prepare() -> dict:
    _setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from core.stats import Period
    from points.models import Account, AccountKind, ExchangeSettings
    from volunteers.models import HelpCategory
    from volunteers.selectors.calendar import centre_closed_days

    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    next_month = today.replace(day=1)
    config = ExchangeSettings.load()
    expired_account = Account.objects.get(kind=AccountKind.EXPIRED).pk
    liability = Account.objects.get(kind=AccountKind.VOUCHER_LIABILITY).pk
    params = {
        "today": today,
        "tz": str(zone),
        "expiry_days": EXPIRY_DAYS,
        "month": month,
        "voucher_points": config.voucher_points,
        "face_value_yen": config.face_value_yen,
        "valid_days": config.valid_days,
        "per_shop": VOUCHERS_PER_SHOP,
        "liability": liability,
        "categories": list(
            HelpCategory.objects.filter(code__in=["trash", "shopping"])
            .order_by("sort_order")
            .values_list("pk", flat=True)
        ),
    }
    facts: dict = {"today": today.isoformat()}
    with transaction.atomic(), connection.cursor() as cursor:
        _run(cursor, PREPARE_STATEMENTS, params)
        _run(cursor, PREPARE_EXPIRY, params)
        _run(cursor, PREPARE_STANDING, params)
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM volunteers_place WHERE id % 2 = 1")
        (odd_places,) = cursor.fetchone()
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM volunteers_place")
        (all_places,) = cursor.fetchone()
        _run(cursor, PREPARE_FORGOTTEN, {**params, "places": all_places})
        # Not due: one volunteer in twenty, at a place that never closes at a fixed time.
        cursor.execute(
            """
INSERT INTO volunteers_activity (method, started_at, status, review_reason, auto_closed,
    recorded_by_id, volunteer_id, place_id)
SELECT 'self', now() - interval '10 minutes', 'open', '', false, p.user_id, p.user_id,
    (%(places)s::bigint[])[1 + (p.user_id / 20) %% array_length(%(places)s::bigint[], 1)]
FROM volunteers_volunteerprofile p WHERE p.user_id %% 20 = 5""",
            {"places": odd_places},
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE points_transaction, points_entry, points_account, points_voucher, "
            "volunteers_activity, volunteers_helprequest, volunteers_standingrequest"
        )

        def one(sql, args=None):
            cursor.execute(sql, args or {})
            return cursor.fetchone()

        candidates, expired, points = one(
            "SELECT count(*), count(*) FILTER (WHERE amount > 0), COALESCE(sum(amount), 0)::bigint "
            "FROM bench_jobs_expiry"
        )
        facts["expiry"] = {
            "items": candidates,
            "expired": expired,
            "points": points,
            "expired_account": expired_account,
            "baseline_rows": expired,
        }
        start = dt.datetime.combine(month, dt.time(), tzinfo=zone)
        end = dt.datetime.combine(next_month, dt.time(), tzinfo=zone)
        shops, vouchers, total = one(
            "SELECT count(DISTINCT shop_id), count(*), COALESCE(sum(points), 0)::bigint "
            "FROM points_voucher WHERE status = 'redeemed' AND redeemed_at >= %(s)s "
            "AND redeemed_at < %(e)s",
            {"s": start, "e": end},
        )
        facts["statements"] = {
            "items": shops,
            "vouchers": vouchers,
            "points": total,
            "month": month.isoformat(),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "baseline_rows": shops,
        }
        days = settings.STANDING_REQUESTS_DAYS_AHEAD
        last = today + dt.timedelta(days)
        closed = sorted(centre_closed_days(today, last))
        cursor.execute(
            "SELECT s.id, s.weekdays, s.first_date, s.last_date, "
            "ARRAY(SELECT k.date FROM volunteers_standingrequestskip k WHERE k.standing_id = s.id) "
            "FROM volunteers_standingrequest s WHERE s.active"
        )
        created = 0
        standing = 0
        for _pk, weekdays, first, until, skips in cursor.fetchall():
            weekdays = json.loads(weekdays) if isinstance(weekdays, str) else weekdays
            if first > last or (until and until < today):
                continue
            standing += 1
            for offset in range(days + 1):
                day = today + dt.timedelta(offset)
                if (
                    day.weekday() in weekdays
                    and day >= first
                    and (until is None or day <= until)
                    and day not in closed
                    and day not in skips
                ):
                    created += 1
        facts["standing"] = {
            "items": standing,
            "created": created,
            "today": today.isoformat(),
            "last": last.isoformat(),
            "closed": [d.isoformat() for d in closed],
            "today_start": dt.datetime.combine(today, dt.time(), tzinfo=zone).isoformat(),
            "baseline_rows": created,
        }
        due, not_due = one(
            "SELECT count(*) FILTER (WHERE started_at < now() - interval '1 day'), "
            "count(*) FILTER (WHERE started_at >= now() - interval '1 day') "
            "FROM volunteers_activity WHERE status = 'open'"
        )
        facts["forgotten"] = {"items": due, "not_due": not_due, "baseline_rows": due}
        period = Period.fiscal(_fiscal_year(today) - 1)
        (transactions,) = one(
            "SELECT count(*) FROM points_transaction WHERE created_at >= %(s)s "
            "AND created_at < %(e)s",
            {"s": period.starts_at, "e": period.ends_before},
        )
        awards, activities = one(
            "SELECT (SELECT count(*) FROM points_transaction WHERE kind = 'earn' AND "
            "created_at >= %(s)s AND created_at < %(e)s), (SELECT count(*) FROM "
            "volunteers_activity WHERE started_at >= %(s)s AND started_at < %(e)s AND "
            "ended_at IS NOT NULL AND status IN ('credited', 'no_points', 'awaiting', 'review'))",
            {"s": period.starts_at, "e": period.ends_before},
        )
        facts["fiscal"] = {
            "items": transactions,
            "year": period.fiscal_year,
            "figures": {"awards": awards, "activities": activities},
            "baseline_rows": None,
        }
    return facts


def _fiscal_year(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def role_idle() -> dict:
    connection = _setup()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {}


def _fiscal(year: int) -> dict:
    from core.stats import Period
    from points.selectors.fiscal import points_fiscal
    from volunteers.selectors.fiscal import centre_fiscal

    period = Period.fiscal(year)
    centre, points = centre_fiscal(period), points_fiscal(period)
    return {"awards": points.totals.awards, "activities": centre.activities_total.activities}


def role_job(name: str) -> dict:
    from django.utils import timezone

    _setup()
    from points import tasks as points_tasks
    from volunteers import tasks as volunteer_tasks

    calls = {
        "expiry": lambda: points_tasks.expire_points.delay().get(),
        "statements": lambda: points_tasks.generate_statements.delay().get(),
        "standing": lambda: volunteer_tasks.generate_standing_requests.delay().get(),
        "forgotten": lambda: volunteer_tasks.close_forgotten_checkouts.delay().get(),
        "fiscal": lambda: _fiscal(_fiscal_year(timezone.localdate()) - 1),
    }
    cpu, started = time.process_time(), time.perf_counter()
    result = calls[name]()
    return {
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "result": result,
    }


def role_capture(name: str) -> dict:
    """The SQL the fiscal report sends, as sent (for the raw SQL baseline)."""
    connection = _setup()
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    with CaptureQueriesContext(connection) as captured:
        _fiscal(_fiscal_year(timezone.localdate()) - 1)
    return {"statements": [query["sql"] for query in captured.captured_queries]}


if __name__ == "__main__":
    role, *rest = sys.argv[1:] or [""]
    roles = {"prepare": role_prepare, "idle": role_idle, "job": role_job, "capture": role_capture}
    if role not in roles:
        raise SystemExit("usage: python -m bench.bench_jobs prepare|idle|job NAME|capture fiscal")
    print(json.dumps(roles[role](*rest), default=str))
