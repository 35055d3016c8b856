"""Points ledger throughput on PostgreSQL, against baselines measured in the same run.

What is measured (postings per second, successful ones only, over a fixed window after a
warm-up, by separate client processes with one database connection each):

* ``points_transfer`` between wallets chosen uniformly at random, at 1 and 8 clients;
* the same at 8 clients when every posting touches one hot wallet (hot -> random wallet
  and back), as a ratio to the uniform run: how much the per-account lock costs;
* pgbench's built-in tpcb-like script at the same client counts, as the baseline for
  what this PostgreSQL does with a short read-write transaction;
* django-hordak's ``Account.transfer_to`` posting the same uniform transfers;
* informational, to show where a posting's cost lies: ``points_post()`` (the SQL
  function every PostgreSQL posting ends in) driven by pgbench's C client with the same
  uniform transfers, against tpcb-like at the same client count (the database's own
  work, with no Python), and the CPU the ledger's Python clients spent per posting.

The parent process never imports Django: each role (migrate, seed, client, verify) is a
subprocess with its own settings, because the ledger and hordak need different ones.
See bench/README.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PGBENCH = os.environ.get("PGBENCH", "/usr/bin/pgbench")
# BENCH_DB_PREFIX keeps parallel runs (e.g. several worktrees on one server) apart.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "ikiiki")
LEDGER_DB, HORDAK_DB, PGBENCH_DB = (f"{DB_PREFIX}_{n}" for n in ("bench", "hordak", "pgbench"))
LEDGER_SETTINGS, HORDAK_SETTINGS = "config.settings", "bench.hordak_settings"

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))  # measured window per run
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))  # discarded before the window
CLIENTS = (1, 8)
WALLETS = 1000  # uniformly chosen wallets; the hot wallet is one more
PGBENCH_SCALE = 10  # 10 branch rows: 8 clients do not all queue on one branch
FUNDING = 1_000_000  # points per wallet: transfers of 1-5 points never run dry
HOT_FUNDING = 1_000_000_000

HOT_CODE = "bench-hot"
MAX_AMOUNT = 5


# --- Orchestration (no Django in this process) --------------------------------------


@dataclass
class Run:
    """One measured run: its clients' successful postings inside the window."""

    label: str
    clients: int
    rate: float
    completed: int = 0  # successful postings including warm-up (checked against the DB)
    errors: Counter = field(default_factory=Counter)
    cpu_ms: float | None = None  # client CPU per posting (Python clients only)


def fail(message: str) -> None:
    raise SystemExit(f"bench_ledger: {message}")


def admin_execute(*statements: str, dbname: str = "postgres") -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/{dbname}", autocommit=True, connect_timeout=5) as conn:
        for statement in statements:
            conn.execute(statement)


def busy_fraction(seconds: float = 1.0) -> float | None:
    """How busy the machine's CPUs are right now (0-1), from /proc/stat; None elsewhere.

    Sampled over ``seconds`` rather than read from the load average, which still
    remembers a benchmark that ran just before this one."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def check_prerequisites() -> str:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a project dependency
        fail("psycopg is not installed; run `make bench`")
    try:
        with psycopg.connect(f"{PG_URL}/postgres", connect_timeout=5) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.OperationalError as exc:
        fail(
            f"PostgreSQL is not reachable at {PG_URL} ({str(exc).strip()}). Start it "
            "(e.g. `pg_ctlcluster 15 main start`) or set BENCH_PG_URL."
        )
    if not (os.path.isfile(PGBENCH) and os.access(PGBENCH, os.X_OK)):
        fail(
            f"pgbench not found at {PGBENCH} (Debian: `apt-get install postgresql-contrib` "
            "or `postgresql-client`), or set PGBENCH to its path."
        )
    try:
        import hordak  # noqa: F401
    except ImportError:
        fail("django-hordak is not installed; run `make bench` (installs the bench extra)")
    return version


def role_env(settings: str, dbname: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        DATABASE_URL=f"{PG_URL}/{dbname}",
        HORDAK_DATABASE_URL=f"{PG_URL}/{HORDAK_DB}",
        PYTHONPATH=os.pathsep.join(
            [str(ROOT / "platform"), str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
        ),
        DEBUG="0",  # no query log in the clients, as in production
        LOG_LEVEL="WARNING",
    )
    return env


def run_role(role: str, settings: str, dbname: str, *args: str) -> dict:
    """Run ``python -m bench.bench_ledger ROLE`` and return the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_ledger", role, *args],
        cwd=ROOT,
        env=role_env(settings, dbname),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        fail(f"{role} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def recreate_database(dbname: str) -> None:
    admin_execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)', f'CREATE DATABASE "{dbname}"')


def migrate(settings: str, dbname: str) -> None:
    recreate_database(dbname)
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=role_env(settings, dbname),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        fail(f"migrate ({settings} on {dbname}) failed:\n{done.stderr[-4000:]}")


def run_clients(label: str, kind: str, workload: str, clients: int) -> Run:
    """Start ``clients`` processes, release them together, collect their counts."""
    settings, dbname = (
        (LEDGER_SETTINGS, LEDGER_DB) if kind == "ledger" else (HORDAK_SETTINGS, HORDAK_DB)
    )
    admin_execute("CHECKPOINT")  # no checkpoint left over from the previous run
    with contextlib.ExitStack() as stack:
        procs, logs = [], []
        for index in range(clients):
            logs.append(stack.enter_context(tempfile.TemporaryFile(mode="w+")))
            command = [sys.executable, "-m", "bench.bench_ledger", "client", kind, workload]
            procs.append(
                stack.enter_context(
                    subprocess.Popen(
                        [*command, str(index)],
                        cwd=ROOT,
                        env=role_env(settings, dbname),
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=logs[-1],
                        text=True,
                    )
                )
            )

        def client_failed(index: int, why: str = "failed") -> None:
            for proc in procs:
                proc.kill()
            logs[index].seek(0)
            fail(f"{label}: client {index} {why}:\n{logs[index].read()[-4000:]}")

        for index, proc in enumerate(procs):
            if proc.stdout.readline().strip() != "ready":
                client_failed(index)
        # Everyone is connected and waiting: release them at the same instant.
        start = time.time() + 0.2
        window_start, window_end = start + WARMUP, start + WARMUP + SECONDS
        for proc in procs:
            proc.stdin.write(f"{start} {window_start} {window_end}\n")
            proc.stdin.flush()
        postings, completed, errors, cpu = 0, 0, Counter(), 0.0
        for index, proc in enumerate(procs):
            try:
                out, _ = proc.communicate(timeout=max(0, window_end - time.time()) + 60)
            except subprocess.TimeoutExpired:
                client_failed(index, "did not stop within 60 s of the end of its window")
            if proc.returncode != 0 or not out.strip():
                client_failed(index)
            result = json.loads(out.strip().splitlines()[-1])
            postings += result["window"]
            completed += result["completed"]
            errors.update(result["errors"])
            cpu += result["cpu_seconds"]
    cpu_ms = 1000 * cpu / completed if completed else None
    return Run(label, clients, postings / SECONDS, completed, errors, cpu_ms)


PGBENCH_TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.M)


def _pgbench(label: str, args: list[str], dbname: str, clients: int, warm_up: bool) -> Run:
    """One pgbench run of ``args`` at ``clients`` clients after a checkpoint: its tps
    (after an untimed warm-up run first when ``warm_up``)."""
    base = [PGBENCH, *args, "-c", str(clients), "-j", str(clients)]
    admin_execute("CHECKPOINT")
    phases = [(max(1, round(WARMUP)), [])] if warm_up else []
    phases.append((max(1, round(SECONDS)), ["-n"]))
    for seconds, extra in phases:
        done = subprocess.run(
            [*base, "-T", str(seconds), *extra, f"{PG_URL}/{dbname}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            fail(f"pgbench ({label}) -c {clients} failed:\n{done.stderr[-4000:]}")
    match = PGBENCH_TPS.search(done.stdout)
    if match is None:
        fail(f"cannot read tps from pgbench's output:\n{done.stdout}")
    return Run(label, clients, float(match.group(1)))


def run_pgbench(clients: int) -> Run:
    return _pgbench("pgbench tpcb-like", ["-b", "tpcb-like"], PGBENCH_DB, clients, warm_up=True)


# The uniform transfers of ``role_client`` as pgbench runs them: two distinct wallets
# (ids :lo..:hi, contiguous, checked by ``role_wallet_ids``) and 1-5 points, straight
# into ``points_post()`` with a unique key, as ``points.ledger.database.post_in_database`` sends it.
POINTS_POST_SCRIPT = r"""
\set a random(:lo, :hi)
\set d random(1, :hi - :lo)
\set b :lo + (:a - :lo + :d) % (:hi - :lo + 1)
\set n random(1, 5)
\set k random(1, 1000000000000)
SELECT * FROM points_post(jsonb_build_object('kind', 'transfer', 'idempotency_key',
  'pgbench:' || :client_id || ':' || :k, 'fingerprint', md5(:k::text), 'reference', '',
  'memo', '', 'created_at', now(), 'capped_points', 0, 'cap_reason', ''),
  ARRAY[:a, :b]::bigint[], ARRAY[-:n, :n]::bigint[]);
"""


def run_points_post(clients: int, lo: int, hi: int) -> Run:
    """``points_post()`` from pgbench's C client: the ledger's database work alone
    (no warm-up: the ledger's own runs just warmed the same tables)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(POINTS_POST_SCRIPT)
        script.flush()
        args = ["-f", script.name, "-D", f"lo={lo}", "-D", f"hi={hi}"]
        return _pgbench("points_post() from pgbench", args, LEDGER_DB, clients, warm_up=False)


def verify(kind: str, runs: list[Run], seeded: int) -> None:
    """The database holds exactly the postings the clients reported, and balances."""
    settings, dbname = (
        (LEDGER_SETTINGS, LEDGER_DB) if kind == "ledger" else (HORDAK_SETTINGS, HORDAK_DB)
    )
    found = run_role("verify", settings, dbname, kind)
    expected = seeded + sum(run.completed for run in runs)
    if found["transactions"] != expected:
        fail(f"{kind}: {found['transactions']} transactions in the database, {expected} reported")
    if not found["balanced"]:
        fail(f"{kind}: the books do not balance after the benchmark: {found}")


def print_table(version: str, rows: list[tuple[Run, Run, str, bool]], notes: list[str]) -> None:
    header = ("measured", "clients", "postings/s", "baseline", "baseline/s", "ratio", "target")
    lines = []
    for run, base, target, met in rows:
        lines.append(
            (
                run.label,
                str(run.clients),
                f"{run.rate:,.0f}",
                f"{base.label} ({base.clients})",
                f"{base.rate:,.0f}",
                f"{run.rate / base.rate:.2f}" if base.rate else "n/a",
                f"{target} {'ok' if met else 'MISSED'}" if target else "-",
            )
        )
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    right = {1, 2, 4, 5}

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    print(
        f"PostgreSQL {version} at {PG_URL}, {os.cpu_count()} cores; {SECONDS:g} s window "
        f"after {WARMUP:g} s warm-up per run; {WALLETS} wallets; pgbench scale {PGBENCH_SCALE}"
    )
    print(fmt(header))
    print("  ".join("-" * width for width in widths))
    for line in lines:
        print(fmt(line))
    for note in notes:
        print(note)


def main() -> None:
    started = time.monotonic()
    busy_before = busy_fraction()  # other work on the machine skews every ratio
    version = check_prerequisites()

    print(f"setting up: {LEDGER_DB}, {HORDAK_DB} (migrate + seed), {PGBENCH_DB} (-i)")
    migrate(LEDGER_SETTINGS, LEDGER_DB)
    ledger_seeded = run_role("seed", LEDGER_SETTINGS, LEDGER_DB, "ledger")["transactions"]
    migrate(HORDAK_SETTINGS, HORDAK_DB)
    hordak_seeded = run_role("seed", HORDAK_SETTINGS, HORDAK_DB, "hordak")["transactions"]
    recreate_database(PGBENCH_DB)
    done = subprocess.run(
        [PGBENCH, "-i", "-q", "-s", str(PGBENCH_SCALE), f"{PG_URL}/{PGBENCH_DB}"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        fail(f"pgbench -i failed:\n{done.stderr[-4000:]}")

    # Interleaved so that drift (table growth, checkpoints) does not favour one side.
    pgbench, ledger, hordak = {}, {}, {}
    ledger_runs, hordak_runs = [], []
    for clients in CLIENTS:
        print(f"running at {clients} client(s): pgbench, ledger, hordak")
        pgbench[clients] = run_pgbench(clients)
        ledger[clients] = run_clients("ledger uniform", "ledger", "uniform", clients)
        hordak[clients] = run_clients("hordak uniform", "hordak", "uniform", clients)
        ledger_runs.append(ledger[clients])
        hordak_runs.append(hordak[clients])
    hot_clients = CLIENTS[-1]
    print(f"running at {hot_clients} clients: ledger with one hot wallet")
    hot = run_clients("ledger hot wallet", "ledger", "hot", hot_clients)
    ledger_runs.append(hot)

    verify("ledger", ledger_runs, ledger_seeded)
    verify("hordak", hordak_runs, hordak_seeded)
    # After the check above: these postings are not counted by any client. The books
    # are checked again once they are in.
    print(f"running at {hot_clients} clients: points_post() from pgbench, tpcb-like")
    wallet_ids = run_role("wallet_ids", LEDGER_SETTINGS, LEDGER_DB)
    sql_only = run_points_post(hot_clients, wallet_ids["lo"], wallet_ids["hi"])
    tpcb_again = run_pgbench(hot_clients)
    if not run_role("verify", LEDGER_SETTINGS, LEDGER_DB, "ledger")["balanced"]:
        fail("ledger: the books do not balance after the points_post() run")

    rows: list[tuple[Run, Run, str, bool]] = []
    for clients in CLIENTS:
        ratio = ledger[clients].rate / pgbench[clients].rate
        rows.append((ledger[clients], pgbench[clients], ">= 0.5", ratio >= 0.5))
    hot_ratio = hot.rate / ledger[hot_clients].rate
    rows.append((hot, ledger[hot_clients], ">= 0.5", hot_ratio >= 0.5))
    for clients in CLIENTS:
        ratio = ledger[clients].rate / hordak[clients].rate
        rows.append((ledger[clients], hordak[clients], "> 1", ratio > 1))
    low, high = CLIENTS[0], CLIENTS[-1]
    for series in (ledger, pgbench, hordak):
        rows.append((series[high], series[low], "", True))
    rows.append((sql_only, tpcb_again, "", True))

    errors = Counter()
    for run in [*ledger_runs, *hordak_runs]:
        errors.update({f"{run.label} ({run.clients}): {k}": v for k, v in run.errors.items()})
    notes = [
        "ratio = postings/s / baseline/s; the last rows are scaling from 1 to 8 clients "
        "(informational).",
        "points_post() from pgbench: the ledger's SQL alone, no Python, same uniform "
        "transfers (informational: the database's share of a posting).",
        "Python client CPU per posting: "
        + ", ".join(
            f"{run.label} ({run.clients}) {run.cpu_ms:.2f} ms"
            for run in [*ledger_runs, *hordak_runs]
            if run.cpu_ms is not None
        ),
        "failed postings: " + (", ".join(f"{k} x{v}" for k, v in sorted(errors.items())) or "none"),
        f"checked: every reported posting is in its database and the books balance "
        f"(total time {time.monotonic() - started:.0f} s).",
    ]
    if busy_before is not None and busy_before > 0.25:
        notes.append(
            f"WARNING: the CPUs were {busy_before:.0%} busy before the run: other work on "
            "this machine was competing for its cores; the figures are unreliable."
        )
    print()
    print_table(version, rows, notes)


# --- Roles (each a subprocess with its own Django settings) -------------------------


def _seed_ledger() -> int:
    from accounts.models import User
    from points.models import Account, AccountKind
    from points.services.accounts import system_account
    from points.services.postings import transaction_post

    users = User.objects.bulk_create(
        User(email=f"bench-{i}@bench.invalid", full_name=f"bench {i}") for i in range(WALLETS + 1)
    )
    codes = [f"bench-{i}" for i in range(WALLETS)] + [HOT_CODE]
    wallets = Account.objects.bulk_create(
        Account(kind=AccountKind.WALLET, owner=user, code=code, name=code)
        for user, code in zip(users, codes, strict=True)
    )
    issuance = system_account(AccountKind.ISSUANCE)
    lines = [(w, HOT_FUNDING if w.code == HOT_CODE else FUNDING) for w in wallets]
    transaction_post(
        kind="adjust",
        idempotency_key="bench:funding",
        lines=[*lines, (issuance, -sum(amount for _, amount in lines))],
        memo="benchmark funding",
    )
    return 1


def _seed_hordak() -> int:
    from django.db import transaction
    from djmoney.money import Money
    from hordak.models import Account, AccountType

    equity = Account.objects.create(name="funding", code="F", type=AccountType.equity)
    with transaction.atomic():
        accounts = [
            # Codes in insertion order: mptt keeps roots sorted by code.
            Account.objects.create(name=name, code=code, type=AccountType.asset)
            for name, code in [
                *((f"bench-{i}", f"{i:05d}") for i in range(WALLETS)),
                (HOT_CODE, "H"),
            ]
        ]
    for account in accounts:
        amount = HOT_FUNDING if account.name == HOT_CODE else FUNDING
        with transaction.atomic():
            equity.transfer_to(account, Money(amount, "JPY"), description="funding")
    return len(accounts)


def role_seed(kind: str) -> dict:
    import django

    django.setup()
    from django.db import connection

    seeded = _seed_ledger() if kind == "ledger" else _seed_hordak()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"transactions": seeded}


def _ledger_poster():
    from points.models import Account, AccountKind
    from points.services.postings import points_transfer

    accounts = list(Account.objects.filter(kind=AccountKind.WALLET, code__startswith="bench-"))
    hot = next(a for a in accounts if a.code == HOT_CODE)

    def post(source, destination, amount: int, key: str) -> None:
        points_transfer(source=source, destination=destination, amount=amount, idempotency_key=key)

    return [a for a in accounts if a is not hot], hot, post


def _hordak_poster():
    from django.db import transaction
    from djmoney.money import Money
    from hordak.models import Account

    accounts = list(Account.objects.filter(name__startswith="bench-"))
    hot = next(a for a in accounts if a.name == HOT_CODE)

    def post(source, destination, amount: int, key: str) -> None:
        # transfer_to is not atomic by itself: its legs must commit together.
        with transaction.atomic():
            source.transfer_to(destination, Money(amount, "JPY"), description=key)

    return [a for a in accounts if a is not hot], hot, post


def role_client(kind: str, workload: str, index: str) -> dict:
    import django

    django.setup()
    from django.db import connection

    wallets, hot, post = _ledger_poster() if kind == "ledger" else _hordak_poster()
    connection.ensure_connection()
    rng = random.Random(f"{workload}:{index}")  # noqa: S311 - not for security
    prefix = uuid.uuid4().hex
    print("ready", flush=True)
    start, window_start, window_end = map(float, sys.stdin.readline().split())
    while time.time() < start:
        time.sleep(0.001)
    cpu_at_start = time.process_time()

    window = completed = sequence = 0
    errors: Counter = Counter()
    back = None  # hot workload: the wallet that sends its points back to the hot one
    while time.time() < window_end:
        amount = rng.randint(1, MAX_AMOUNT)
        if workload == "uniform":
            source, destination = rng.sample(wallets, 2)
        elif back is None:
            back = rng.choice(wallets)
            source, destination, amount = hot, back, 1
        else:
            source, destination, back, amount = back, hot, None, 1
        sequence += 1
        try:
            post(source, destination, amount, f"bench:{prefix}:{sequence}")
        except Exception as exc:  # counted, not fatal: only successes count
            errors[type(exc).__name__] += 1
            continue
        completed += 1
        if window_start <= time.time() < window_end:
            window += 1
    return {
        "window": window,
        "completed": completed,
        "errors": dict(errors),
        "cpu_seconds": time.process_time() - cpu_at_start,  # this client's, per run
    }


def role_verify(kind: str) -> dict:
    import django

    django.setup()
    from django.db import connection

    if kind == "ledger":
        sql = """
            SELECT (SELECT count(*) FROM points_transaction),
                   (SELECT coalesce(sum(balance), 0) = 0 FROM points_account)
               AND NOT EXISTS (
                   SELECT 1 FROM points_account a
                    WHERE a.balance <> (SELECT coalesce(sum(e.amount), 0)
                                          FROM points_entry e WHERE e.account_id = a.id))
        """
    else:
        sql = """
            SELECT (SELECT count(*) FROM hordak_transaction),
                   (SELECT coalesce(sum(coalesce(debit, 0) - coalesce(credit, 0)), 0) = 0
                      FROM hordak_leg)
        """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        transactions, balanced = cursor.fetchone()
    return {"transactions": transactions, "balanced": balanced}


def role_wallet_ids() -> dict:
    """The uniform wallets' id range, for pgbench's script (they must be contiguous)."""
    import django

    django.setup()
    from points.models import Account, AccountKind

    ids = sorted(
        Account.objects.filter(kind=AccountKind.WALLET, code__startswith="bench-")
        .exclude(code=HOT_CODE)
        .values_list("id", flat=True)
    )
    if len(ids) != WALLETS or ids[-1] - ids[0] + 1 != WALLETS:
        fail(f"expected {WALLETS} contiguous wallet ids, found {len(ids)}")
    return {"lo": ids[0], "hi": ids[-1]}


ROLES = {
    "seed": role_seed,
    "client": role_client,
    "verify": role_verify,
    "wallet_ids": role_wallet_ids,
}


if __name__ == "__main__":
    result = ROLES[sys.argv[1]](*sys.argv[2:])
    print(json.dumps(result), flush=True)
