"""Expiry notices (issue #17 item 3) and the coordinators' call list (item 6): through
the beat task, the volunteer's page and the back office."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from config.celery import app as celery_app
from core.outbox import SendClaimed
from points import tasks
from points.models import EarningRule, ExchangeSettings, ExpiryNotice, Voucher
from points.selectors import voucher_code
from points.selectors.notices import expiry_notices_wanted
from points.services.accounts import wallet_for
from points.services.earning import points_award
from points.services.notices import expiry_notices_record
from points.services.vouchers import voucher_exchange
from tests.factories import UserFactory
from tests.points.support import fund
from tests.points.test_interfaces import assert_refused_by_wagtail, signed_in_back_office

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 10)


@pytest.fixture
def rule():
    """Points earned in a calendar year are valid to the end of the following one."""
    return EarningRule.objects.create(
        activity_kind="salon",
        name="サロン運営",
        basis=EarningRule.Basis.PER_HOUR,
        points=100,
        year_basis=EarningRule.YearBasis.CALENDAR,
        expiry=EarningRule.Expiry.END_OF_FOLLOWING_YEAR,
    )


def voucher_expiring(user, on: dt.date, key: str = "ex-1") -> Voucher:
    """One 500 pt voucher for ``user`` (funded with points that never expire), valid
    until ``on``."""
    fund(wallet_for(user), 500)
    _txn, (voucher,) = voucher_exchange(user=user, count=1, idempotency_key=key)
    Voucher.objects.filter(pk=voucher.pk).update(expires_on=on)
    voucher.refresh_from_db()
    return voucher


def earn(user, rule, day: dt.date, minutes: int = 120, key: str = "earn-1"):
    return points_award(
        user=user, rule=rule, activity_date=day, duration_minutes=minutes, idempotency_key=key
    )


def run(today: dt.date = TODAY) -> int:
    return tasks.send_expiry_notices(today.isoformat())


def test_each_expiring_thing_is_told_once_and_a_rerun_tells_nothing(volunteer, rule):
    voucher = voucher_expiring(volunteer, TODAY + dt.timedelta(days=10))
    earn(volunteer, rule, dt.date(2025, 6, 1))  # 200 pt, valid until 2026-12-31
    earn(volunteer, rule, dt.date(2026, 6, 1), key="earn-2")  # until 2027-12-31: later

    assert run() == 2
    assert len(mail.outbox) == 2
    by_subject = {m.subject: m for m in mail.outbox}
    points_mail = next(m for s, m in by_subject.items() if "ポイント" in s)
    voucher_mail = next(m for s, m in by_subject.items() if "商品券" in s)
    assert points_mail.to == [volunteer.email]
    assert "200 pt" in points_mail.body and "2026年12月31日" in points_mail.body
    assert "/me/points/" in points_mail.body and "/shops/" in points_mail.body
    assert "500円" in voucher_mail.body and "2026年12月20日" in voucher_mail.body
    assert "/me/vouchers/" in voucher_mail.body and "/shops/" in voucher_mail.body
    assert voucher_code(voucher) not in voucher_mail.body + voucher_mail.subject
    assert ExpiryNotice.objects.filter(sent_at__isnull=False).count() == 2

    assert run() == 0  # the next day's run, or the same run twice
    assert run(TODAY + dt.timedelta(days=1)) == 0
    assert len(mail.outbox) == 2


def test_a_run_that_died_after_recording_sends_once_when_run_again(volunteer):
    voucher_expiring(volunteer, TODAY + dt.timedelta(days=3))
    # The worker died after recording the notices, before queueing any send.
    assert len(expiry_notices_record(today=TODAY)) == 1
    assert mail.outbox == []
    assert run() == 1 and len(mail.outbox) == 1
    # A send task delivered twice (the broker redelivers it) sends nothing more.
    notice = ExpiryNotice.objects.get()
    assert tasks.send_expiry_notice(notice.pk, TODAY.isoformat()) == 0
    assert len(mail.outbox) == 1


def test_a_notice_another_attempt_is_sending_is_left_to_it(volunteer):
    voucher_expiring(volunteer, TODAY + dt.timedelta(days=3))
    expiry_notices_record(today=TODAY)
    notice = ExpiryNotice.objects.get()
    claim = f"outbox:claim:points.expiry-notice:{notice.pk}"
    cache.add(claim, "another-task", timeout=60)
    with pytest.raises(SendClaimed):  # a transient error: the task retries later
        tasks.send_expiry_notice(notice.pk, TODAY.isoformat())
    assert mail.outbox == []
    cache.delete(claim)
    assert tasks.send_expiry_notice(notice.pk, TODAY.isoformat()) == 1
    assert len(mail.outbox) == 1


def test_nothing_is_told_outside_the_window_nor_when_notices_are_off(volunteer, rule):
    voucher_expiring(volunteer, TODAY + dt.timedelta(weeks=4, days=1))
    earn(volunteer, rule, dt.date(2026, 6, 1))  # valid until 2027-12-31
    assert run() == 0
    assert not ExpiryNotice.objects.exists() and mail.outbox == []

    Voucher.objects.update(expires_on=TODAY + dt.timedelta(days=5))
    config = ExchangeSettings.load()
    config.expiry_notice_weeks = 0
    config.save()
    assert run() == 0 and mail.outbox == []

    config.expiry_notice_weeks = 1
    config.save()
    assert run() == 1 and len(mail.outbox) == 1


def test_points_spent_before_their_date_are_not_told(volunteer, rule):
    earn(volunteer, rule, dt.date(2025, 6, 1))  # 200 pt valid until 2026-12-31
    fund(wallet_for(volunteer), 400)  # never expire
    # An exchange uses the soonest-expiring points first: 200 of the 500 expire.
    voucher_exchange(user=volunteer, count=1, idempotency_key="ex-1")
    Voucher.objects.update(expires_on=TODAY + dt.timedelta(weeks=10))
    assert run() == 0 and mail.outbox == []

    earn(volunteer, rule, dt.date(2025, 7, 1), minutes=60, key="earn-2")  # 100 pt more
    assert run() == 1
    assert "100 pt" in mail.outbox[0].body


def test_used_or_already_expired_things_are_not_told(volunteer):
    voucher = voucher_expiring(volunteer, TODAY + dt.timedelta(days=5))
    Voucher.objects.filter(pk=voucher.pk).update(status=Voucher.Status.VOID)
    voucher_expiring(volunteer, TODAY - dt.timedelta(days=1), key="ex-2")
    assert run() == 0 and mail.outbox == []


def test_a_volunteer_who_turned_notices_off_on_their_page_is_told_nothing(client, volunteer):
    voucher_expiring(volunteer, TODAY + dt.timedelta(days=10))
    client.force_login(volunteer)
    page = client.get("/me/points/")
    assert 'name="expiry_notices"' in page.content.decode()
    assert page.context["notice_form"]["expiry_notices"].value() is True

    response = client.post("/me/points/notices/", {})  # the box unticked
    assert response.status_code == 302 and response["Location"] == "/me/points/"
    page = client.get("/me/points/")
    assert page.context["notice_form"]["expiry_notices"].value() is False
    assert "有効期限のお知らせを止めました" in page.content.decode()
    assert run() == 0 and mail.outbox == []

    client.post("/me/points/notices/", {"expiry_notices": "on"})
    assert run() == 1 and len(mail.outbox) == 1


def test_the_notice_setting_opened_by_address_leads_to_the_points_page(client, volunteer):
    """Signing in again after the session ended on the box's POST lands on its address
    with a GET: the volunteer is taken to the page with the box, not a blank 405."""
    anonymous = client.post("/me/points/notices/", {})
    assert anonymous.status_code == 302
    assert anonymous["Location"] == "/accounts/login/?next=/me/points/notices/"
    client.force_login(volunteer)
    response = client.get("/me/points/notices/")
    assert response.status_code == 302 and response["Location"] == "/me/points/"
    assert expiry_notices_wanted(volunteer) is True  # a GET changes nothing


def test_the_notice_task_runs_daily_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["expiry-notices"]
    assert entry["task"] == "points.send_expiry_notices"
    assert "points.send_expiry_notices" in celery_app.tasks
    assert "points.send_expiry_notice" in celery_app.tasks


# --- The coordinators' call list ----------------------------------------------------------


@pytest.fixture
def unreachable(db):
    """A volunteer with a phone and no email: no channel reaches them."""
    return UserFactory(
        email=None,
        roles=["volunteer"],
        full_name="電話 花子",
        full_name_kana="デンワ ハナコ",
        phone="090-1234-5678",
    )


def test_who_no_channel_reaches_is_on_the_call_list_until_called(client, unreachable):
    volunteer = UserFactory(roles=["volunteer"], full_name="メール 次郎")
    today = timezone.localdate()
    voucher = voucher_expiring(unreachable, today + dt.timedelta(days=10))
    voucher_expiring(volunteer, today + dt.timedelta(days=10), key="ex-2")
    assert run(today) == 2
    assert [m.to for m in mail.outbox] == [[volunteer.email]]  # she has no email
    assert ExpiryNotice.objects.get(user=unreachable).sent_at is None

    coordinator = UserFactory(roles=["coordinator"])
    signed_in_back_office(client, coordinator)
    page = client.get("/admin/aid/calls/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "電話 花子" in html and "090-1234-5678" in html
    assert "500円" in html and voucher_code(voucher) not in html
    assert "メール 次郎" not in html  # email reaches him: not to be phoned
    # One 電話した button per person: each says whom (a screen reader lists them).
    assert 'aria-label="電話 花子さんに電話した"' in html
    printed = client.get("/admin/aid/calls/print/")
    assert printed.status_code == 200 and "090-1234-5678" in printed.content.decode()

    notice = ExpiryNotice.objects.get(user=unreachable)
    response = client.post("/admin/aid/calls/", {"called": f"expiry:{notice.pk}"})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.called_by == coordinator and notice.called_at is not None
    assert "電話 花子" not in client.get("/admin/aid/calls/").content.decode()

    # Called means told: neither the job nor a second click tells her again.
    assert run(today) == 0
    assert client.post("/admin/aid/calls/", {"called": f"expiry:{notice.pk}"}).status_code == 302
    notice.refresh_from_db()
    assert notice.called_by == coordinator and len(mail.outbox) == 1


def test_the_call_list_is_for_coordinators_only(client, unreachable):
    voucher_expiring(unreachable, timezone.localdate() + dt.timedelta(days=10))
    run(timezone.localdate())
    notice = ExpiryNotice.objects.get()

    city = UserFactory(roles=["city_staff"])
    signed_in_back_office(client, city)
    assert_refused_by_wagtail(client.get("/admin/aid/calls/"), client)
    assert client.get("/admin/aid/calls/print/").status_code in (302, 403)
    client.post("/admin/aid/calls/", {"called": f"expiry:{notice.pk}"})
    client.logout()

    client.force_login(UserFactory(roles=["volunteer"]))
    response = client.get("/admin/aid/calls/")
    assert response.status_code == 403
    client.post("/admin/aid/calls/", {"called": f"expiry:{notice.pk}"})

    notice.refresh_from_db()
    assert notice.called_at is None
