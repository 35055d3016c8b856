"""A production-shaped run: gunicorn, a Celery worker and celery beat, as separate
processes with production settings, against PostgreSQL and Redis.

It shows, with real processes and real faults:

* **beat runs jobs**: a test-only entry (``prodrun_beat``, one ping a second, next to
  the production schedule) reaches the worker through Redis;
* **the site stays up while the mail server stalls**: the password reset page answers
  at once (its mail goes through the worker), the worker's SMTP connection times out
  (``EMAIL_TIMEOUT``) and the task retries;
* **a task survives ``kill -9``**: of the pool process sending it (put back on the
  queue at once: ``task_reject_on_worker_lost``), and of the whole worker (given to a
  new worker once the broker's visibility timeout has passed);
* and when the mail server recovers, the mail arrives exactly once.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.browser.golive import SUPERUSER_EMAIL, production_site_running
from tests.platform.helpers import ROOT
from tests.platform.smtp_server import FaultySMTPServer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

EMAIL_TIMEOUT = 3
VISIBILITY_TIMEOUT = 5


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _http(site, path: str, data: dict | None = None, cookie: str = "") -> tuple[int, str, str]:
    """(status, body, Set-Cookie) of one request, sent as the TLS proxy would."""
    headers = {"X-Forwarded-Proto": "https", "Origin": site.url, "Referer": site.url + path}
    if cookie:
        headers["Cookie"] = cookie
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(site.url + path, data=body, headers=headers)  # noqa: S310
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read().decode(), response.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers.get("Set-Cookie", "")


def _request_password_reset(site, email: str) -> int:
    status, html, set_cookie = _http(site, "/accounts/password/reset/")
    assert status == 200, html
    csrf_cookie = re.search(r"csrftoken=([^;]+)", set_cookie).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    status, html, _ = _http(
        site,
        "/accounts/password/reset/",
        {"csrfmiddlewaretoken": token, "email": email},
        cookie=f"csrftoken={csrf_cookie}",
    )
    return status


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _beat_pings_run(client) -> int:
    done = 0
    for key in client.scan_iter("celery-task-meta-*"):
        meta = json.loads(client.get(key) or "{}")
        done += meta.get("status") == "SUCCESS" and meta.get("result") == "beat"
    return done


class Processes:
    """The worker and beat processes this test starts (each in its own session, so
    that ``kill -9`` of a worker takes its pool processes with it), and their logs."""

    def __init__(self, site, var: Path) -> None:
        self.site, self.var, self.started = site, var, {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.var / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", *args],
            cwd=ROOT,
            env=self.site.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started[name] = process
        return process

    def worker(self, name: str) -> subprocess.Popen:
        return self.start(
            name,
            *("-A", "config", "worker", "--pool=prefork", "--concurrency=1"),
            *("--without-gossip", "--without-mingle", "-l", "info", "-n", f"{name}@%h"),
        )

    def log(self, name: str) -> str:
        return (self.var / f"{name}.log").read_text()

    def stop_all(self) -> None:
        for process in self.started.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_beat_runs_and_mail_survives_a_stalled_server_and_kill_9(redis_url, tmp_path):
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()  # this helper's own Redis database: no queue left from earlier runs
    smtp = FaultySMTPServer()
    env = {
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "EMAIL_TIMEOUT": str(EMAIL_TIMEOUT),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    with production_site_running(tmp_path, name="prodrun", env=env) as site:
        processes = Processes(site, tmp_path)
        try:
            first = processes.worker("worker-1")
            processes.start(
                "beat",
                *("-A", "tests.platform.prodrun_beat", "beat", "-l", "info"),
                *("--schedule", str(tmp_path / "beat-schedule")),
            )
            # (a) A job sent by beat runs on the worker.
            _wait(lambda: _beat_pings_run(client) > 0, 60, "a beat job ran")

            # (c) The mail server accepts and never answers: the page still answers,
            # its mail is handed to the worker, which is stuck in SMTP.
            assert _request_password_reset(site, SUPERUSER_EMAIL) == 302
            assert _http(site, "/")[0] == 200
            smtp.wait_for(lambda: smtp.connections >= 1, 30, "the worker tried to send")

            # (b) kill -9 of the pool process in the middle of sending: the task is put
            # back on the queue and the worker's new pool process tries again. (Lost
            # without task_reject_on_worker_lost: the process died before its timeout,
            # so no retry was ever scheduled.)
            (pool,) = _children(first.pid)
            os.kill(pool, signal.SIGKILL)
            smtp.wait_for(lambda: smtp.connections >= 2, 30, "sent again after its pool died")

            # kill -9 of the whole worker while sending: the message waits, unacknowledged,
            # in Redis; once the visibility timeout has passed a new worker takes it.
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
            _wait(lambda: client.zcard("unacked_index") > 0, 10, "the message is held")
            oldest = client.zrange("unacked_index", 0, 0, withscores=True)[0][1]
            _wait(lambda: time.time() > oldest + VISIBILITY_TIMEOUT + 0.5, 30, "visibility")
            processes.worker("worker-2")
            smtp.wait_for(lambda: smtp.connections >= 3, 60, "a new worker took the task")

            # The mail server recovers: the stuck attempt times out (EMAIL_TIMEOUT), the
            # task retries after its backoff, and the mail arrives.
            smtp.answer()
            smtp.wait_for(lambda: len(smtp.messages) >= 1, 60, "the mail was delivered")
            _wait(
                lambda: client.llen("celery") == 0 and client.hlen("unacked") == 0,
                30,
                "nothing left queued or unacknowledged",
            )
            assert len(smtp.messages) == 1, smtp.messages
            assert SUPERUSER_EMAIL.encode() in smtp.messages[0]
            assert b"/accounts/password/reset/key/" in smtp.messages[0]
            retried = processes.log("worker-2")
            assert "accounts.send_email" in retried and "retry" in retried.lower(), retried
        finally:
            processes.stop_all()
            smtp.close()
