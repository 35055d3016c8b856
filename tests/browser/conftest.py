"""Playwright driving Debian's Chromium (never a browser downloaded by Playwright).

Playwright's sync API runs an event loop in the test thread; Django's ORM calls made
by the test itself are synchronous and safe there, hence DJANGO_ALLOW_ASYNC_UNSAFE,
set only while the browser session is open. On failure a screenshot goes to test-results/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.golive import production_site  # noqa: F401 (a fixture)
from tests.conftest import need_service

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        need_service(f"Debian's chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's loop lives as long as this fixture; so does the permission.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def _open_page(chromium, live_server, request, viewport):
    context = chromium.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport=viewport, base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / f"{request.node.name}.png"), full_page=True)
        (RESULTS / f"{request.node.name}.html").write_text(page.content())
    context.close()


@pytest.fixture
def phone_page(chromium, live_server, request):
    """A page in a phone-sized, Japanese-locale browser context."""
    yield from _open_page(chromium, live_server, request, PHONE)


@pytest.fixture
def desk_page(chromium, live_server, request):
    """A desktop-sized page, as coordinators use at the centre."""
    yield from _open_page(chromium, live_server, request, DESK)
