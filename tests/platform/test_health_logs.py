"""The load balancer's /healthz, the request id in responses and logs, JSON log
lines, and Sentry initialised only when configured, without personal data."""

import json
import logging
import secrets

import pytest
from django.db import connection
from django.db.utils import OperationalError

from core import health
from tests.platform.helpers import manage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_migrations_check():
    health.forget_migrations_check()
    yield
    health.forget_migrations_check()


def test_healthy_site_answers_200_with_a_small_body(client, settings):
    settings.CELERY_BROKER_URL = "memory://"  # no Redis: Celery runs eagerly
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {
        "database": "ok",
        "cache": "ok",
        "migrations": "ok",
        "broker": "skipped",
    }
    assert "no-store" in response["Cache-Control"]


def test_health_needs_no_valid_host_and_no_sign_in(client, settings):
    """The balancer polls by address: no DisallowedHost, no redirect to sign in."""
    settings.ALLOWED_HOSTS = ["ikiiki.example.jp"]
    response = client.get("/healthz", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.5:8000").status_code == 400


def test_a_database_down_is_a_503_naming_it(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "database" in response.json()["failed"]
    assert "refused" not in response.content.decode()  # names the check, not the error


def test_a_cache_down_is_a_503(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]


def test_a_broker_down_is_a_503_when_redis_is_configured(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


def test_a_broker_up_is_checked(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["checks"]["broker"] == "ok"


def test_unapplied_migrations_are_a_503_and_the_answer_is_cached(client):
    assert client.get("/healthz").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'points' AND name = "
            "(SELECT MAX(name) FROM django_migrations WHERE app = 'points')"
        )
    # Within the cache period the (expensive) check is not repeated ...
    assert client.get("/healthz").status_code == 200
    # ... after it, the missing migration shows.
    health.forget_migrations_check()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["failed"] == ["migrations"]


def test_request_id_is_taken_or_made_and_returned(client):
    given = client.get("/healthz", HTTP_X_REQUEST_ID="lb-2f1c9a7e")
    assert given["X-Request-ID"] == "lb-2f1c9a7e"
    made = client.get("/healthz")
    assert len(made["X-Request-ID"]) == 32
    assert made["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]
    # Text a client could use to forge log lines is replaced.
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='x" level=ERROR\nfake')
    assert forged["X-Request-ID"] != 'x" level=ERROR\nfake'
    assert len(forged["X-Request-ID"]) == 32


def test_log_lines_of_a_request_carry_its_id(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/no-such-page-at-all/", HTTP_X_REQUEST_ID="req-12345678")
    ids = [getattr(record, "request_id", None) for record in caplog.records]
    assert "req-12345678" in ids


def test_production_logs_are_one_json_object_per_line(tmp_path):
    env = {
        "VAR_DIR": str(tmp_path),
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "VOUCHER_CODE_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "ikiiki.example.jp",
    }
    code = "import logging; logging.getLogger('ikiiki.test').warning('こんにちは %s', 'x')"
    result = manage("shell", "-c", code, env=env, clean=True)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    record = json.loads(lines[-1])
    assert record["message"] == "こんにちは x"
    assert record["level"] == "WARNING" and record["logger"] == "ikiiki.test"
    assert record["request_id"] == "-" and "time" in record


def test_sentry_is_off_by_default_and_sends_no_personal_data(tmp_path):
    code = (
        "import json, sentry_sdk; c = sentry_sdk.get_client(); "
        "print(json.dumps([bool(c.dsn), c.options.get('send_default_pii')]))"
    )
    off = manage("shell", "-c", code, env={"VAR_DIR": str(tmp_path)}, clean=True)
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout.strip().splitlines()[-1])[0] is False
    on = manage(
        "shell",
        "-c",
        code,
        env={"VAR_DIR": str(tmp_path), "SENTRY_DSN": "https://key@sentry.example.jp/1"},
        clean=True,
    )
    assert on.returncode == 0, on.stderr
    assert json.loads(on.stdout.strip().splitlines()[-1]) == [True, False]
