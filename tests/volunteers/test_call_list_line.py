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
