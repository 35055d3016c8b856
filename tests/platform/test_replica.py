"""Reads that leave the primary (core.db): against a real PostgreSQL streaming replica.

`.ci/replica` makes a hot standby of the local primary with pg_basebackup and prints
its URL; REPLICA_TEST_URL gives it to these tests (tests/conftest.py adds the
``replica`` alias, a test mirror: the standby's host and port, the test database's
name). Without it they skip, and with REQUIRE_SERVICES=1 (CI) they fail.

Each test commits its writes on the primary and waits until the standby has replayed
them (its replay LSN past the primary's WAL position), then reads through the pages:
reports and anonymous public pages on the replica, a signed-in person's own pages and
every POST on the primary, and, with the replica stopped, the same pages answer from
the primary."""

from __future__ import annotations

import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.db import replica_reads
from points.models import EarningRule
from points.services.earning import points_award
from tests.factories import UserFactory
from tests.points.test_interfaces import signed_in_back_office

ROOT = Path(__file__).resolve().parents[2]
# The alias exists only with REPLICA_TEST_URL; without it the `replica` fixture skips
# (or fails in CI) before the database is touched.
DATABASES = ["default", "replica"] if "replica" in connections.settings else ["default"]
pytestmark = pytest.mark.django_db(transaction=True, databases=DATABASES)


def standby(dbname: str | None = None) -> psycopg.Connection:
    """A connection of our own to the standby, outside Django."""
    params = connections["replica"].settings_dict
    return psycopg.connect(
        host=params["HOST"],
        port=params["PORT"],
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname=dbname or params["NAME"],
        connect_timeout=5,
        autocommit=True,
    )


def wait_for_replay(timeout: float = 30.0) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    with standby("postgres") as conn:
        while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()[
            0
        ]:
            assert time.monotonic() < deadline, f"the standby has not replayed {lsn} in time"
            time.sleep(0.02)


@contextmanager
def queries():
    """The SQL run on each alias inside the block."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        yield primary, replica


def read(captured, table: str) -> bool:
    return any(f'FROM "{table}"' in query["sql"] for query in captured)


def replica_script(*args: str) -> None:
    subprocess.run([str(ROOT / ".ci" / "replica"), *args], check=True, timeout=600, env=os.environ)


@pytest.fixture(autouse=True)
def _reference_data(reference_data):
    """Role groups, the home page and the site: a transactional test's flush empties them."""


@pytest.fixture
def award(replica):
    """A volunteer with 200 points for a salon, committed on the primary."""
    volunteer = UserFactory(roles=["volunteer"])
    rule = EarningRule.objects.create(
        activity_kind="salon",
        name="レプリカ確認サロン",
        basis=EarningRule.Basis.PER_HOUR,
        points=100,
    )

    def give(key: str, minutes: int = 120):
        import datetime as dt

        return points_award(
            user=volunteer,
            rule=rule,
            activity_date=dt.date(2026, 10, 5),
            duration_minutes=minutes,
            idempotency_key=key,
        )

    give("first")
    return volunteer, give


@pytest.fixture
def staff(replica):
    return signed_in_back_office(Client(), UserFactory(roles=["city_staff"]))


def test_the_replica_is_a_streaming_hot_standby_of_the_primary(replica):
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
        assert cursor.fetchone()[0] >= 1
    wait_for_replay()
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        assert cursor.fetchone() == (True, connections["default"].settings_dict["NAME"])


def test_the_ledger_report_and_its_export_read_from_the_replica_and_show_its_lag(award, staff):
    volunteer, give = award
    wait_for_replay()
    with queries() as (primary, replica):
        page = staff.get("/admin/points/ledger/")
    assert page.status_code == 200 and "レプリカ確認サロン" in page.content.decode()
    assert read(replica, "points_entry") and not read(primary, "points_entry")
    # Who is signed in, and what they may do, comes from the primary all the same.
    assert read(primary, "django_session") and not read(replica, "django_session")
    assert not read(replica, "auth_permission") and not read(replica, "auth_group")

    with queries() as (primary, replica):
        text = export_csv(staff)
    assert text.count("レプリカ確認サロン") == 2
    assert read(replica, "points_entry") and not read(primary, "points_entry")

    # The report really is the standby's copy: with replay paused, a new award is
    # missing there (the lag reports tolerate), while the volunteer's own page, read
    # from the primary, shows it at once.
    own = Client()
    own.force_login(volunteer)
    with standby("postgres") as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        try:
            give("second", minutes=60)
            assert export_csv(staff).count("レプリカ確認サロン") == 2
            assert own.get("/me/points/").content.decode().count("レプリカ確認サロン") == 2
        finally:
            conn.execute("SELECT pg_wal_replay_resume()")
    wait_for_replay()
    assert export_csv(staff).count("レプリカ確認サロン") == 4


def test_the_annual_report_and_its_downloads_read_from_the_replica(award, staff):
    wait_for_replay()
    for url in (
        "/admin/reports/annual/?year=2026",
        "/admin/reports/annual/xlsx/?year=2026",
    ):
        with queries() as (primary, replica):
            response = staff.get(url)
        assert response.status_code == 200, url
        assert read(replica, "points_entry") and not read(primary, "points_entry"), url


def export_csv(client) -> str:
    response = client.get("/admin/points/ledger/?export=csv")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_signed_in_pages_and_every_post_stay_on_the_primary(award, staff):
    volunteer, _give = award
    desk = signed_in_back_office(Client(), UserFactory(roles=["coordinator"]))
    wait_for_replay()
    own = Client()
    own.force_login(volunteer)
    with queries() as (primary, replica):
        for url in ("/me/", "/me/points/", "/"):
            assert own.get(url).status_code == 200, url
    assert len(replica) == 0
    assert read(primary, "points_entry")

    with queries() as (primary, replica):
        assert staff.post("/admin/points/ledger/").status_code == 405
        export = desk.post("/admin/aid/requests/?export=csv", {"reason": "月次報告"})
        assert export.status_code == 200
        b"".join(export.streaming_content)
        anonymous = Client()
        anonymous.post("/", {})
        anonymous.post("/accounts/login/", {"login": volunteer.email, "password": "wrong"})
    assert len(replica) == 0
    assert read(primary, "volunteers_helprequest")

    # Nor does a read inside a transaction, even in a replica scope.
    with transaction.atomic(), replica_reads() as on_replica:
        assert not on_replica
    with replica_reads() as on_replica:
        assert on_replica


def test_anonymous_public_pages_and_feeds_read_from_the_replica(replica):
    wait_for_replay()
    anonymous = Client()
    with queries() as (primary, replica_queries):
        assert anonymous.get("/").status_code == 200
        assert anonymous.get("/events.ics").status_code == 200
    assert read(replica_queries, "wagtailcore_page")
    assert read(replica_queries, "cms_eventpage")
    assert not read(primary, "wagtailcore_page") and not read(primary, "cms_eventpage")


def test_with_the_replica_stopped_pages_answer_from_the_primary(award, staff):
    wait_for_replay()
    replica_script("stop")
    try:
        with CaptureQueriesContext(connections["default"]) as primary:
            page = staff.get("/admin/points/ledger/")
            home = Client().get("/")
        assert page.status_code == 200 and "レプリカ確認サロン" in page.content.decode()
        assert home.status_code == 200
        assert read(primary, "points_entry") and read(primary, "wagtailcore_page")
    finally:
        replica_script("start")
    # Once the retry period is over, reads go back to the restarted replica.
    from core import db

    db._replica_down_until = 0.0
    wait_for_replay()
    with queries() as (primary, replica):
        assert staff.get("/admin/points/ledger/").status_code == 200
    assert read(replica, "points_entry") and not read(primary, "points_entry")
