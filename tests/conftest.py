"""Shared fixtures.

Tests that need PostgreSQL or Redis use the ``postgres`` / ``redis_url`` fixtures: they
skip when the service is not configured, and fail instead when ``REQUIRE_SERVICES=1``
(as in ``.ci/run``), so CI can never pass by skipping.
"""

from __future__ import annotations

import io
import os
import shutil

import pytest
from django.core.cache import cache

from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
# A streaming replica of the PostgreSQL at DATABASE_URL (.ci/replica starts one), for
# tests/platform/test_replica.py.
REPLICA_TEST_URL = os.environ.get("REPLICA_TEST_URL", "")


def _replica_alias_for_tests() -> bool:
    """With REPLICA_TEST_URL, the ``replica`` alias points at that standby, configured
    as in production (``config.settings.replica_database``, a test mirror of
    ``default``: the test database's name, the standby's host and port). The settings
    are loaded before any conftest (pytest-django), so the alias is added here and
    Django's connection handler fills in its defaults. Reads stay on the primary in
    every other test (``REPLICA_READS`` off, so replication lag can never make one
    flaky); the replica tests switch them on."""
    from django.conf import settings
    from django.db import connections

    if not REPLICA_TEST_URL:
        return False
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return False
    from config.settings import replica_database

    settings.DATABASES["replica"] = replica_database(
        REPLICA_TEST_URL, settings.DATABASES["default"]
    )
    connections.configure_settings(settings.DATABASES)
    settings.REPLICA_READS = False
    return True


HAS_REPLICA = _replica_alias_for_tests()


def need_service(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres(settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        need_service("this test needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def replica(settings, postgres) -> str:
    """The ``replica`` alias (see :func:`_replica_alias_for_tests`) with replica reads
    on; its test database is there once the standby has replayed its creation."""
    if not HAS_REPLICA:
        need_service("this test needs a streaming replica (REPLICA_TEST_URL; .ci/replica)")
    from core import db

    settings.REPLICA_READS = True
    db._replica_down_until = 0.0
    yield "replica"
    db._replica_down_until = 0.0


@pytest.fixture
def redis_url(settings) -> str:
    if not settings.REDIS_URL:
        need_service("this test needs Redis (set REDIS_URL)")
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL).ping()
    except redis.ConnectionError as exc:
        need_service(f"Redis at REDIS_URL is not answering: {exc}")
    return settings.REDIS_URL


@pytest.fixture(autouse=True)
def _eager_celery_and_fast_hashing(settings):
    """Tasks run in-process unless a test starts a real worker; cheap password hashing
    keeps the suite fast (hashing itself is Django's, not ours to test)."""
    from config.celery import app

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _no_mail_inside_a_transaction(settings):
    """Every mail any test sends fails the test if a transaction is open around it
    (DESIGN §11: no external I/O inside a transaction or under a lock)."""
    settings.EMAIL_BACKEND = "tests.mailcheck.MailOutsideTransactionBackend"


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and TOTP replay guards live in the cache: start every test clean."""
    cache.clear()
    yield
    cache.clear()


def _commits_to_the_database(request) -> bool:
    """Does this test run in a transactional database (its writes committed, the
    tables flushed afterwards), as pytest-django decides it?"""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None:
        from pytest_django.fixtures import validate_django_db

        transactional, reset_sequences, *_ = validate_django_db(marker)
        if transactional or reset_sequences:
            return True
    names = request.fixturenames
    return any(
        name in names for name in ("transactional_db", "live_server", "django_db_reset_sequences")
    )


@pytest.fixture(autouse=True)
def _points_audit_after_committed_tests(request):
    """On PostgreSQL, prove the points books after every test whose writes were really
    committed (transactional tests, live-server browser tests): ``points_audit`` runs
    at the test's teardown, before pytest-django flushes the tables, and a breach fails
    the test. (An audit after the whole session would find the tables empty.) Tests in
    a rolled-back transaction never reach the database's commit, so they are left out."""
    if not _commits_to_the_database(request):
        yield
        return
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        yield
        return
    # Requested here so that its teardown (the flush) runs after this fixture's.
    request.getfixturevalue("_django_db_helper")
    yield
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    try:
        call_command("points_audit", stdout=out)
    except CommandError:
        breached = True
    else:
        breached = False
    if breached:  # outside the handler: the report is the whole message
        pytest.fail(f"points_audit failed after this test:\n{out.getvalue()}", pytrace=False)


@pytest.fixture
def user_factory(db):
    return factories.UserFactory


@pytest.fixture
def volunteer(db):
    return factories.UserFactory(roles=["volunteer"])


@pytest.fixture
def coordinator(db):
    return factories.UserFactory(roles=["coordinator"])


def reference_data_restore() -> None:
    """Recreate the data that migrations create (role groups and their permissions, the
    Wagtail root page, home page, site and root collection, the default help
    categories). Idempotent.

    A transactional test's flush empties every table, and nothing migrates again
    afterwards: on a kept test database (``--reuse-db``) the next run would start
    without them."""
    from wagtail.models import Collection

    from accounts.apps import ROLE_PERMISSIONS as ACCOUNTS
    from accounts.services import role_groups_sync
    from cms.apps import ROLE_PERMISSIONS as CMS
    from cms.services.site import site_home_ensure
    from core.permissions import grant_role_permissions
    from points.apps import ROLE_PERMISSIONS as POINTS
    from volunteers.apps import ROLE_PERMISSIONS as VOLUNTEERS
    from volunteers.defaults import help_categories_ensure, wordings_ensure

    if Collection.get_first_root_node() is None:  # Wagtail's migration made it
        Collection.add_root(name="Root")
    role_groups_sync()
    grant_role_permissions("accounts", ACCOUNTS)
    grant_role_permissions("points", POINTS)
    grant_role_permissions("volunteers", VOLUNTEERS)
    grant_role_permissions("cms", CMS)
    site_home_ensure()
    help_categories_ensure()
    wordings_ensure()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    """With ``--reuse-db`` on SQLite, keep the test database in a file
    (``var/test-db.sqlite3``): an in-memory database dies with the process, so there
    would be nothing to reuse. Without the flag (``make test``, CI) nothing changes: an
    in-memory database, migrated from scratch."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if not (request.config.getoption("reuse_db") and db["ENGINE"].endswith("sqlite3")):
        return
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    kept = settings.VAR_DIR / "test-db.sqlite3"
    name = kept
    # mutmut (.ci/mutation.py) runs two mutants' tests at once, each in a forked
    # process: each gets its own copy of the kept database, or one's flush would empty
    # the other's tables mid-test.
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if mutant not in ("", "stats", "fail", "mutant_generation") and kept.exists():
        name = settings.VAR_DIR / f"test-db-{os.getpid()}.sqlite3"
        shutil.copyfile(kept, name)
        request.addfinalizer(lambda: name.unlink(missing_ok=True))
    db.setdefault("TEST", {})["NAME"] = str(name)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Once per session, after the test database is created or reused: put back what
    migrations made. pytest-django runs the transactional tests (whose flush empties
    the tables) after the others, so within one run the data is there for every
    non-transactional test; a kept database flushed by the previous run gets it back
    here. Transactional tests that need it ask for ``reference_data``."""
    with django_db_blocker.unblock():
        reference_data_restore()


@pytest.fixture
def reference_data(transactional_db):
    """Data that migrations create (role groups, the home page and site), restored for
    transactional tests: their flush empties every table, and pytest-django's
    serialized rollback is unreliable next to live_server (pytest-django #1117)."""
    reference_data_restore()
