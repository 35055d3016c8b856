"""The test a new city would run: from an empty database to every journey, by the pages.

It starts where README's "Going live" starts (``migrate`` on an empty PostgreSQL
database with production settings and one ``createsuperuser``, see ``golive.py``) and
from then on uses only the pages: no factories, no ORM writes. The steps run in order
and share the people they create.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import RESULTS
from tests.platform.totp import totp_now

pytestmark = [pytest.mark.browser]

people: dict[str, dict[str, str]] = {}


def fresh_page(chromium, site, *, phone=False):
    context = chromium.new_context(
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900},
        base_url=site.url,
        extra_http_headers={"X-Forwarded-Proto": "https"},
    )
    context.set_default_timeout(20_000)
    return context.new_page()


def shot(page, name: str) -> None:
    """Keep a screenshot of each step in test-results/go-live/ for people to look at."""
    (RESULTS / "go-live").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(RESULTS / "go-live" / f"{name}.png"), full_page=True)


def activate_totp(page, password) -> str:
    """Set up the authenticator on allauth's page; returns the secret.

    allauth asks for the password once more before an authenticator is added, even
    right after signing in (a fresh sign-in does not count as re-authentication)."""
    page.wait_for_url(re.compile(r"/accounts/(reauthenticate|2fa/totp/activate)/"))
    if "/reauthenticate/" in page.url:
        page.get_by_label("パスワード").fill(password)
        page.get_by_role("button", name="確認").click()
        page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label(re.compile("認証コード|コード")).first.fill(totp_now(secret))
    page.get_by_role("button", name=re.compile("有効")).click()
    return secret


def sign_in_admin(page, email, password, secret):
    page.goto("/admin/")
    page.get_by_label("Eメール").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label("コード").fill(totp_now(secret))
    page.get_by_role("button", name=re.compile("ログイン|サインイン")).click()
    page.wait_for_url(re.compile(r"/admin/$"))


def test_the_superuser_signs_in_and_sets_up_mfa(chromium, production_site):
    page = fresh_page(chromium, production_site)
    email, password = production_site.superuser
    page.goto("/admin/")
    page.get_by_label("Eメール").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    secret = activate_totp(page, password)
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/admin/$"))
    people["admin"] = {"email": email, "password": password, "totp": secret}
    shot(page, "01-dashboard")
