"""Response headers: a Content-Security-Policy the pages keep to (no inline script
or handler; inline styles only with the request's nonce), Permissions-Policy,
no-store on answers with live voucher codes or personal data, Secure cookies."""

import re

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.volunteers.test_host_pages_and_menus import places  # noqa: F401 - fixture
from volunteers.models import Place

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part
    }


def test_public_pages_have_a_strict_policy_they_keep(client):
    response = client.get("/accounts/login/")
    policy = directives(response)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_inline_styles_carry_the_nonce_of_the_policy(places):  # noqa: F811
    """The kiosk's styles are inline: allowed by this response's nonce only."""
    host, made = places
    client = Client()
    client.force_login(host)
    response = client.get(f"/places/{made[Place.Presence.KIOSK].pk}/kiosk/")
    nonce = re.search(r'<style nonce="([^"]+)">', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in directives(response)["style-src"]
    again = client.get(f"/places/{made[Place.Presence.KIOSK].pk}/kiosk/")
    assert nonce not in again.content.decode()  # a new one for every response


def test_print_buttons_use_the_static_script(client, volunteer):
    client.force_login(volunteer)
    response = client.get("/me/points/passbook/")
    html = response.content.decode()
    assert "data-print" in html and "core/print.js" in html
    assert "onclick" not in html


def test_admin_allows_wagtails_inline_scripts_and_keeps_the_rest(client):
    from tests.points.test_interfaces import signed_in_back_office

    signed_in_back_office(client, UserFactory(is_superuser=True, is_staff=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    policy = directives(response)
    assert "'unsafe-inline'" in policy["script-src"]
    assert not any(v.startswith("'nonce-") for v in policy["script-src"])
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


def test_permissions_policy_allows_no_camera_or_location(client):
    response = client.get("/")
    policy = response["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy


@pytest.mark.parametrize(
    "url", ["/me/vouchers/", "/me/vouchers/print/", "/api/v1/vouchers/", "/me/points/"]
)
def test_pages_with_codes_or_personal_data_are_never_stored(client, volunteer, url):
    client.force_login(volunteer)
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_shop_redemption_is_never_stored(client):
    from tests.points.test_shops import make_shop

    _shop, clerk = make_shop("はなみずき書店")
    client.force_login(clerk)
    response = client.get("/shop/redeem/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_public_pages_may_be_cached(client):
    assert "no-store" not in client.get("/search/?q=a").get("Cache-Control", "")


def test_text_size_cookie_is_secure_when_sessions_are(client, settings):
    settings.SESSION_COOKIE_SECURE = True
    response = client.post("/text-size/", {"next": "/"})
    cookie = response.cookies["text_size"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


def test_language_cookie_is_lax(client):
    response = Client().post("/i18n/setlang/", {"language": "en", "next": "/"})
    cookie = response.cookies["django_language"]
    assert cookie["samesite"] == "Lax"
