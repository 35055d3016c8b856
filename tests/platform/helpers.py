"""Run manage.py in a child process with a controlled environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str] | None = None, clean: bool = False, timeout=120):
    """Run ``manage.py`` with ``args``. ``clean`` drops every variable the settings
    read, so the child sees the embedded defaults (plus ``env``)."""
    base = dict(os.environ)
    if clean:
        for key in list(base):
            if key in {
                "DATABASE_URL",
                "DATABASE_REPLICA_URL",
                "REPLICA_READS",
                "REDIS_URL",
                "EMAIL_URL",
                "SECRET_KEY",
                "VOUCHER_CODE_KEY",
                "VOUCHER_CODE_OLD_KEYS",
                "TRUSTED_PROXY_COUNT",
                "LOG_FORMAT",
                "SENTRY_DSN",
                "ALLOWED_HOSTS",
                "DJANGO_ENV",
                "DEBUG",
                "CELERY_BROKER_URL",
                "CELERY_RESULT_BACKEND",
                "CELERY_TASK_ALWAYS_EAGER",
                "DJANGO_SETTINGS_MODULE",
                "DJANGO_ALLOW_ASYNC_UNSAFE",
                "LINE_LOGIN_CHANNEL_ID",
                "LINE_LOGIN_CHANNEL_SECRET",
                "LINE_CHANNEL_ACCESS_TOKEN",
                "LINE_API_BASE_URL",
            }:
                del base[key]
    base.update(env or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
