"""A production-shaped site on an empty PostgreSQL database, for the go-live journey.

``production_site`` does what README's "Going live" tells a city to do on a fresh
server, in child processes with production settings: create an empty database,
``migrate``, ``collectstatic``, one ``createsuperuser``; then it serves the site with
gunicorn. Nothing else is written to the database by the test: every later step goes
through the pages.

The browser talks plain HTTP to gunicorn but sends ``X-Forwarded-Proto: https``, as the
TLS-terminating proxy in front of a real deployment does (``SECURE_PROXY_SSL_HEADER``),
so HTTPS redirects, HSTS and Secure cookies are all in force; Chromium keeps Secure
cookies on ``localhost``.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import need_service
from tests.platform.helpers import ROOT

SUPERUSER_EMAIL = "admin@city.example.jp"
SUPERUSER_PASSWORD = "Kaishi-" + secrets.token_urlsafe(12)


@dataclass
class Site:
    url: str
    var: Path
    env: dict[str, str]
    superuser: tuple[str, str] = (SUPERUSER_EMAIL, SUPERUSER_PASSWORD)
    seen_mail: set[str] = field(default_factory=set)

    def manage(
        self, *args: str, timeout: int = 300, days_later: int = 0
    ) -> subprocess.CompletedProcess:
        """``manage.py`` on this site; ``days_later`` runs it with the clock that many
        days ahead (Debian's faketime), as a scheduled job would run next month."""
        later = ["faketime", "-f", f"+{days_later}d"] if days_later else []
        result = subprocess.run(
            [*later, sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr}"
        return result

    def mails(self, to: str) -> list:
        """Messages the site has sent to ``to`` (EMAIL_URL is a file backend here)."""
        found = []
        for path in sorted((self.var / "mail").glob("*.log")):
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not raw.strip():
                    continue
                message = message_from_bytes(raw.strip() + b"\n", policy=default_policy)
                if to in str(message.get("To", "")):
                    found.append(message)
        return found

    def last_link(self, to: str, pattern: str) -> str:
        """The last link matching ``pattern`` in the mail most recently sent to ``to``."""
        messages = self.mails(to)
        assert messages, f"no mail was sent to {to}"
        body = messages[-1].get_body(preferencelist=("plain",)).get_content()
        links = re.findall(r"https?://\S+", body)
        matching = [link for link in links if re.search(pattern, link)]
        assert matching, f"no link matching {pattern!r} in:\n{body}"
        return matching[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_server_url() -> str:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        need_service("the go-live journey needs PostgreSQL (set DATABASE_URL)")
    user = database.get("USER") or "postgres"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}"


def _admin_sql(server: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(statement)


@contextmanager
def production_site_running(
    var: Path, *, name: str = "golive", env: dict[str, str] | None = None
) -> Iterator[Site]:
    """A fresh PostgreSQL database ``ikiiki_<name>_<pid>``, migrated, with static files
    collected and one superuser, served by gunicorn with production settings from
    ``var``. ``env`` adds to or overrides the production environment (the default
    sends mail to files and runs tasks in the web process)."""
    server = _postgres_server_url()
    name = f"ikiiki_{name}_{os.getpid()}"
    _admin_sql(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin_sql(server, f"CREATE DATABASE {name}")
    port = _free_port()
    base_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL"}
        and not key.startswith(
            ("CELERY_", "EMAIL_", "DATABASE_", "SECRET_", "ALLOWED_", "VOUCHER_")
        )
    }
    base_env.update(
        DJANGO_ENV="production",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        VOUCHER_CODE_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="localhost",
        CSRF_TRUSTED_ORIGINS=f"http://localhost:{port}",
        BASE_URL=f"http://localhost:{port}",
        DATABASE_URL=f"{server}/{name}",
        VAR_DIR=str(var),
        EMAIL_URL=f"filemail:///{var / 'mail'}",  # four slashes: an absolute path
        # No worker in this journey: tasks run in the web process after commit.
        CELERY_TASK_ALWAYS_EAGER="1",
        DJANGO_SUPERUSER_EMAIL=SUPERUSER_EMAIL,
        DJANGO_SUPERUSER_PASSWORD=SUPERUSER_PASSWORD,
        PYTHONPATH=f"{ROOT / 'platform'}{os.pathsep}{ROOT}",
    )
    base_env.update(env or {})
    site = Site(url=f"http://localhost:{port}", var=var, env=base_env)
    try:
        site.manage("migrate", "--noinput")
        site.manage("collectstatic", "--noinput", "-v0")
        site.manage("createsuperuser", "--noinput")
        log = (var / "gunicorn.log").open("w")
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "config.wsgi",
                "--pythonpath",
                f"{ROOT / 'platform'},{ROOT}",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=base_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            for _ in range(120):
                try:
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{port}/", headers={"X-Forwarded-Proto": "https"}
                    )
                    request.add_header("Host", "localhost")
                    urllib.request.urlopen(request, timeout=2)  # noqa: S310 (http://127.0.0.1)
                    break
                except OSError:
                    assert process.poll() is None, (var / "gunicorn.log").read_text()
                    time.sleep(0.5)
            yield site
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
            log.close()
        text = (var / "gunicorn.log").read_text()
        assert "Traceback" not in text, text
    finally:
        _admin_sql(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def production_site(tmp_path_factory):
    with production_site_running(tmp_path_factory.mktemp("golive")) as site:
        yield site
