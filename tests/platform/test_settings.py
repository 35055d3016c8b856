"""One environment-driven settings module: embedded defaults and production mode."""

import json
import secrets

import pytest
from django.conf import settings
from django.utils import translation

from tests.platform.helpers import manage

PRINT_SETTINGS = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'debug': s.DEBUG, "
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'propagates': s.CELERY_TASK_EAGER_PROPAGATES, "
    "'broker': s.CELERY_BROKER_URL, 'backend': s.CELERY_RESULT_BACKEND, "
    "'cache': s.CACHES['default']['BACKEND'], 'email': s.EMAIL_BACKEND, "
    "'secret_len': len(s.SECRET_KEY), 'tz': s.TIME_ZONE, 'lang': s.LANGUAGE_CODE}))"
)


def read_settings(tmp_path, **env):
    result = manage(
        "shell", "-c", PRINT_SETTINGS, env={"VAR_DIR": str(tmp_path), **env}, clean=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_no_environment_gives_the_embedded_default(tmp_path):
    values = read_settings(tmp_path)
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["debug"] is True
    assert values["eager"] is True and values["propagates"] is True
    assert values["cache"].endswith("LocMemCache")
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"
    assert values["secret_len"] >= 50
    assert (values["tz"], values["lang"]) == ("Asia/Tokyo", "ja")
    # The generated development secret is kept, so sessions survive a restart.
    assert read_settings(tmp_path)["secret_len"] == values["secret_len"]
    assert (tmp_path / "dev-secret-key").read_text().strip()


def test_redis_url_switches_broker_results_and_cache(tmp_path):
    values = read_settings(tmp_path, REDIS_URL="redis://127.0.0.1:6379/5")
    assert values["broker"] == values["backend"] == "redis://127.0.0.1:6379/5"
    assert values["cache"].endswith("RedisCache")
    assert values["eager"] is False


def test_database_and_email_urls_switch_services(tmp_path):
    values = read_settings(
        tmp_path,
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/x",
        EMAIL_URL="smtp://mail.example.jp:587",
    )
    assert values["db"] == "django.db.backends.postgresql"
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ALLOWED_HOSTS": "example.jp"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": "example.jp", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": secrets.token_urlsafe(50)}, "ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_real_secrets(tmp_path, env, message):
    result = manage(
        "check", env={"VAR_DIR": str(tmp_path), "DJANGO_ENV": "production", **env}, clean=True
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_check_deploy_is_clean_in_production(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "VAR_DIR": str(tmp_path),
            "DJANGO_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "VOUCHER_CODE_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "ikiiki.example.jp",
        },
        clean=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("voucher_key", "error"),
    [(None, "points.E001"), ("short", "points.E002"), ("same-as-secret", "points.E002")],
)
def test_check_deploy_requires_a_voucher_key_of_its_own(tmp_path, voucher_key, error):
    secret = secrets.token_urlsafe(50)
    env = {
        "VAR_DIR": str(tmp_path),
        "DJANGO_ENV": "production",
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": "ikiiki.example.jp",
    }
    if voucher_key is not None:
        env["VOUCHER_CODE_KEY"] = secret if voucher_key == "same-as-secret" else voucher_key
    result = manage("check", "--deploy", env=env, clean=True)
    assert result.returncode != 0
    assert error in result.stdout + result.stderr


def test_japanese_is_the_default_and_english_is_available():
    assert settings.LANGUAGE_CODE == "ja"
    assert [code for code, _ in settings.LANGUAGES] == ["ja", "en"]
    with translation.override("ja"):
        assert translation.gettext("Skip to main content") == "本文へ移動"
    with translation.override("en"):
        assert translation.gettext("Skip to main content") == "Skip to main content"


def test_production_cookies_are_secure_and_headers_are_set(tmp_path):
    """Every cookie Secure in production: the session, CSRF and language cookies (the
    text-size cookie follows SESSION_COOKIE_SECURE, tests/platform/test_headers.py)."""
    code = (
        "import json; from django.conf import settings as s; print(json.dumps(["
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE, "
        "s.LANGUAGE_COOKIE_SAMESITE, s.TRUSTED_PROXY_COUNT, s.LOG_FORMAT, "
        "'core.middleware.ContentSecurityPolicyMiddleware' in s.MIDDLEWARE]))"
    )
    env = {
        "VAR_DIR": str(tmp_path),
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "VOUCHER_CODE_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "ikiiki.example.jp",
        "TRUSTED_PROXY_COUNT": "1",
    }
    result = manage("shell", "-c", code, env=env, clean=True)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == [True, True, True, "Lax", 1, "json", True]
