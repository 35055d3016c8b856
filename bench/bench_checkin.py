"""QR check-in/check-out over HTTP, as a ratio to a bare Django view in the same run.

What is measured (successful requests per second, by the same load generator at the
same concurrency, against one gunicorn started for this run):

* ``POST /api/v1/scans/`` ``{"token": <place poster token>}`` with an allauth headless
  ``X-Session-Token``: the real API, authentication, service and ledger. Each volunteer
  is checked in once (201, activity ``open``); then every open activity's
  ``started_at`` is moved two hours back in the database, and its presence marked as
  confirmed (the bench place proves presence as places do by default, by its host
  staff confirming the self check-ins; the confirmation stands in for the host's
  POST, so the check-out credits at once as before), and each volunteer is checked
  out once (200, activity ``credited`` with 200 points through ``points_award``: a
  salon-like rule, 100 points an hour in 30-minute steps, minimum age 18 and a yearly
  limit). Each client connection owns its own slice of volunteers, so no two requests
  wait for the same volunteer's rows and no scan is a replay (``REPLAY_WINDOW``).
* the baseline of the target: ``POST /bench/auth/`` (``bench/checkin_urls.py``), the
  authenticated no-op view: the scan view's own authentication, permission and
  throttle classes (the ``X-Session-Token`` lookup) and nothing else, with the same
  body and headers on the same server (``bench/checkin_settings.py`` = the
  application's settings plus these URLs). Target: check-in + check-out >= 0.5 of it.
* information: ``POST /bench/bare/``, a view that returns ``{"ok": true}`` without
  touching the database, behind the same middleware, measured before and after the
  other phases (its figure is their mean): what even the token lookup costs.

Every phase also reports its latency, p50 and p95 (from sending a request to its
response, as the load generator saw it; for check-in + check-out, the slower phase's).

Set-up: database ``ikiiki_bench_http`` (prefix ``BENCH_DB_PREFIX``) is dropped, recreated
and migrated; 6,000 volunteers (verified ``EmailAddress``, volunteer role, wallet) get a
database session each, whose key is their session token, exactly what
``/_allauth/app/v1/auth/login``
creates. (Logging 6,000 users in through that endpoint is impossible within its rate
limit of 30 a minute per address; one more volunteer is logged in through it as a check
that the header path is the real one.) gunicorn runs ``config.wsgi`` with 2 sync workers,
``DEBUG=0``, ``CELERY_TASK_ALWAYS_EAGER=1`` and no ``REDIS_URL`` (local-memory cache);
``CONN_MAX_AGE`` is the application's default (60 s: persistent connections) unless set
in the environment.

Load generator: ``wrk`` (Debian's package; ``WRK`` overrides the path) with
``bench/checkin.lua``, a separate C process with 2 threads and 8 connections
(``BENCH_CHECKIN_CLIENTS``) to 127.0.0.1, the same for every phase. gunicorn's sync
workers close the connection after every response, so each request reconnects, for the
bare view too. Each phase lasts ``BENCH_CHECKIN_SECONDS`` (8 s); the Lua script checks
every response and counts the good ones, and who checked in is read back from the
database. ``BENCH_CHECKIN_GENERATOR=python`` uses the older generator instead (8 Python
client processes with ``http.client``): those cost the machine more CPU per request than
the bare view itself, which pulls every ratio toward 1. Warm-up (untimed): 1 s each
of the bare and the no-op view, and a check-in/check-out cycle of 64 other volunteers.

Every response is checked (status, action, activity status, points); any failure is
printed and the benchmark exits non-zero. Afterwards the database must hold exactly the
activities and credits the clients saw, and ``manage.py points_audit`` must pass. Last,
a probe (Django's test client, same settings) counts the SQL queries of one request of
each kind (informational; ``BENCH_CHECKIN_SQL=1`` prints them to stderr).

Findings: see bench/README.md. The target was first set against the bare view, where
the token lookup alone costs 0.2-0.3 of it: 0.5 of the bare view is out of reach for
any token-authenticated endpoint, so the target is now measured against the
authenticated no-op view (issue #18), the bare ratio kept as information. With one
request per worker (sync workers) the rates of everything that waits for PostgreSQL
halved.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB = f"{os.environ.get('BENCH_DB_PREFIX', 'ikiiki')}_bench_http"  # see bench_ledger
SETTINGS = "bench.checkin_settings"

CLIENTS = int(os.environ.get("BENCH_CHECKIN_CLIENTS", "8"))
WRK = os.environ.get("WRK", "/usr/bin/wrk")
# wrk (C, epoll) by default; the Python multi-process client remains for comparison.
GENERATOR = os.environ.get("BENCH_CHECKIN_GENERATOR", "wrk")
WRK_THREADS = 2  # one per core: wrk needs far less CPU than the server it drives
LUA = Path(__file__).resolve().parent / "checkin.lua"
SECONDS = float(os.environ.get("BENCH_CHECKIN_SECONDS", "8"))  # longest measured phase
WORKERS = 2
# Threads per worker (gunicorn's gthread worker; 1 = one request at a time per worker).
# A scan spends most of its time waiting for PostgreSQL: with one request per worker the
# 2 workers sit idle during every query while the bare view keeps them busy, so the
# ratio measured waiting, not work. Both views run on the same server either way.
THREADS = int(os.environ.get("BENCH_CHECKIN_THREADS", "4"))
USERS = 6000  # more than one phase can scan in SECONDS on a 2-core machine
WARM_USERS = 64
PROBE_USERS = 2
MAX_BARE_REQUESTS = 100_000  # per client: the time bound is the real one
BACKDATE = "2 hours"
EXPECTED_POINTS = 200  # 120 minutes at 100 points an hour (30-minute steps)
PASSWORD = "bench-checkin-password"  # noqa: S105 (throwaway users in a throwaway database)
LOGIN_EMAIL = "bench-checkin-login@bench.invalid"

SCAN_PATH, BARE_PATH, AUTH_PATH = "/api/v1/scans/", "/bench/bare/", "/bench/auth/"
PATHS = {"bare": BARE_PATH, "auth": AUTH_PATH, "check_in": SCAN_PATH, "check_out": SCAN_PATH}


def fail(message: str) -> None:
    raise SystemExit(f"bench_checkin: {message}")


# --- Orchestration (no Django in this process) --------------------------------------


@dataclass
class Phase:
    """One measured phase: successful requests while every client was busy."""

    label: str
    rate: float = 0.0
    in_window: int = 0
    seconds: float = 0.0
    ok: int = 0  # all successful requests of the phase, inside the window or not
    # Scans the server completed, read from the database: ``ok`` plus, with wrk, the
    # requests still in flight when it stopped (at most one per connection).
    processed: int = 0
    ok_users: list[int] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    p50_ms: float | None = None  # latency: from sending a request to its response
    p95_ms: float | None = None


def admin_connect(dbname: str = "postgres", autocommit: bool = True):
    import psycopg

    return psycopg.connect(f"{PG_URL}/{dbname}", autocommit=autocommit, connect_timeout=5)


def check_prerequisites() -> str:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a project dependency
        fail("psycopg is not installed; run `make bench`")
    try:
        with admin_connect() as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.OperationalError as exc:
        fail(
            f"PostgreSQL is not reachable at {PG_URL} ({str(exc).strip()}). Start it "
            "(e.g. `pg_ctlcluster 15 main start`) or set BENCH_PG_URL."
        )
    if GENERATOR == "wrk" and not (os.path.isfile(WRK) and os.access(WRK, os.X_OK)):
        fail(
            f"wrk not found at {WRK} (Debian: `apt-get install wrk`); set WRK to its path, "
            "or BENCH_CHECKIN_GENERATOR=python for the Python client."
        )
    try:
        import gunicorn  # noqa: F401
    except ImportError:  # pragma: no cover - gunicorn is a project dependency
        fail("gunicorn is not installed; run `make bench`")
    return version


def role_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DATABASE_URL=f"{PG_URL}/{DB}",
        PYTHONPATH=os.pathsep.join(
            [str(ROOT / "platform"), str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
        ),
        DEBUG="0",
        CELERY_TASK_ALWAYS_EAGER="1",
        LOG_LEVEL="WARNING",
        # One key for the seed, the server and the probe (poster tokens are signed).
        SECRET_KEY=env.get("BENCH_SECRET_KEY", "bench-checkin-" + "x" * 50),
    )
    env.pop("REDIS_URL", None)  # cache and rate limits in local memory
    return env


def run_role(role: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_checkin", role, *args],
        cwd=ROOT,
        env=role_env(),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        fail(f"{role} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def setup_database() -> dict:
    with admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=role_env(),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        fail(f"migrate failed:\n{done.stderr[-4000:]}")
    return run_role("seed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: dict | None = None, token: str = ""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Session-Token"] = token
        conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextlib.contextmanager
def gunicorn(log):
    """Start ``gunicorn config.wsgi`` with 2 workers; stop it on the way out."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "config.wsgi"),
        *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"),
        *("--worker-class", "gthread", "--threads", str(THREADS)),
        *("--pythonpath", f"{ROOT / 'platform'},{ROOT}"),
        *("--log-level", "warning", "--error-logfile", "-"),
    ]
    proc = subprocess.Popen(command, cwd=ROOT, env=role_env(), stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log.seek(0)
                fail(f"gunicorn exited with {proc.returncode}:\n{log.read()[-4000:]}")
            with contextlib.suppress(OSError):
                if request(port, "GET", BARE_PATH)[0] == 200:
                    break
            if time.monotonic() > deadline:
                fail("gunicorn did not answer within 60 s")
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def check_real_login(port: int) -> None:
    """The token path is allauth's: log one volunteer in through the headless API."""
    status, body = request(
        port, "POST", "/_allauth/app/v1/auth/login", {"email": LOGIN_EMAIL, "password": PASSWORD}
    )
    if status != 200:
        fail(f"headless login answered {status}: {body[:500]!r}")
    token = json.loads(body)["meta"]["session_token"]
    status, body = request(port, "GET", "/api/v1/me/", token=token)
    if status != 200 or json.loads(body).get("email") != LOGIN_EMAIL:
        fail(f"GET /api/v1/me/ with the login's session token answered {status}: {body[:500]!r}")
    status, body = request(port, "POST", SCAN_PATH, {"token": "x"})
    if status != 401:
        fail(f"an unauthenticated scan answered {status}, not 401: {body[:500]!r}")


def _expect(kind: str, status: int, body: bytes) -> str:
    """'' when the response is what ``kind`` must answer, else what went wrong."""
    if kind in ("bare", "auth"):
        return (
            "" if status == 200 and json.loads(body) == {"ok": True} else f"{kind}: HTTP {status}"
        )
    want = 201 if kind == "check_in" else 200
    if status != want:
        return f"{kind}: HTTP {status} {body[:120].decode(errors='replace')}"
    result = json.loads(body)
    activity = result["activity"]
    if result["action"] != kind:
        return f"{kind}: action {result['action']}"
    if kind == "check_in" and activity["status"] != "open":
        return f"check_in: status {activity['status']}"
    if kind == "check_out" and (
        activity["status"] != "credited" or activity["points"] != EXPECTED_POINTS
    ):
        return f"check_out: status {activity['status']}, {activity['points']} points"
    return ""


def _client(port, kind, items, body, deadline_s, barrier, results, index) -> None:
    """One connection: send ``items`` (user index, token) in order, or the bare request
    repeatedly, until done or ``deadline_s`` after the common start."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    path = PATHS[kind]
    times, latencies, ok_users, errors = [], [], [], Counter()
    barrier.wait()
    start = time.monotonic()
    deadline = start + deadline_s
    for user, token in items:
        if time.monotonic() >= deadline:
            break
        headers = {"Content-Type": "application/json", "X-Session-Token": token}
        sent = time.monotonic()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            status, payload = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors[f"{kind}: {type(exc).__name__}"] += 1
            conn.close()
            continue
        problem = _expect(kind, status, payload)
        if problem:
            errors[problem] += 1
        else:
            times.append(time.monotonic())
            latencies.append(times[-1] - sent)
            ok_users.append(user)
    end = time.monotonic()
    conn.close()
    results.put((index, start, end, times, latencies, ok_users, dict(errors)))


def run_phase(port: int, label: str, kind: str, slices: list, body: bytes, seconds: float):
    """Release one client process per slice together; return the phase's counts."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(slices))
    results = context.Queue()
    procs = [
        context.Process(
            target=_client, args=(port, kind, items, body, seconds, barrier, results, index)
        )
        for index, items in enumerate(slices)
    ]
    for proc in procs:
        proc.start()
    collected = []
    try:
        for _ in procs:
            collected.append(results.get(timeout=seconds + 90))
    except Exception as exc:  # queue.Empty: a client died or hung
        fail(f"{label}: a client did not report ({exc!r})")
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
    phase = Phase(label)
    t0 = min(start for _, start, *_ in collected)
    t1 = min(end for _, _, end, *_ in collected)  # until then every client was busy
    latencies = sorted(x * 1000 for _, _, _, _, lat, *_ in collected for x in lat)
    if latencies:
        phase.p50_ms = latencies[len(latencies) // 2]
        phase.p95_ms = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    for _, _, _, times, _, ok_users, errors in collected:
        phase.in_window += sum(1 for t in times if t <= t1)
        phase.ok += len(times)
        phase.ok_users.extend(ok_users)
        phase.errors.update(errors)
    phase.seconds = t1 - t0
    phase.rate = phase.in_window / phase.seconds if phase.seconds > 0 else 0.0
    return phase


def run_phase_wrk(
    port: int,
    label: str,
    kind: str,
    tokens: list[str],
    body: bytes,
    seconds: float,
    until_done: bool = False,
):
    """The same phase driven by ``wrk`` (bench/checkin.lua): ``CLIENTS`` connections on
    ``WRK_THREADS`` threads, for ``seconds``. ``tokens``: each used once (scans) or one
    per thread, repeated (bare, auth). Every response is checked by the script."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        listing.write(body.decode() + "\n" + "\n".join(tokens) + "\n")
        listing.flush()
        command = [
            *(WRK, "-t", str(WRK_THREADS), "-c", str(CLIENTS), "-d", f"{max(1, round(seconds))}s"),
            *("--timeout", "30s", "-s", str(LUA), f"http://127.0.0.1:{port}{PATHS[kind]}"),
            *("--", kind, listing.name, str(WRK_THREADS)),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        fail(
            f"{label}: wrk failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    phase = Phase(label)
    phase.ok = phase.in_window = result["ok"]
    phase.seconds = result["duration_us"] / 1e6
    phase.rate = phase.ok / phase.seconds if phase.seconds else 0.0
    phase.p50_ms, phase.p95_ms = result["p50_ms"], result["p95_ms"]
    phase.errors.update(result["errors"])
    if result["exhausted"] and not until_done:
        phase.errors[f"{kind}: a wrk thread ran out of volunteers (raise USERS)"] += 1
    return phase


def activity_count(status: str) -> int:
    with admin_connect(DB) as conn:
        query = "SELECT count(*) FROM volunteers_activity WHERE status = %s"
        return conn.execute(query, (status,)).fetchone()[0]


def settle(phase: Phase, status: str, before: int) -> Phase:
    """Set ``phase.processed`` from the database (activities now in ``status``, minus
    ``before``); fail unless it is the generator's count plus at most one request in
    flight per connection."""
    time.sleep(1)  # let the server finish what wrk left in flight
    phase.processed = activity_count(status) - before
    if not 0 <= phase.processed - phase.ok <= (CLIENTS if GENERATOR == "wrk" else 0):
        fail(f"{phase.label}: {phase.processed} done in the database, {phase.ok} reported")
    return phase


def open_activity_users() -> set[int]:
    """Volunteers with an open activity: who the last check-in phase checked in."""
    with admin_connect(DB) as conn:
        rows = conn.execute("SELECT volunteer_id FROM volunteers_activity WHERE status = 'open'")
        return {row[0] for row in rows.fetchall()}


def scan(port, label, kind, tokens: list[str], users: list[int], body, seconds, until_done=False):
    """A check-in or check-out phase for ``users`` (indices into ``tokens``), with the
    configured load generator; ``until_done`` (warm-up): running out of users is fine
    (wrk then idles until ``seconds`` are over)."""
    status = "open" if kind == "check_in" else "credited"
    before = activity_count(status)
    if GENERATOR == "wrk":
        selected = [tokens[u] for u in users]
        phase = run_phase_wrk(port, label, kind, selected, body, seconds, until_done)
    else:
        phase = run_phase(port, label, kind, scan_slices(tokens, users), body, seconds)
    return settle(phase, status, before)


def repeat(port: int, label: str, kind: str, tokens: list[str], body, seconds):
    """A bare or no-op phase (the same request over and over)."""
    if GENERATOR == "wrk":
        return run_phase_wrk(port, label, kind, tokens[:WRK_THREADS], body, seconds)
    return run_phase(port, label, kind, repeat_slices(tokens), body, seconds)


def scan_slices(tokens: list[str], users: list[int]) -> list[list[tuple[int, str]]]:
    """Users dealt round-robin to the clients: each client owns its own volunteers."""
    return [[(u, tokens[u]) for u in users[i::CLIENTS]] for i in range(CLIENTS)]


def repeat_slices(tokens: list[str]) -> list:
    """The same request over and over, each client with its own volunteer's token."""
    return [[(i, tokens[i])] * MAX_BARE_REQUESTS for i in range(CLIENTS)]


def backdate_open_activities() -> int:
    with admin_connect(DB) as conn:
        cursor = conn.execute(
            "UPDATE volunteers_activity SET started_at = started_at - %s::interval, "
            "presence_confirmed_at = now() WHERE status = 'open'",
            (BACKDATE,),
        )
        return cursor.rowcount


def verify(expected_open: int, expected_credited: int) -> list[str]:
    """What differs between the database and what the clients saw, and whether the
    ledger audit failed: an empty list when all is well."""
    with admin_connect(DB) as conn:
        counts = dict(
            conn.execute(
                "SELECT status, count(*) FROM volunteers_activity GROUP BY status"
            ).fetchall()
        )
        earned = conn.execute(
            "SELECT count(*), coalesce(sum(e.amount), 0) FROM points_transaction t "
            "JOIN points_entry e ON e.transaction_id = t.id "
            "JOIN points_account a ON a.id = e.account_id "
            "WHERE t.kind = 'earn' AND a.kind = 'wallet'"
        ).fetchone()
    problems = []
    found = {"open": counts.pop("open", 0), "credited": counts.pop("credited", 0)}
    if counts:
        problems.append(f"unexpected activity statuses in the database: {counts}")
    if found != {"open": expected_open, "credited": expected_credited}:
        problems.append(
            f"activities in the database: {found}; the clients saw open={expected_open}, "
            f"credited={expected_credited}"
        )
    expected = (expected_credited, expected_credited * EXPECTED_POINTS)
    if tuple(earned) != expected:
        problems.append(f"wallet credits (count, points) in the ledger: {earned}, not {expected}")
    done = subprocess.run(
        [sys.executable, "manage.py", "points_audit"],
        cwd=ROOT,
        env=role_env(),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        problems.append(f"points_audit failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return problems


def measure(port: int, seeded: dict, body: bytes) -> tuple[dict[str, Phase], Counter]:
    """Warm up, then the measured phases in order; every phase's failures counted.

    Who checked in is read from the database (open activities), not from the load
    generator: wrk cannot tell which request a response belongs to. The counts must
    agree (checked here and in ``verify``)."""
    tokens, warm_tokens = seeded["tokens"], seeded["warm_tokens"]
    index_of = {user_id: i for i, user_id in enumerate(seeded["user_ids"])}
    warm_index_of = {user_id: i for i, user_id in enumerate(seeded["warm_user_ids"])}
    warm: list[Phase] = []
    phases: dict[str, Phase] = {}

    # Warm-up: both workers import everything and run every code path at least once.
    warm.append(repeat(port, "warm-up bare", "bare", tokens, body, 1))
    warm.append(repeat(port, "warm-up no-op", "auth", tokens, body, 1))
    everyone = list(range(len(warm_tokens)))
    warm.append(scan(port, "warm-up check-in", "check_in", warm_tokens, everyone, body, 10, True))
    checked_in = sorted(warm_index_of[u] for u in open_activity_users())
    backdate_open_activities()
    warm.append(
        scan(port, "warm-up check-out", "check_out", warm_tokens, checked_in, body, 10, True)
    )
    # wrk may drop the request a connection was handed when its thread stops: a few
    # warm-up volunteers can stay checked in (they are not scanned again).
    if activity_count("open") > CLIENTS:
        fail(
            f"the warm-up left {activity_count('open')} activities open: checked in "
            f"{warm[-2].processed} ({warm[-2].ok} seen), out {warm[-1].processed} "
            f"({warm[-1].ok} seen), errors {dict(warm[-1].errors)}"
        )

    # Measured: the bare view on both sides of the others, so that drift shows.
    print("running: bare view, authenticated no-op, check-in, check-out, bare view")
    phases["bare1"] = repeat(port, "bare view (before)", "bare", tokens, body, SECONDS)
    phases["auth"] = repeat(port, "authenticated no-op", "auth", tokens, body, SECONDS)
    everyone = list(range(len(tokens)))
    phases["in"] = scan(port, "check-in", "check_in", tokens, everyone, body, SECONDS)
    checked_in = sorted(index_of[u] for u in open_activity_users() if u in index_of)
    backdate_open_activities()
    phases["out"] = scan(port, "check-out", "check_out", tokens, checked_in, body, SECONDS)
    phases["bare2"] = repeat(port, "bare view (after)", "bare", tokens, body, SECONDS)

    errors: Counter = Counter()
    for phase in [*warm, *phases.values()]:
        errors.update({f"{phase.label}: {k}": v for k, v in phase.errors.items()})
    phases["warm_in"], phases["warm_out"] = warm[2], warm[3]
    return phases, errors


TARGET = 0.5  # check-in + check-out against the authenticated no-op view


def print_report(version: str, phases: dict[str, Phase], probe: dict) -> bool:
    """Print the table; True when the target is met."""
    bare = (phases["bare1"].rate + phases["bare2"].rate) / 2
    scan_in, scan_out = phases["in"], phases["out"]
    combined = Phase("check-in + check-out")
    combined.in_window = scan_in.in_window + scan_out.in_window
    combined.seconds = scan_in.seconds + scan_out.seconds
    combined.rate = combined.in_window / combined.seconds if combined.seconds else 0.0
    # Each phase's percentiles come from its own run; the pair's p95 is the slower one's.
    combined.p50_ms = max(p for p in (scan_in.p50_ms, scan_out.p50_ms) if p is not None)
    combined.p95_ms = max(p for p in (scan_in.p95_ms, scan_out.p95_ms) if p is not None)
    auth = phases["auth"].rate
    met = auth > 0 and combined.rate / auth >= TARGET
    rows = [
        # The target: what a scan costs beyond any token-authenticated API request.
        (scan_in, auth, "no-op", ""),
        (scan_out, auth, "no-op", ""),
        (combined, auth, "no-op", f">= {TARGET}"),
        # Information: the bare view, which touches no database at all.
        (phases["bare1"], None, "", ""),
        (phases["bare2"], None, "", ""),
        (phases["auth"], bare, "bare", ""),
        (scan_in, bare, "bare", ""),
        (scan_out, bare, "bare", ""),
        (combined, bare, "bare", ""),
    ]
    header = (
        "measured",
        "requests",
        "seconds",
        "req/s",
        "p50 ms",
        "p95 ms",
        "baseline",
        "req/s",
        "ratio",
        "target",
    )
    lines = []
    for phase, base, base_name, target in rows:
        ratio = phase.rate / base if base else None
        if target:
            target = f"{target} {'ok' if met else 'MISSED'}"
        lines.append(
            (
                phase.label,
                f"{phase.in_window:,}",
                f"{phase.seconds:.1f}",
                f"{phase.rate:,.0f}",
                f"{phase.p50_ms:.1f}" if phase.p50_ms is not None else "-",
                f"{phase.p95_ms:.1f}" if phase.p95_ms is not None else "-",
                base_name or "-",
                f"{base:,.0f}" if base else "-",
                f"{ratio:.2f}" if ratio is not None else "-",
                target or "-",
            )
        )
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    print(
        f"PostgreSQL {version} at {PG_URL}, {os.cpu_count()} cores; gunicorn {WORKERS} "
        f"workers x {THREADS} threads, CONN_MAX_AGE={probe['conn_max_age']}; load generator: "
        + (
            f"wrk, {WRK_THREADS} threads, {CLIENTS} connections; "
            if GENERATOR == "wrk"
            else f"{CLIENTS} Python client processes; "
        )
        + f"phases of at most {SECONDS:g} s; {USERS} volunteers"
    )
    print(fmt(header))
    print("  ".join("-" * width for width in widths))
    for i, line in enumerate(lines):
        if i == 3:
            print("information (the bare view touches no database):")
        print(fmt(line))
    print(
        "ratio = req/s / baseline req/s; no-op = the authenticated no-op view (the scan's "
        "authentication, nothing else), bare = mean of the two bare-view runs; "
        "requests = successful ones while every client was busy; check-in + check-out = "
        "both phases' requests over both phases' time, its p50/p95 the slower phase's; "
        "latency from sending a request to its response, as the load generator saw it."
    )
    print(
        "SQL queries per request (Django test client, same settings): "
        + ", ".join(f"{name} {count}" for name, count in probe["queries"].items())
    )


def main() -> None:
    started = time.monotonic()
    load_before = os.getloadavg()[0]  # other work on the machine skews every ratio
    version = check_prerequisites()
    print(f"setting up: {DB} (migrate + {USERS + WARM_USERS} volunteers with sessions)")
    seeded = setup_database()
    body = json.dumps({"token": seeded["place_token"]}).encode()
    with tempfile.TemporaryFile(mode="w+") as log, gunicorn(log) as port:
        print(f"gunicorn on 127.0.0.1:{port}, {WORKERS} workers; {CLIENTS} clients")
        check_real_login(port)
        phases, errors = measure(port, seeded, body)

    scans = [phases[key] for key in ("warm_in", "in", "warm_out", "out")]
    checked_in = scans[0].processed + scans[1].processed
    checked_out = scans[2].processed + scans[3].processed
    problems = verify(checked_in - checked_out, checked_out)
    probe = run_role("probe", seeded["probe_tokens"][0])

    print()
    met = print_report(version, phases, probe)
    print("failed requests: " + (", ".join(f"{k} x{v}" for k, v in errors.items()) or "none"))
    print(
        f"checked: status and body of every response ({checked_in + checked_out:,} scans); "
        f"the activities and credits in the database; points_audit: "
        + ("; ".join(problems) if problems else "all consistent")
        + f" (total time {time.monotonic() - started:.0f} s)."
    )
    if load_before > 0.5:
        print(
            f"WARNING: load average {load_before:.1f} before the run: other work on this "
            "machine was competing for its cores; the figures are unreliable."
        )
    if not met:
        print(
            f"target missed: check-in + check-out below {TARGET} of the authenticated no-op "
            "view (reported, not an error: the figures themselves were checked)."
        )
    if errors or problems:
        fail(f"{sum(errors.values())} failed requests, {len(problems)} database problems (above)")


# --- Roles (subprocesses with Django) -----------------------------------------------


def role_seed() -> dict:
    """Rule, place, volunteers with verified email, role, wallet and a session each."""
    import datetime as dt

    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from points.models import Account, AccountKind, EarningRule
    from points.services.accounts import system_account
    from volunteers.models import Place
    from volunteers.selectors.places import place_token

    with transaction.atomic():
        rule = EarningRule.objects.create(
            activity_kind="bench-salon",
            name="bench salon",
            basis=EarningRule.Basis.PER_HOUR,
            points=100,
            rounding_minutes=30,
            min_age=18,
            yearly_cap=8000,
            year_basis=EarningRule.YearBasis.FISCAL,
        )
        place = Place.objects.create(
            name="bench salon",
            kind=Place.Kind.SALON,
            earning_rule=rule,
            presence=Place.Presence.HOST,  # confirmed by backdate_open_activities
        )
        system_account(AccountKind.ISSUANCE)
        password = make_password(PASSWORD)  # hashed once, shared: hashing is slow on purpose
        total = WARM_USERS + USERS + PROBE_USERS
        users = User.objects.bulk_create(
            User(
                email=f"bench-checkin-{i}@bench.invalid",
                full_name=f"bench {i}",
                birth_date=dt.date(1960, 1, 1),
                password=password,
            )
            for i in range(total)
        )
        users.append(
            User.objects.create(
                email=LOGIN_EMAIL, full_name="bench login", birth_date=dt.date(1960, 1, 1)
            )
        )
        users[-1].set_password(PASSWORD)
        users[-1].save(update_fields=["password"])
        EmailAddress.objects.bulk_create(
            EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
        )
        volunteer = Group.objects.get(name=Role.VOLUNTEER)
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=u.pk, group_id=volunteer.pk) for u in users
        )
        Account.objects.bulk_create(
            Account(kind=AccountKind.WALLET, owner=u, code=f"wallet-{u.pk}", name=f"{u} のポイント")
            for u in users
        )
        # What django.contrib.auth.login (called by allauth's login) stores in a session.
        store, expires = SessionStore(), timezone.now() + dt.timedelta(days=1)
        sessions = [
            Session(
                session_key=store._get_new_session_key(),
                session_data=store.encode(
                    {
                        SESSION_KEY: str(u.pk),
                        BACKEND_SESSION_KEY: "allauth.account.auth_backends.AuthenticationBackend",
                        HASH_SESSION_KEY: u.get_session_auth_hash(),
                        "account_authentication_methods": [
                            {"method": "password", "at": time.time(), "email": u.email}
                        ],
                    }
                ),
                expire_date=expires,
            )
            for u in users[:total]
        ]
        Session.objects.bulk_create(sessions)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    keys = [s.session_key for s in sessions]
    ids = [u.pk for u in users[:total]]
    return {
        "place_token": place_token(place),
        "warm_tokens": keys[:WARM_USERS],
        "warm_user_ids": ids[:WARM_USERS],
        "tokens": keys[WARM_USERS : WARM_USERS + USERS],
        "user_ids": ids[WARM_USERS : WARM_USERS + USERS],
        "probe_tokens": keys[WARM_USERS + USERS :],
    }


def role_probe(token: str) -> dict:
    """SQL queries of one bare request, one check-in and one check-out (test client),
    for the probe volunteer whose session token is ``token``."""
    import datetime as dt

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.db.models import F
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from volunteers.models import Activity, Place
    from volunteers.selectors.places import place_token

    client = Client(headers={"X-Session-Token": token})
    body = {"token": place_token(Place.objects.get(name="bench salon"))}
    show = os.environ.get("BENCH_CHECKIN_SQL") == "1"

    def count(name: str, path: str, expected: int) -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as captured:
            response = client.post(path, body, content_type="application/json")
        if response.status_code != expected:
            raise SystemExit(f"probe {name}: HTTP {response.status_code} {response.content[:300]}")
        if show:
            print(f"-- {name}: {len(captured)} queries", file=sys.stderr)
            for query in captured.captured_queries:
                print(f"   {query['sql'][:400]}", file=sys.stderr)
        return len(captured), response.json()

    counts = {"bare": count("bare", BARE_PATH, 200)[0]}
    counts["authenticated no-op"] = count("auth", AUTH_PATH, 200)[0]
    counts["check-in"], result = count("check-in", SCAN_PATH, 201)
    Activity.objects.filter(pk=result["activity"]["id"]).update(
        started_at=F("started_at") - dt.timedelta(hours=2),
        presence_confirmed_at=dt.datetime.now(dt.UTC),  # the host's confirmation
    )
    counts["check-out"], result = count("check-out", SCAN_PATH, 200)
    if result["activity"]["points"] != EXPECTED_POINTS:
        raise SystemExit(f"probe check-out: {result}")
    return {"queries": counts, "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"]}


if __name__ == "__main__":
    if sys.argv[1:] == ["seed"]:
        print(json.dumps(role_seed()))
    elif len(sys.argv) == 3 and sys.argv[1] == "probe":
        print(json.dumps(role_probe(sys.argv[2])))
    else:
        raise SystemExit("usage: python -m bench.bench_checkin seed | probe SESSION_TOKEN")
