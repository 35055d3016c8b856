"""Signing in through the pages, as people do: email and password, then the TOTP code
for the back-office roles (accounts.mfa). One helper for every browser journey."""

from __future__ import annotations

import re

from tests.factories import PASSWORD
from tests.platform.totp import totp_now


def sign_in(
    page,
    email: str,
    password: str = PASSWORD,
    *,
    secret: str | None = None,
    start: str = "/accounts/login/",
) -> None:
    """Sign ``email`` in from ``start`` (the sign-in page, or a page that sends there,
    such as ``/admin/``); with ``secret``, pass the TOTP stage too. Returns once the
    page after signing in has loaded (``/admin/`` itself when started there)."""
    page.goto(start)
    page.get_by_label("Eメール").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    if secret:
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.get_by_label("コード").fill(totp_now(secret))
        page.get_by_role("button", name=re.compile("ログイン|サインイン")).click()
        if start == "/admin/":
            page.wait_for_url(re.compile(r"/admin/$"))
    page.wait_for_load_state()
