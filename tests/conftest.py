"""Shared fixtures.

Tests that need PostgreSQL or Redis use the ``postgres`` / ``redis_url`` fixtures: they
skip when the service is not configured, and fail instead when ``REQUIRE_SERVICES=1``
(as in ``.ci/run``), so CI can never pass by skipping.
"""

from __future__ import annotations

import io
import os

import pytest
from django.core.cache import cache

from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def need_service(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres(settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        need_service("this test needs PostgreSQL (set DATABASE_URL)")


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


@pytest.fixture
def reference_data(transactional_db):
    """Data that migrations create (role groups, the home page and site), restored for
    transactional tests: their flush empties every table, and pytest-django's
    serialized rollback is unreliable next to live_server (pytest-django #1117)."""
    from accounts.apps import ROLE_PERMISSIONS as ACCOUNTS
    from accounts.services import role_groups_sync
    from cms.apps import ROLE_PERMISSIONS as CMS
    from cms.services.site import site_home_ensure
    from core.permissions import grant_role_permissions
    from points.apps import ROLE_PERMISSIONS as POINTS
    from volunteers.apps import ROLE_PERMISSIONS as VOLUNTEERS
    from volunteers.defaults import help_categories_ensure, wordings_ensure

    role_groups_sync()
    grant_role_permissions("accounts", ACCOUNTS)
    grant_role_permissions("points", POINTS)
    grant_role_permissions("volunteers", VOLUNTEERS)
    grant_role_permissions("cms", CMS)
    site_home_ensure()
    help_categories_ensure()
    wordings_ensure()
