"""The home page and account pages: Japanese first, English on request."""

import pytest

from cms.models import HomePage

pytestmark = pytest.mark.django_db


def test_home_page_is_served_in_japanese(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ja">' in html
    assert "本文へ移動" in html  # skip link
    assert HomePage.objects.get().title in html


def test_language_cookie_switches_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html and "Skip to main content" in html


def test_users_preferred_language_applies_when_signed_in(client, user_factory):
    client.force_login(user_factory(preferred_language="en"))
    assert '<html lang="en">' in client.get("/").content.decode()


def test_login_page_is_japanese_and_labelled(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<label for="id_login">' in html
    assert "パスワード" in html
    assert 'name="viewport"' in html
