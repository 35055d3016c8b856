"""Linking LINE (issue #17 item 6): allauth's LINE provider, from the volunteer's page,
through LINE Login (the stand-in's token and profile endpoints) to a SocialAccount whose
uid is the userId pushes go to; never a way to sign in; nothing shown without LINE."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.line.views import LineOAuth2Adapter
from django.core import mail

from core.notify import LineChannel, Message, deliver
from tests.factories import UserFactory
from tests.platform.line_standin import LineStandIn
from tests.platform.test_line_channel import CHANNELS

pytestmark = pytest.mark.django_db

UID = "U" + "4af4980629" + "0" * 22


@pytest.fixture
def standin(settings, monkeypatch):
    server = LineStandIn()
    settings.LINE_API_BASE_URL = server.url
    settings.LINE_CHANNEL_ACCESS_TOKEN = server.token
    settings.VOLUNTEER_NOTIFICATION_CHANNELS = CHANNELS
    providers = {"line": dict(settings.SOCIALACCOUNT_PROVIDERS["line"])}
    providers["line"]["APPS"] = [
        {"client_id": server.login_client_id, "secret": server.login_client_secret}
    ]
    settings.SOCIALACCOUNT_PROVIDERS = providers
    # LINE Login's endpoints, at the stand-in (allauth's adapter names api.line.me).
    monkeypatch.setattr(LineOAuth2Adapter, "access_token_url", f"{server.url}/oauth2/v2.1/token")
    monkeypatch.setattr(LineOAuth2Adapter, "profile_url", f"{server.url}/v2/profile")
    yield server
    server.close()


def line_authorize(client, standin, next_url: str | None = None):
    """Press the link button, let "LINE" agree, come back to the callback."""
    response = client.post("/accounts/line/login/?process=connect")
    assert response.status_code == 302
    to = urlparse(response["Location"])
    assert (to.scheme, to.netloc, to.path) == ("https", "access.line.me", "/oauth2/v2.1/authorize")
    query = {k: v[0] for k, v in parse_qs(to.query).items()}
    assert query["client_id"] == standin.login_client_id
    assert set(query["scope"].split()) == {"profile", "openid"}
    assert query["bot_prompt"] == "aggressive"  # offered to add the official account
    code = standin.authorize(UID, "いきいき 太郎")
    return client.get("/accounts/line/login/callback/", {"code": code, "state": query["state"]})


def test_a_volunteer_links_line_from_their_page_and_is_told_there(client, standin):
    volunteer = UserFactory(roles=["volunteer"])
    client.force_login(volunteer)
    home = client.get("/me/").content.decode()
    assert "LINEでのお知らせ" in home and "/accounts/3rdparty/" in home
    page = client.get("/accounts/3rdparty/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "LINEを連携する" in html and "未連携" in html
    assert 'action="/accounts/line/login/?process=connect"' in html

    back = line_authorize(client, standin)
    assert back.status_code == 302
    account = SocialAccount.objects.get(user=volunteer)
    assert (account.provider, account.uid) == ("line", UID)
    assert "連携済み" in client.get("/accounts/3rdparty/").content.decode()
    assert "LINEで届きます" in client.get("/me/").content.decode()

    assert deliver(volunteer, Message(subject="件名", body="本文")) == 2
    assert standin.texts_to(UID) == ["件名\n\n本文"]

    # Unlinking is the way to stop LINE notices.
    response = client.post("/accounts/3rdparty/", {"account": account.pk})
    assert response.status_code == 302
    assert not SocialAccount.objects.filter(user=volunteer).exists()
    assert not LineChannel().can_reach(volunteer)


def test_line_is_never_a_way_to_sign_in_or_up(client, standin):
    volunteer = UserFactory(roles=["volunteer"])
    SocialAccount.objects.create(user=volunteer, provider="line", uid=UID, extra_data={})
    login_page = client.get("/accounts/login/").content.decode()
    assert "/accounts/line/login/" not in login_page  # no LINE button on the entrance

    response = client.post("/accounts/line/login/")  # a hand-made sign-in attempt
    state = parse_qs(urlparse(response["Location"]).query)["state"][0]
    back = client.get(
        "/accounts/line/login/callback/",
        {"code": standin.authorize(UID), "state": state},
    )
    assert back.status_code == 302 and back["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert "LINEではログインできません" in client.get("/accounts/login/").content.decode()

    # A LINE account nobody linked does not sign anybody up either.
    response = client.post("/accounts/line/login/")
    state = parse_qs(urlparse(response["Location"]).query)["state"][0]
    client.get(
        "/accounts/line/login/callback/",
        {"code": standin.authorize("U" + "1" * 32), "state": state},
    )
    assert "_auth_user_id" not in client.session
    assert SocialAccount.objects.count() == 1 and mail.outbox == []


def test_without_line_set_up_nothing_shows_and_sign_in_works(client, volunteer):
    login = client.get("/accounts/login/")
    assert login.status_code == 200 and "LINE" not in login.content.decode()
    assert client.get("/accounts/signup/").status_code == 200
    client.force_login(volunteer)
    home = client.get("/me/").content.decode()
    assert "LINEでのお知らせ" not in home and "/accounts/3rdparty/" not in home
    page = client.get("/accounts/3rdparty/")
    assert page.status_code == 200
    assert "LINEは利用できません" in page.content.decode()
    # LINE's own login and callback answer "not found", not allauth's 500 (no app).
    assert client.post("/accounts/line/login/?process=connect").status_code == 404
    assert client.get("/accounts/line/login/callback/", {"code": "x"}).status_code == 404
