"""The coordinators' call list with LINE in place (issue #17 item 6): who LINE reaches
is told there and leaves the list; who has neither email nor LINE stays on it; who
switched notices off is told on no channel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from points.models import ExpiryNotice, NoticePreference
from tests.factories import UserFactory
from tests.platform.line_standin import LineStandIn
from tests.platform.test_line_channel import CHANNELS, link_line
from tests.points.test_expiry_notices import run, voucher_expiring
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def standin(settings):
    server = LineStandIn()
    settings.LINE_API_BASE_URL = server.url
    settings.LINE_CHANNEL_ACCESS_TOKEN = server.token
    settings.VOLUNTEER_NOTIFICATION_CHANNELS = CHANNELS
    yield server
    server.close()


def phone_only(name: str, kana: str, phone: str):
    return UserFactory(
        email=None, roles=["volunteer"], full_name=name, full_name_kana=kana, phone=phone
    )


def test_who_linked_line_is_told_there_and_leaves_the_call_list(client, standin):
    today = timezone.localdate()
    on_line = phone_only("線 一郎", "セン イチロウ", "090-1111-2222")
    uid = link_line(on_line)
    by_phone = phone_only("電話 花子", "デンワ ハナコ", "090-3333-4444")
    voucher_expiring(on_line, today + dt.timedelta(days=10), key="ex-line")
    voucher_expiring(by_phone, today + dt.timedelta(days=10), key="ex-phone")

    coordinator = UserFactory(roles=["coordinator"])
    signed_in_back_office(client, coordinator)
    assert run(today) == 2
    (text,) = standin.texts_to(uid)
    assert "500円" in text and "/me/vouchers/" in text
    assert mail.outbox == []  # neither has email
    assert ExpiryNotice.objects.get(user=on_line).sent_at is not None
    assert ExpiryNotice.objects.get(user=by_phone).sent_at is None

    html = client.get("/admin/aid/calls/").content.decode()
    assert "電話 花子" in html and "090-3333-4444" in html
    assert "線 一郎" not in html and "090-1111-2222" not in html

    # A rerun tells nobody again, on LINE or otherwise (the untold one stays untold,
    # for the coordinators).
    run(today)
    assert len(standin.delivered) == 1 and mail.outbox == []
    assert ExpiryNotice.objects.get(user=by_phone).sent_at is None


def test_who_unlinks_line_and_has_no_email_is_phoned_instead(client, standin):
    from allauth.socialaccount.models import SocialAccount

    today = timezone.localdate()
    person = phone_only("線 一郎", "セン イチロウ", "090-1111-2222")
    link_line(person)
    SocialAccount.objects.filter(user=person).delete()
    voucher_expiring(person, today + dt.timedelta(days=10))
    run(today)
    assert standin.delivered == []
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    assert "090-1111-2222" in client.get("/admin/aid/calls/").content.decode()


def test_who_switched_notices_off_is_told_on_no_channel_and_not_phoned(client, standin):
    today = timezone.localdate()
    person = UserFactory(roles=["volunteer"], full_name="静か 三郎", phone="090-5555-6666")
    link_line(person)
    NoticePreference.objects.create(user=person, expiry_notices=False)
    voucher_expiring(person, today + dt.timedelta(days=10))
    run(today)
    assert standin.delivered == [] and mail.outbox == []
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    assert "090-5555-6666" not in client.get("/admin/aid/calls/").content.decode()


@pytest.fixture
def line_app(settings, standin):
    providers = {"line": dict(settings.SOCIALACCOUNT_PROVIDERS["line"])}
    providers["line"]["APPS"] = [
        {"client_id": standin.login_client_id, "secret": standin.login_client_secret}
    ]
    settings.SOCIALACCOUNT_PROVIDERS = providers
    return standin


def test_who_line_refuses_is_phoned_told_on_their_page_and_can_ask_for_line_again(client, line_app):
    """A LINE-only volunteer who blocked (or never added) the official account: LINE
    refuses the push for good, so LINE stops counting as reaching them and they go on
    the call list the same day; their page says so, and once they ask for LINE again
    the next notice goes there."""
    standin = line_app
    today = timezone.localdate()
    person = phone_only("線 一郎", "セン イチロウ", "090-1111-2222")
    uid = link_line(person)
    standin.strangers.add(uid)
    voucher_expiring(person, today + dt.timedelta(days=10), key="ex-refused")

    run(today)
    assert standin.delivered == [] and mail.outbox == []
    assert ExpiryNotice.objects.get(user=person).sent_at is None
    coordinator = UserFactory(roles=["coordinator"])
    back_office = signed_in_back_office(client.__class__(), coordinator)
    assert "090-1111-2222" in back_office.get("/admin/aid/calls/").content.decode()
    # A second run does not push to LINE again.
    run(today)
    assert standin.delivered == [] and standin.refused == [uid]

    client.force_login(person)
    home = client.get("/me/").content.decode()
    assert "LINEにお知らせを届けられませんでした" in home
    assert client.get("/me/line/retry/").status_code == 302  # a GET changes nothing
    assert "LINEにお知らせを届けられませんでした" in client.get("/me/").content.decode()

    standin.strangers.discard(uid)  # they added the account as a friend
    response = client.post("/me/line/retry/", follow=True)
    assert "もう一度LINEにお送りします" in response.content.decode()
    assert "連携済み：お知らせがLINEで届きます。" in response.content.decode()
    run(today)
    (text,) = standin.texts_to(uid)
    assert "500円" in text
    assert "090-1111-2222" not in back_office.get("/admin/aid/calls/").content.decode()


def test_asking_for_line_again_clears_only_ones_own_refusal(client, line_app):
    from core.models import LineRefusal

    standin = line_app
    today = timezone.localdate()
    mine, theirs = (
        phone_only("線 一郎", "セン イチロウ", "090-1111-2222"),
        phone_only("線 二郎", "セン ジロウ", "090-7777-8888"),
    )
    for person in (mine, theirs):
        standin.strangers.add(link_line(person))
        voucher_expiring(person, today + dt.timedelta(days=10), key=f"ex-{person.pk}")
    run(today)
    assert LineRefusal.objects.count() == 2
    client.force_login(mine)
    client.post("/me/line/retry/")
    assert list(LineRefusal.objects.values_list("account__user", flat=True)) == [theirs.pk]
