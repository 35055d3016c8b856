"""Voucher codes (the QR's /shop/redeem/<code>/) and search terms (?q=) never reach a
log line: Django's own warnings through the configured handler, and gunicorn's access
log through core.logmask.GunicornLogger (a real gunicorn process)."""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CODE = "K7QP-M2XD-9TRA"
NAME = "小林トメ"


@pytest.fixture
def console():
    """What the configured console handler (the one in LOGGING) writes."""
    (handler,) = [h for h in logging.getLogger().handlers if h.name == "console"]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_voucher_code_is_masked_in_the_warning_django_logs(client, console):
    response = client.get(f"/shop/redeem/{CODE}/extra/?q={NAME}")
    assert response.status_code == 404  # logged by django.request: "Not Found: <path>"
    logged = console.getvalue()
    assert "Not Found: /shop/redeem/***/extra/" in logged
    assert CODE not in logged and NAME not in logged


def test_runserver_request_lines_are_masked(console):
    logging.getLogger("django.server").info('"GET /admin/aid/?q=%s&page=2 HTTP/1.1" 200 12', NAME)
    logged = console.getvalue()
    assert "q=***&page=2" in logged and NAME not in logged


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorns_access_log_masks_codes_and_search_terms(tmp_path):
    port = free_port()
    access = tmp_path / "access.log"
    env = {**os.environ, "DEBUG": "0", "VAR_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--pythonpath",
            f"{ROOT / 'platform'},{ROOT}",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--logger-class",
            "core.logmask.GunicornLogger",
            "--access-logfile",
            str(access),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/shop/redeem/{CODE}/?q=%E5%B0%8F%E6%9E%97"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(  # noqa: S310 (our own server on loopback)
                    urllib.request.Request(url, headers={"Referer": url}), timeout=10
                )
                break
            except urllib.error.HTTPError:
                break  # an answer is all that is needed
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)  # polling for the server to listen, not timing
    finally:
        server.terminate()
        server.wait(timeout=30)
    logged = access.read_text()
    assert "/shop/redeem/***/?q=***" in logged
    assert CODE not in logged and "%E5%B0%8F" not in logged
