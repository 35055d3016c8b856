"""Display preferences (core.display): large text and high contrast, each a cookie set
by a plain POST form (no JavaScript), shown on every page built on base.html — the
public site, the volunteer's /me/ pages, the shop pages, the sign-in pages — as a class
on <html>. On paper: tests/browser/test_axe.py."""

import re

import pytest
from django.test import Client

from tests.cms import support
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def html_class(response) -> str | None:
    match = re.search(r"<html lang=\"\w+\"(?: class=\"([^\"]*)\")?>", response.content.decode())
    assert match, "no <html> tag"
    return match.group(1)


def test_high_contrast_is_toggled_by_a_form_and_shown_on_public_and_own_pages(client):
    support.home()
    volunteer = UserFactory(roles=["volunteer"])
    client.force_login(volunteer)
    assert html_class(client.get("/")) is None

    response = client.post("/contrast/", {"next": "/me/"})
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert html_class(client.get("/")) == "high-contrast"
    assert html_class(client.get("/me/points/")) == "high-contrast"
    # Its button says it is on, beside the large-text one (in the footer of /me/ pages).
    page = client.get("/me/points/").content.decode()
    assert re.search(r'aria-pressed="true">背景を黒に<', page)
    assert re.search(r'aria-pressed="false">文字を大きく<', page)

    client.post("/text-size/", {"next": "/"})
    assert html_class(client.get("/me/")) == "large-text high-contrast"

    client.post("/contrast/", {"next": "/"})  # again: off
    assert html_class(client.get("/me/")) == "large-text"


def test_shop_and_sign_in_pages_follow_the_preferences_too(client):
    client.cookies["contrast"] = "high"
    assert html_class(client.get("/accounts/login/")) == "high-contrast"
    client.cookies["contrast"] = "anything else"
    assert html_class(client.get("/accounts/login/")) is None


def test_contrast_cookie_is_like_the_text_size_one(settings):
    settings.SESSION_COOKIE_SECURE = True
    client = Client()
    cookie = client.post("/contrast/", {"next": "/"}).cookies["contrast"]
    assert cookie.value == "high"
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 300 * 24 * 3600  # remembered for the year


def test_contrast_switch_goes_back_only_to_this_site(client):
    response = client.post("/contrast/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert client.get("/contrast/").status_code == 405  # a change of state: POST only
