"""The Content-Security-Policy in a real browser: the public pages, a volunteer's own
pages, the back office's dashboard after TOTP sign-in and a Wagtail page editor load
without a single CSP violation (Chromium reports each one on the console)."""

import re

import pytest
from wagtail.models import Page

from cms.models import EventPage
from tests.browser.test_back_office_login import demo_logins, sign_in  # noqa: F401
from tests.platform.totp import totp_now

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

VIOLATION = re.compile(r"Content.Security.Policy", re.I)


def watch(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if VIOLATION.search(message.text)
            else None
        ),
    )
    return violations


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    assert "content-security-policy" in response.headers
    page.wait_for_load_state("networkidle")


def test_public_and_own_pages_keep_to_the_policy(phone_page, demo_logins):  # noqa: F811
    password, _ = demo_logins
    violations = watch(phone_page)
    visit(phone_page, "/")
    for page in Page.objects.live().type(EventPage)[:1]:
        visit(phone_page, page.url)
    sign_in(phone_page, "volunteer@demo.example.jp", password)
    phone_page.wait_for_load_state()
    for url in ("/me/points/", "/me/vouchers/", "/me/points/passbook/"):
        visit(phone_page, url)
    # The print button works through the static script (no inline handler).
    phone_page.evaluate("window.print = () => { window.__printed = true; }")
    phone_page.get_by_role("button", name="印刷").click()
    assert phone_page.evaluate("window.__printed") is True
    assert not violations, "\n".join(violations)


def test_back_office_and_page_editor_keep_to_the_policy(desk_page, demo_logins):  # noqa: F811
    password, secrets = demo_logins
    violations = watch(desk_page)
    email = "city@demo.example.jp"
    sign_in(desk_page, email, password)
    desk_page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    desk_page.get_by_label("コード").fill(totp_now(secrets[email]))
    desk_page.get_by_role("button", name=re.compile("ログイン|サインイン")).click()
    desk_page.wait_for_url(re.compile(r"/admin/$"))
    desk_page.wait_for_load_state("networkidle")
    event = Page.objects.live().type(EventPage).first()
    for url in ("/admin/pages/", f"/admin/pages/{event.pk}/edit/", "/api/docs/"):
        visit(desk_page, url)
    assert desk_page.locator("#swagger-ui").count() == 1
    assert not violations, "\n".join(violations)
