"""The twenty busiest pages and API operations over HTTP, in a small and a large
generated city in one run (issue #18): latency at each size, the ratio large / small
(target <= 1.5 for each) and the SQL queries per request (equal at both sizes).

Cities: ``bench.city`` (``seed_city --scale S``, kept between runs). Every operation
runs on a throwaway copy of each city (``city_copy``), because the benchmark writes:
sessions for the users it acts as, a TOTP authenticator for the back-office users, one
city staff member (the generator makes none), fresh vouchers to look up and redeem,
check-ins and check-outs. The copies are dropped at the end (``BENCH_PAGES_KEEP=1``
keeps them for EXPLAIN ANALYZE).

Who and what the operations act on is chosen from each city by the same rule
(``role_seed``), so that they are representative of the city, not its emptiest corner:
the volunteer with the highest balance (/me/ pages), the shop with the most
redemptions and its clerk, the upcoming open help request with the most matching
slots (the request page's suggestions), the first district coordinator, an address
fragment every resident has (the resident search fills its page of 20 in both
cities), a place for the scans and the first
``SCAN_USERS`` other volunteers (each checks in once, then out once).

Server: ``gunicorn config.wsgi`` per city, 2 workers x 4 threads (gthread), ``DEBUG=0``,
Celery eager, no Redis (local-memory cache), settings ``bench.pages_settings``: the
application's own plus ``bench.querycount``, a middleware that counts each request's
SQL statements (``connection.execute_wrapper``) into the ``X-Bench-Queries`` header.
Load: ``wrk`` with ``bench/pages.lua``, 2 threads, 8 connections, which checks every
response (status and a piece of its content known from the database) and tallies the
query counts.

Order: every operation is checked and warmed up (1 s untimed) at both sizes, then
measured small, large, large, small, half of ``BENCH_PAGES_SECONDS`` (5 s) each (a
size's figures are the mean of its two turns), before the next operation: drift on
the shared machine does not favour one side. Writes (redemptions, scans) send each
request once, small then large; their phase ends when the requests run out.

Afterwards the copies' databases must hold exactly the writes the clients saw, and
``manage.py points_audit`` must pass on both; a failed request or check exits non-zero.
A missed ratio or unequal query count prints ``MISSED`` (not an error).

``BENCH_PAGES_SCALES`` (``0.01,1``) picks the two sizes; ``BENCH_PAGES_ONLY`` a
comma-separated subset of operations (development).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import city

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "bench.pages_settings"
LUA = Path(__file__).resolve().parent / "pages.lua"
WRK = os.environ.get("WRK", "/usr/bin/wrk")
WRK_THREADS = 2
CLIENTS = 8
WORKERS = 2
THREADS = 4
SECONDS = float(os.environ.get("BENCH_PAGES_SECONDS", "5"))
WARM_SECONDS = 1
MAX_SECONDS = 60  # the longest phase, for pages that take seconds
SCALES = [float(s) for s in os.environ.get("BENCH_PAGES_SCALES", "0.01,1").split(",")]
ONLY = [s for s in os.environ.get("BENCH_PAGES_ONLY", "").split(",") if s]
KEEP = os.environ.get("BENCH_PAGES_KEEP", "") not in ("", "0")
SUFFIX = os.environ.get("BENCH_PAGES_SUFFIX", "pages")
SECRET_KEY = "bench-pages-" + "k" * 50  # one key for the seed and the servers
TARGET = 1.5
SCAN_USERS = 160  # per city: fewer than the small city's 200 volunteers
VOUCHERS = 160  # fresh vouchers per city, each redeemed once
WARM_WRITES = 4  # of those, sent one by one before the measured phase
PASSWORD_UNUSABLE = "!"  # noqa: S105 (Django's mark for no usable password)


def fail(message: str) -> None:
    raise SystemExit(f"bench_pages: {message}")


# --- Orchestration (no Django in this process) --------------------------------------


@dataclass
class Result:
    p50_ms: float | None = None
    p95_ms: float | None = None
    ok: int = 0
    seconds: float = 0.0
    queries: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    @property
    def query_mode(self) -> str:
        counts = [q for q, _ in self.queries.most_common() if q != "none"]
        return counts[0] if counts else "-"

    @property
    def query_range(self) -> str:
        counts = sorted(int(q) for q in self.queries if q.isdigit())
        if not counts:
            return "-"
        return str(counts[0]) if counts[0] == counts[-1] else f"{counts[0]}-{counts[-1]}"


def merged(runs: list[Result]) -> Result:
    """One size's turns as one result: latencies the mean of the turns' percentiles
    (turns without an answer left out), counts and query tallies summed."""
    answered = [r for r in runs if r.ok]
    result = Result(ok=sum(r.ok for r in runs), seconds=sum(r.seconds for r in runs))
    if answered:
        result.p50_ms = sum(r.p50_ms for r in answered) / len(answered)
        result.p95_ms = sum(r.p95_ms for r in answered) / len(answered)
    for r in runs:
        result.queries.update(r.queries)
        result.errors.update(r.errors)
    return result


def check_prerequisites() -> str:
    try:
        with city._connect() as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
    except city.CityError as exc:
        fail(str(exc))
    if not (os.path.isfile(WRK) and os.access(WRK, os.X_OK)):
        fail(f"wrk not found at {WRK} (Debian: `apt-get install wrk`); set WRK to its path")
    try:
        import gunicorn  # noqa: F401
    except ImportError:  # pragma: no cover - gunicorn is a project dependency
        fail("gunicorn is not installed; run `make bench`")
    return version


def env_for(database: str) -> dict:
    return city.django_env(database, SETTINGS, SECRET_KEY=SECRET_KEY)


def run_role(database: str, role: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_pages", role, *args],
        cwd=ROOT,
        env=env_for(database),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        fail(f"{role} on {database} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def manage(database: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env_for(database),
        capture_output=True,
        text=True,
    )


def copy_city(scale: float) -> str:
    """A copy of the scale's city (``bench.city``: generated when missing or stale,
    migrated to this checkout when kept), for this run to write in."""
    name = city.city_copy(scale, SUFFIX)
    done = manage(name, "migrate", "--noinput", "-v0")
    if done.returncode != 0:
        fail(f"migrate {name} failed:\n{done.stderr[-4000:]}")
    return name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def send(port: int, spec: list) -> tuple[int, bytes, str]:
    method, path, body, headers = spec
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=None if body == "-" else body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("X-Bench-Queries", "none")
    finally:
        conn.close()


@contextlib.contextmanager
def gunicorn(database: str, log):
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "config.wsgi"),
        *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"),
        *("--worker-class", "gthread", "--threads", str(THREADS)),
        *("--pythonpath", f"{ROOT / 'platform'},{ROOT}"),
        *("--log-level", "warning", "--error-logfile", "-", "--timeout", "120"),
    ]
    proc = subprocess.Popen(command, cwd=ROOT, env=env_for(database), stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log.seek(0)
                fail(f"gunicorn exited with {proc.returncode}:\n{log.read()[-4000:]}")
            with contextlib.suppress(OSError):
                if send(port, ["GET", "/healthz", "-", {}])[0] in (200, 503):
                    break
            if time.monotonic() > deadline:
                fail("gunicorn did not answer within 60 s")
            time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_wrk(port: int, op: dict, requests: list, seconds: float) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv") as listing:
        listing.write(f"{op['mode']}\n{op['status']}\n{op['expect']}\n")
        for method, path, body, headers in requests:
            cells = [method, path, body, *(f"{k}: {v}" for k, v in headers.items())]
            listing.write("\t".join(cells) + "\n")
        listing.flush()
        command = [
            *(WRK, "-t", str(WRK_THREADS), "-c", str(CLIENTS), "-d", f"{math.ceil(seconds)}s"),
            *("--timeout", "120s", "-s", str(LUA), f"http://127.0.0.1:{port}"),
            *("--", listing.name, str(WRK_THREADS)),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        fail(f"{op['name']}: wrk failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr}")
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    result = Result(ok=raw["ok"], seconds=raw["duration_us"] / 1e6)
    result.p50_ms, result.p95_ms = raw["p50_ms"], raw["p95_ms"]
    result.errors.update(raw["errors"])
    result.queries.update(raw["queries"])
    return result


def check_one(port: int, op: dict, spec: list) -> tuple[str, str]:
    """Send one request; ('', query count) when its answer is right, else the problem."""
    status, body, queries = send(port, spec)
    text = body.decode(errors="replace")
    if status != op["status"]:
        return f"{op['name']} {spec[1]}: HTTP {status} {' '.join(text[:300].split())}", queries
    if op["expect"] and op["expect"] not in text:
        return f"{op['name']} {spec[1]}: {op['expect']!r} not in the answer", queries
    return "", queries


def measure(ports: dict, seeded: dict, copies: dict) -> tuple[dict, Counter]:
    """Every operation, small then large, each after its own warm-up."""
    results: dict[str, dict[float, Result]] = {}
    errors: Counter = Counter()
    names = [op["name"] for op in seeded[SCALES[0]]["ops"]]
    for index, name in enumerate(names):
        if ONLY and name not in ONLY:
            continue
        if name == "scan_out":
            for scale in SCALES:
                backdate_open_activities(copies[scale])
        results[name] = {}
        timed: dict[float, list[Result]] = {scale: [] for scale in SCALES}
        phases: dict[float, float] = {}
        for scale in SCALES:  # the checks and warm-ups, small then large
            op = seeded[scale]["ops"][index]
            port = ports[scale]
            requests = op["requests"]
            if op["mode"] == "once":
                for spec in requests[:WARM_WRITES]:
                    problem, _ = check_one(port, op, spec)
                    if problem:
                        errors[f"warm-up {scale:g}: {problem}"] += 1
                continue
            t0 = time.monotonic()
            problem, _ = check_one(port, op, requests[0])
            alone = time.monotonic() - t0
            if problem:
                errors[f"warm-up {scale:g}: {problem}"] += 1
            # A slow page gets longer phases (up to MAX_SECONDS), for a dozen or so
            # answers at 8 connections on 2 cores; a fast one a warm-up run first.
            phases[scale] = min(MAX_SECONDS, max(SECONDS, 8 * alone))
            if alone < 1:
                warm = run_wrk(port, op, requests, WARM_SECONDS)
                errors.update({f"{name} {scale:g} warm-up: {k}": v for k, v in warm.errors.items()})
        first = seeded[SCALES[0]]["ops"][index]
        # Reads: small, large, large, small (half a phase each), so that a steady drift of
        # the machine weighs on both sizes alike; writes (each request once): small, large.
        order = [*SCALES] if first["mode"] == "once" else [*SCALES, *reversed(SCALES)]
        for scale in order:
            op = seeded[scale]["ops"][index]
            if op["mode"] == "once":
                requests, seconds = op["requests"][WARM_WRITES:], SECONDS
            else:
                requests = op["requests"]
                # Half a phase per turn; a page of seconds keeps whole phases, since at
                # 8 connections its answers come only after several times its own time.
                slow = phases[scale] > SECONDS
                seconds = phases[scale] if slow else max(3.0, phases[scale] / 2)
            result = run_wrk(ports[scale], op, requests, seconds)
            errors.update({f"{name} {scale:g}: {k}": v for k, v in result.errors.items()})
            timed[scale].append(result)
        for scale in SCALES:
            result = merged(timed[scale])
            results[name][scale] = result
            print(
                f"  {name:<18} S={scale:<5g} p50 {result.p50_ms or 0:8.1f} ms  p95 "
                f"{result.p95_ms or 0:8.1f} ms  {result.ok:5d} ok  queries {result.query_range}",
                flush=True,
            )
    return results, errors


def backdate_open_activities(database: str) -> None:
    """The scans' check-ins two hours back, their presence confirmed (the host's part),
    so that the check-outs credit at once (as bench_checkin does)."""
    with city._connect(database) as conn:
        conn.execute(
            "UPDATE volunteers_activity SET started_at = started_at - interval '2 hours', "
            "presence_confirmed_at = now() WHERE status = 'open'"
        )


def verify(copies: dict, seeded: dict, results: dict) -> list[str]:
    """The writes in each copy against what the clients saw; points_audit."""
    problems = []
    for scale in SCALES:
        database, facts = copies[scale], seeded[scale]["facts"]
        with city._connect(database) as conn:
            open_, credited = conn.execute(
                "SELECT count(*) FILTER (WHERE status = 'open'), "
                "count(*) FILTER (WHERE status = 'credited') FROM volunteers_activity "
                "WHERE volunteer_id = ANY(%s) "
                "AND started_at > %s::timestamptz - interval '3 hours'",
                [facts["scan_user_ids"], facts["started"]],
            ).fetchone()
            redeemed = conn.execute(
                "SELECT count(*) FROM points_voucher WHERE id = ANY(%s) AND status = 'redeemed'",
                [facts["voucher_ids"]],
            ).fetchone()[0]
        for name, found, what in (
            ("scan_out", credited, "credited activities"),
            ("redeem", redeemed, "redeemed vouchers"),
        ):
            if name not in results:
                continue
            seen = results[name][scale].ok + WARM_WRITES
            if not 0 <= found - seen <= CLIENTS:
                problems.append(f"S={scale:g}: {found} {what} in the database, {seen} seen")
        if "scan_in" in results and "scan_out" in results:
            # Checked in and not (yet) out: the check-out phase may end before its list.
            still_open = results["scan_in"][scale].ok - results["scan_out"][scale].ok
            if not -CLIENTS <= open_ - still_open <= CLIENTS:
                problems.append(
                    f"S={scale:g}: {open_} activities open after the scans, {still_open} seen"
                )
        done = manage(database, "points_audit")
        if done.returncode != 0:
            problems.append(
                f"S={scale:g}: points_audit failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
    return problems


def print_report(version: str, results: dict, seeded: dict, load: float) -> list[str]:
    small, large = SCALES[0], SCALES[-1]
    header = (
        "operation",
        f"p50 {small:g}",
        f"p95 {small:g}",
        f"p50 {large:g}",
        f"p95 {large:g}",
        "ratio p50",
        "ratio p95",
        "target",
        "queries",
        "req/s",
    )
    rows, missed = [], []
    for name, by_scale in results.items():
        a, b = by_scale[small], by_scale[large]
        answered = bool(a.p50_ms and b.p50_ms)
        ratio = b.p50_ms / a.p50_ms if answered else float("inf")
        ratio95 = b.p95_ms / a.p95_ms if answered else float("inf")
        same = a.query_mode == b.query_mode
        verdict = "ok" if ratio <= TARGET else "MISSED"
        if ratio > TARGET:
            missed.append(
                f"{name}: ratio {ratio:.2f}" if answered else f"{name}: no answer in its phase"
            )
        queries = f"{a.query_range} / {b.query_range}"
        if not same:
            queries += " MISSED"
            missed.append(f"{name}: queries {a.query_mode} vs {b.query_mode}")
        rows.append(
            (
                name,
                *(f"{x:.1f}" if x else "-" for x in (a.p50_ms, a.p95_ms, b.p50_ms, b.p95_ms)),
                f"{ratio:.2f}" if answered else "-",
                f"{ratio95:.2f}" if answered else "-",
                f"<= {TARGET} {verdict}",
                queries,
                f"{a.ok / a.seconds:.0f} / {b.ok / b.seconds:.0f}"
                if a.seconds and b.seconds
                else "-",
            )
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row):
        return "  ".join(
            c.ljust(w) if i in (0, 8) else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    print(
        f"PostgreSQL {version}, {os.cpu_count()} cores, load average {load:.1f} before the "
        f"run; gunicorn {WORKERS} workers x {THREADS} threads per city; wrk {WRK_THREADS} "
        f"threads, {CLIENTS} connections; {SECONDS:g} s per operation and size "
        f"(after {WARM_SECONDS} s warm-up)"
    )
    for scale in SCALES:
        print(f"S={scale:g}: {seeded[scale]['facts']['describe']}")
    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(fmt(row))
    print(
        "latency in ms from sending a request to its response (wrk); ratio = large / small; "
        "queries = SQL statements per request (X-Bench-Queries), small / large; "
        "req/s = successful requests per second at 8 connections, small / large."
    )
    return missed


def main() -> None:
    started = time.monotonic()
    load = os.getloadavg()[0]
    version = check_prerequisites()
    if len(SCALES) != 2:
        fail("BENCH_PAGES_SCALES must name two scales, small first")
    copies: dict[float, str] = {}
    try:
        seeded = {}
        for scale in SCALES:
            copies[scale] = copy_city(scale)
            t0 = time.monotonic()
            seeded[scale] = run_role(copies[scale], "seed", format(scale, "g"))
            print(f"  seeded {copies[scale]} in {time.monotonic() - t0:.0f} s", flush=True)
        with contextlib.ExitStack() as stack:
            ports = {}
            for scale in SCALES:
                log = stack.enter_context(tempfile.TemporaryFile(mode="w+"))
                ports[scale] = stack.enter_context(gunicorn(copies[scale], log))
            print(f"gunicorn: {ports}; running {SECONDS:g} s per operation and size", flush=True)
            results, errors = measure(ports, seeded, copies)
        problems = verify(copies, seeded, results) if results else []
    finally:
        if not KEEP:
            for name in copies.values():
                city.drop(name)
    print()
    missed = print_report(version, results, seeded, load)
    print("failed requests: " + ("; ".join(f"{k} x{v}" for k, v in errors.items()) or "none"))
    print(
        "checked: status and content of every response; writes in the database; "
        "points_audit: "
        + ("; ".join(problems) if problems else "all consistent")
        + f" (total time {time.monotonic() - started:.0f} s)"
    )
    if missed:
        print("MISSED: " + "; ".join(missed) + " (reported, not an error)")
    if load > 1.0:
        print(f"WARNING: load average {load:.1f} before the run: the figures are noisy.")
    if errors or problems:
        fail(f"{sum(errors.values())} failed requests, {len(problems)} database problems")


# --- Role (a subprocess with Django, on one copy) -----------------------------------


def role_seed(scale: str) -> dict:
    """Choose who and what the operations act on, give them sessions, and describe
    every operation's requests and what a right answer contains."""
    import datetime as dt
    import random
    from urllib.parse import quote

    import django

    django.setup()
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from accounts.models import Role, User
    from cms.models import EventPage
    from points import codes
    from points.models import (
        Account,
        AccountKind,
        ExchangeSettings,
        SettlementStatement,
        Shop,
        Voucher,
    )
    from points.services.vouchers import voucher_exchange
    from volunteers.models import HelpRequest, MatchingSlot, Place, VolunteerProfile
    from volunteers.selectors.help_requests import residents_search
    from volunteers.selectors.places import place_token
    from volunteers.selectors.profiles import suggest

    now = timezone.now()
    store, expires = SessionStore(), now + dt.timedelta(days=1)

    def session_for(user, mfa: bool = False) -> str:
        records = [{"method": "password", "at": time.time(), "email": user.email}]
        if mfa:
            records.append({"method": "mfa", "at": time.time(), "type": "totp"})
        key = store._get_new_session_key()
        Session.objects.create(
            session_key=key,
            session_data=store.encode(
                {
                    SESSION_KEY: str(user.pk),
                    BACKEND_SESSION_KEY: "allauth.account.auth_backends.AuthenticationBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                    "account_authentication_methods": records,
                    "account_authentication_methods_user": str(user.pk),
                }
            ),
            expire_date=expires,
        )
        return key

    def with_totp(user) -> None:
        if not user.authenticator_set.exists():
            TOTP.activate(user, generate_totp_secret())

    volunteers = User.objects.filter(groups__name=Role.VOLUNTEER, volunteer_profile__active=True)
    with transaction.atomic():
        # The volunteer of the /me/ pages: the highest balance (ties: the lowest id).
        wallet = (
            Account.objects.filter(kind=AccountKind.WALLET, owner__in=volunteers)
            .order_by("-balance", "owner_id")
            .first()
        )
        volunteer = wallet.owner
        # Their vouchers' codes re-sealed under this run's key (the city's were sealed
        # under the generating checkout's), so that /me/vouchers/ shows real codes.
        vouchers = list(volunteer.vouchers.all())
        for voucher in vouchers:
            code = codes.generate()
            voucher.code_digest, voucher.code_sealed = codes.digest(code), codes.seal(code)
        Voucher.objects.bulk_update(vouchers, ["code_digest", "code_sealed"])
        newest = max(vouchers, key=lambda v: (v.issued_at, v.pk))
        newest_code = codes.display(codes.unseal(newest.code_sealed))

        # The shop with the most redemptions, and its clerk.
        shop = (
            Shop.objects.filter(active=True)
            .annotate(n=Count("redemptions"))
            .order_by("-n", "pk")
            .first()
        )
        clerk = shop.memberships.order_by("pk").first().user
        statement = SettlementStatement.objects.filter(shop=shop).order_by("-month").first()

        # The coordinator, and a city staff member with TOTP (the city has none).
        coordinator = User.objects.filter(groups__name=Role.COORDINATOR).order_by("pk").first()
        with_totp(coordinator)
        staff, _ = User.objects.get_or_create(
            email="bench-pages-staff@bench.invalid",
            defaults={"full_name": "bench staff", "password": PASSWORD_UNUSABLE},
        )
        staff.groups.add(Group.objects.get(name=Role.CITY_STAFF))
        from allauth.account.models import EmailAddress

        EmailAddress.objects.get_or_create(
            user=staff, email=staff.email, defaults={"verified": True, "primary": True}
        )
        with_totp(staff)

        # The upcoming open request with the most matching slots (its eligible pool).
        open_requests = HelpRequest.objects.filter(
            status=HelpRequest.Status.REQUESTED, starts_at__gt=now
        ).select_related("resident", "category", "district")
        best, best_n = None, -1
        for req in open_requests:
            local = timezone.localtime(req.starts_at)
            n = MatchingSlot.objects.filter(
                district=req.district_id, category=req.category_id, day_key=local.weekday()
            ).count()
            if n > best_n:
                best, best_n = req, n
        if best is None:
            fail("no upcoming open help request in the city")
        suggestions = suggest(best, limit=15)

        # The resident search: a part of the address every generated resident has, so
        # that both cities fill the page of 20 (a surname finds 6 in the small city).
        surname = "中央"
        found = list(residents_search(surname)[:20])

        # Scans: a place, and the first SCAN_USERS other volunteers.
        place = Place.objects.filter(active=True).order_by("pk").first()
        scanners = list(volunteers.exclude(pk=volunteer.pk).order_by("pk")[:SCAN_USERS])
        if len(scanners) < SCAN_USERS:
            fail(f"only {len(scanners)} volunteers to scan")

        # Fresh vouchers (the product's exchange) to look up and redeem at the shop.
        config = ExchangeSettings.load()
        month = timezone.localdate().month
        if not config.open_in(month):
            config.exchange_months = ",".join(str(m) for m in range(1, 13))
            config.save()
        config.yearly_limit_points = None
        config.save()
        fresh = []
        donors = (
            Account.objects.filter(kind=AccountKind.WALLET, owner__in=volunteers)
            .exclude(owner=volunteer)
            .filter(balance__gte=4 * config.voucher_points)
            .order_by("owner_id")
            .select_related("owner")
        )
        for account in donors:
            if len(fresh) >= VOUCHERS:
                break
            _txn, made = voucher_exchange(
                user=account.owner,
                count=min(4, VOUCHERS - len(fresh)),
                idempotency_key=f"bench-pages:{account.owner_id}",
            )
            fresh.extend(made)
        if len(fresh) < VOUCHERS:
            fail(f"only {len(fresh)} fresh vouchers")
        fresh_codes = [codes.display(codes.unseal(v.code_sealed)) for v in fresh]

        sessions = {
            "volunteer": session_for(volunteer),
            "clerk": session_for(clerk),
            "coordinator": session_for(coordinator, mfa=True),
            "staff": session_for(staff, mfa=True),
        }
        scan_tokens = [session_for(u) for u in scanners]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE django_session")

    event = EventPage.objects.live().public().filter(start_at__gte=now).order_by("start_at").first()
    token = place_token(place)
    random.Random(1).shuffle(fresh_codes)  # not in issue order

    def cookie(who):
        return {"Cookie": f"sessionid={sessions[who]}"}

    def api(who_token):
        return {"Content-Type": "application/json", "X-Session-Token": who_token}

    def get(path, who=None):
        return ["GET", path, "-", cookie(who) if who else {}]

    def op(name, requests, expect, mode="cycle", status=200):
        return {
            "name": name,
            "mode": mode,
            "status": status,
            "expect": expect,
            "requests": requests,
        }

    ops = [
        op("board", [get("/admin/aid/", "coordinator")], f"/admin/aid/requests/{best.pk}/"),
        op(
            "resident_search",
            [get(f"/admin/aid/?q={quote(surname)}", "coordinator")],
            f"/admin/aid/residents/{found[0].pk}/" if found else "",
        ),
        op(
            "request_page",
            [get(f"/admin/aid/requests/{best.pk}/", "coordinator")],
            suggestions[0].volunteer.full_name if suggestions else "",
        ),
        op("me", [get("/me/", "volunteer")], volunteer.full_name),
        op(
            "me_points",
            [get("/me/points/", "volunteer")],
            f'data-testid="balance">{wallet.balance:,}<',
        ),
        op("me_vouchers", [get("/me/vouchers/", "volunteer")], newest_code),
        op(
            "shop_statements",
            [get("/shop/statements/", "clerk")],
            f"/shop/statements/{statement.pk}/",
        ),
        op("shop_statement", [get(f"/shop/statements/{statement.pk}/", "clerk")], shop.name),
        op("home", [get("/")], "</html>"),
        op("events", [get("/events/")], event.title if event else "</html>"),
        op("events_ics", [get("/events.ics")], "BEGIN:VCALENDAR"),
        op("ledger_report", [get("/admin/points/ledger/", "staff")], "</html>"),
        op("fiscal_report", [get("/admin/reports/annual/", "staff")], "</html>"),
        op("admin_users", [get("/admin/users/", "staff")], "</html>"),
        op("admin_vouchers", [get("/admin/vouchers/", "staff")], "</html>"),
        op("admin_volunteers", [get("/admin/aid_volunteers/", "coordinator")], "</html>"),
        op(
            "voucher_check",
            [
                [
                    "POST",
                    "/api/v1/shop/redemptions/check/",
                    json.dumps({"code": c}),
                    api(sessions["clerk"]),
                ]
                for c in fresh_codes
            ],
            '"points"',
        ),
        op(
            "redeem",
            [
                [
                    "POST",
                    "/api/v1/shop/redemptions/",
                    json.dumps({"code": c}),
                    api(sessions["clerk"]),
                ]
                for c in fresh_codes
            ],
            '"redeemed_at"',
            mode="once",
            status=201,
        ),
        op(
            "scan_in",
            [["POST", "/api/v1/scans/", json.dumps({"token": token}), api(t)] for t in scan_tokens],
            '"action":"check_in"',
            mode="once",
            status=201,
        ),
        op(
            "scan_out",
            [["POST", "/api/v1/scans/", json.dumps({"token": token}), api(t)] for t in scan_tokens],
            '"action":"check_out"',
            mode="once",
            status=200,
        ),
    ]
    counts = {
        "users": User.objects.count(),
        "volunteers": VolunteerProfile.objects.count(),
        "entries": "~",
    }
    describe = (
        f"{counts['users']:,} users, {counts['volunteers']:,} volunteers; volunteer "
        f"{volunteer.pk} (balance {wallet.balance:,}, {len(vouchers)} vouchers), shop "
        f"{shop.pk} ({shop.n} redemptions), request {best.pk} ({best_n} matching slots, "
        f"{len(suggestions)} suggested), resident search {surname!r} ({len(found)} shown)"
    )
    return {
        "ops": ops,
        "facts": {
            "describe": describe,
            "scan_user_ids": [u.pk for u in scanners],
            "voucher_ids": [v.pk for v in fresh],
            "started": now.isoformat(),
        },
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "seed":
        print(json.dumps(role_seed(sys.argv[2])))
    else:
        raise SystemExit("usage: python -m bench.bench_pages seed SCALE")
