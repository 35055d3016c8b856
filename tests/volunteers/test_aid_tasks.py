"""Beat jobs of the mutual-aid centre: standing requests generated ahead without
duplicates (skipped dates honoured) and day-before reminders sent once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from tests.factories import DistrictFactory
from tests.volunteers.aid import DAY, at, category, help_request, resident, volunteer
from volunteers import tasks
from volunteers.models import HelpRequest, Offer, StandingRequest, StandingRequestSkip
from volunteers.notifications import Message
from volunteers.services import standing as services
from volunteers.services.help_requests import request_assign
from volunteers.services.standing import standing_requests_generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def standing():
    res = resident(DistrictFactory())
    return StandingRequest.objects.create(
        resident=res,
        category=category("trash"),
        weekdays=[1, 4],  # Tuesday and Friday
        starts=dt.time(8),
        duration_minutes=20,
        first_date=DAY,
    )


def test_standing_requests_are_generated_ahead_once_and_skip_marked_dates(standing):
    StandingRequestSkip.objects.create(standing=standing, date=DAY + dt.timedelta(days=3))
    made = standing_requests_generate(today=DAY, days=13)
    starts = sorted(
        HelpRequest.objects.filter(standing=standing).values_list("starts_at", flat=True)
    )
    # Tue 4, (Fri 7 skipped), Tue 11, Fri 14, in Tokyo at 8:00.
    assert made == 3
    assert [s.astimezone(at(0).tzinfo).day for s in starts] == [4, 11, 14]
    assert all(s.astimezone(at(0).tzinfo).hour == 8 for s in starts)
    assert standing_requests_generate(today=DAY, days=13) == 0
    # From Tue 11 to Mon 24: only Tue 18 and Fri 21 are new.
    assert standing_requests_generate(today=DAY + dt.timedelta(days=7), days=13) == 2
    assert HelpRequest.objects.filter(standing=standing).count() == 5
    req = HelpRequest.objects.filter(standing=standing).first()
    assert (req.channel, req.district_id, req.status) == (
        "standing",
        standing.resident.district_id,
        "requested",
    )


def test_standing_requests_are_read_in_chunks_and_none_is_missed(standing, monkeypatch):
    """The generator streams standing requests (issue #18: flat memory at any size);
    chunk boundaries lose none and repeat none."""
    others = [
        StandingRequest.objects.create(
            resident=standing.resident,
            category=standing.category,
            weekdays=[1],
            starts=dt.time(9 + n),
            duration_minutes=20,
            first_date=DAY,
        )
        for n in range(4)
    ]
    monkeypatch.setattr(services, "STANDING_CHUNK", 2)
    # Tue 4 and Fri 7 for the first, Tue 4 for each of the four others.
    assert standing_requests_generate(today=DAY, days=3) == 6
    for each in [standing, *others]:
        assert HelpRequest.objects.filter(standing=each).exists()


def test_a_changed_time_never_generates_a_date_twice(standing, coordinator):
    from volunteers.services.help_requests import request_cancel, request_offer

    tuesday_date, friday_date = DAY, DAY + dt.timedelta(days=3)
    assert standing_requests_generate(today=DAY, days=3) == 2  # Tue 4 and Fri 7 at 8:00
    tuesday = HelpRequest.objects.get(standing=standing, starts_at=at(8, day=tuesday_date))
    friday = HelpRequest.objects.get(standing=standing, starts_at=at(8, day=friday_date))
    helper = volunteer(standing.resident.district, skills=("trash",))
    request_offer(help_request=tuesday, volunteers=[helper], actor=coordinator)

    # A coordinator moves the standing request to 9:00 for 30 minutes in the admin.
    StandingRequest.objects.filter(pk=standing.pk).update(starts=dt.time(9), duration_minutes=30)
    assert standing_requests_generate(today=DAY, days=3) == 0
    assert HelpRequest.objects.filter(standing=standing).count() == 2
    tuesday.refresh_from_db()
    friday.refresh_from_db()
    # Offered: keeps the time the volunteer was told. Nobody asked yet: moved.
    assert (tuesday.status, tuesday.starts_at) == ("offered", at(8, day=tuesday_date))
    assert (friday.starts_at, friday.ends_at) == (
        at(9, day=friday_date),
        at(9, 30, day=friday_date),
    )

    # A cancelled date is neither brought back nor moved.
    request_cancel(help_request=friday, actor=coordinator)
    StandingRequest.objects.filter(pk=standing.pk).update(starts=dt.time(10))
    assert standing_requests_generate(today=DAY, days=3) == 0
    friday.refresh_from_db()
    assert (friday.status, friday.starts_at) == ("cancelled", at(9, day=friday_date))
    # Dates not generated yet come at the new time.
    assert standing_requests_generate(today=DAY, days=7) == 1
    assert HelpRequest.objects.filter(standing=standing).latest("starts_at").starts_at == at(
        10, day=DAY + dt.timedelta(days=7)
    )


def test_a_request_offered_while_its_time_is_moved_keeps_its_time(standing, monkeypatch):
    """An offer that commits after the generator read the dates (it locks the request,
    not the standing request) keeps the time the volunteers were told; the other
    untouched dates still move."""
    standing_requests_generate(today=DAY, days=3)
    tuesday, friday = HelpRequest.objects.filter(standing=standing).order_by("starts_at")
    StandingRequest.objects.filter(pk=standing.pk).update(starts=dt.time(9))
    check_window = services.service_window_check

    def offered_meanwhile(*args):
        HelpRequest.objects.filter(pk=friday.pk).update(status=HelpRequest.Status.OFFERED)
        return check_window(*args)

    monkeypatch.setattr(services, "service_window_check", offered_meanwhile)
    standing_requests_generate(today=DAY, days=3)
    tuesday.refresh_from_db()
    friday.refresh_from_db()
    assert (friday.status, friday.starts_at) == ("offered", at(8, day=DAY + dt.timedelta(days=3)))
    assert (tuesday.status, tuesday.starts_at) == ("requested", at(9))


def test_a_changed_time_moves_only_dates_still_ahead(standing, monkeypatch):
    """A date whose time has come (or would have, at the new time) keeps its time:
    the volunteer may already be on the way."""
    standing_requests_generate(today=DAY, days=3)
    tuesday, friday = HelpRequest.objects.filter(standing=standing).order_by("starts_at")
    StandingRequest.objects.filter(pk=standing.pk).update(starts=dt.time(9))
    monkeypatch.setattr(services.timezone, "now", lambda: at(8, 30))  # Tuesday 8:30
    standing_requests_generate(today=DAY, days=3)
    tuesday.refresh_from_db()
    friday.refresh_from_db()
    assert tuesday.starts_at == at(8)
    assert friday.starts_at == at(9, day=DAY + dt.timedelta(days=3))


def test_the_database_refuses_a_duplicate_occurrence(standing):
    standing_requests_generate(today=DAY, days=0)
    first = HelpRequest.objects.get(standing=standing)
    with pytest.raises(IntegrityError), transaction.atomic():
        HelpRequest.objects.create(
            resident=first.resident,
            category=first.category,
            district=first.district,
            starts_at=first.starts_at,
            ends_at=first.ends_at,
            standing=standing,
        )


def test_beat_task_generates(standing, settings, monkeypatch):
    settings.STANDING_REQUESTS_DAYS_AHEAD = 3
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: DAY)
    assert tasks.generate_standing_requests.delay().get() == 2  # Tue 4 and Fri 7


def test_reminders_go_the_day_before_once(coordinator):
    district = DistrictFactory()
    helper = volunteer(district)
    request_assign(
        help_request=help_request(coordinator, resident(district)),
        volunteer=helper,
        actor=coordinator,
    )
    mail.outbox.clear()
    evening_before = at(17, day=DAY - dt.timedelta(days=1)).isoformat()
    assert tasks.send_reminders.delay(evening_before).get() == 1
    assert tasks.send_reminders.delay(evening_before).get() == 0
    (message,) = mail.outbox
    assert message.to == [helper.email] and "明日" in message.subject
    assert "山本" not in message.body  # no resident name in a notification


def test_an_assignment_made_in_the_evening_is_reminded_at_the_next_run(coordinator, settings):
    from celery.schedules import crontab

    schedule = settings.CELERY_BEAT_SCHEDULE["assignment-reminders"]["schedule"]
    assert isinstance(schedule, crontab) and {17, 18, 19, 20, 21} <= schedule.hour
    district = DistrictFactory()
    first, late = volunteer(district), volunteer(district)
    request_assign(
        help_request=help_request(coordinator, resident(district)),
        volunteer=first,
        actor=coordinator,
    )
    day_before = DAY - dt.timedelta(days=1)
    assert tasks.send_reminders.delay(at(17, day=day_before).isoformat()).get() == 1
    request_assign(  # phoned in at 18:30 for tomorrow morning
        help_request=help_request(coordinator, resident(district), start=at(14), end=at(15)),
        volunteer=late,
        actor=coordinator,
    )
    mail.outbox.clear()
    assert tasks.send_reminders.delay(at(19, day=day_before).isoformat()).get() == 1
    assert [m.to for m in mail.outbox] == [[late.email]]  # the first is not reminded again


class RecordingChannel:
    sent: list = []

    def can_reach(self, user) -> bool:
        return True

    def send(self, user, message: Message) -> None:
        self.sent.append((user.pk, message.subject))


def test_other_channels_plug_in_behind_the_same_interface(coordinator, settings):
    settings.VOLUNTEER_NOTIFICATION_CHANNELS = [
        "volunteers.notifications.EmailChannel",
        "tests.volunteers.test_aid_tasks.RecordingChannel",
    ]
    district = DistrictFactory()
    helper = volunteer(district)
    assignment = request_assign(
        help_request=help_request(coordinator, resident(district)),
        volunteer=helper,
        actor=coordinator,
    )
    RecordingChannel.sent.clear()
    assert tasks.notify_cancelled.delay(assignment.pk).get() == 2
    assert RecordingChannel.sent[0][0] == helper.pk and "取消" in RecordingChannel.sent[0][1]


def test_a_date_skipped_after_generation_cancels_that_request(standing, coordinator, commit):
    from volunteers.services.standing import standing_skip_add

    standing_requests_generate(today=DAY, days=3)  # Tue 4 and Fri 7
    friday = HelpRequest.objects.get(standing=standing, starts_at__date=DAY + dt.timedelta(3))
    helper = volunteer(standing.resident.district, skills=("trash",))
    request_assign(help_request=friday, volunteer=helper, actor=coordinator)
    mail.outbox.clear()
    with commit():
        standing_skip_add(standing=standing, date=DAY + dt.timedelta(3), actor=coordinator)
    friday.refresh_from_db()
    assert friday.status == "cancelled" and friday.assignment.status == "cancelled"
    assert [m.to[0] for m in mail.outbox] == [helper.email]  # told not to come
    tuesday = HelpRequest.objects.get(standing=standing, starts_at__date=DAY)
    assert tuesday.status == "requested"
    # Idempotent, and beat does not bring the date back.
    standing_skip_add(standing=standing, date=DAY + dt.timedelta(3), actor=coordinator)
    assert standing_requests_generate(today=DAY, days=3) == 0
    assert StandingRequestSkip.objects.filter(standing=standing).count() == 1


def test_skipping_a_date_in_the_back_office_cancels_the_generated_request(
    standing, client, coordinator
):
    from tests.points.test_interfaces import signed_in_back_office

    standing_requests_generate(today=DAY, days=0)
    desk = signed_in_back_office(client, coordinator)
    response = desk.post("/admin/aid_skips/new/", {"standing": standing.pk, "date": DAY})
    assert response.status_code == 302
    assert HelpRequest.objects.get(standing=standing).status == "cancelled"


def test_a_standing_request_outside_service_hours_is_refused_and_never_breaks_beat(
    standing,
):
    from django.core.exceptions import ValidationError

    bad = StandingRequest(
        resident=standing.resident,
        category=category("shopping"),  # from 9:00
        weekdays=[1],
        starts=dt.time(8),
        duration_minutes=30,
        first_date=DAY,
    )
    with pytest.raises(ValidationError) as refused:
        bad.full_clean()
    assert "starts" in refused.value.message_dict
    bad.duration_minutes = 0
    bad.starts = dt.time(10)
    with pytest.raises(ValidationError) as refused:
        bad.full_clean()
    assert "duration_minutes" in refused.value.message_dict
    bad.save()  # as data saved before these checks, or hours changed since
    assert standing_requests_generate(today=DAY, days=3) == 2  # the good one still runs
    assert not HelpRequest.objects.filter(standing=bad).exists()


def test_an_assignment_cancelled_before_its_notice_went_out_is_not_announced(coordinator):
    from volunteers.services.help_requests import request_cancel

    district = DistrictFactory()
    helper = volunteer(district)
    req = help_request(coordinator, resident(district))
    assignment = request_assign(help_request=req, volunteer=helper, actor=coordinator)
    assert tasks.notify_assigned.delay(assignment.pk).get() == 1
    request_cancel(help_request=req, actor=coordinator)
    mail.outbox.clear()
    assert tasks.notify_assigned.delay(assignment.pk).get() == 0
    assert mail.outbox == []


def test_cancelling_a_request_tells_everyone_holding_an_offer(coordinator, commit):
    from volunteers.services.help_requests import request_cancel, request_offer

    district = DistrictFactory()
    asked = [volunteer(district), volunteer(district)]
    job = help_request(coordinator, resident(district))
    request_offer(help_request=job, volunteers=asked, actor=coordinator)
    mail.outbox.clear()
    with commit():
        request_cancel(help_request=job, actor=coordinator, reason="入院のため")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(v.email for v in asked)
    assert all(m.subject.startswith("取消のお知らせ") for m in mail.outbox)
    assert not Offer.objects.filter(request=job, status=Offer.Status.OPEN).exists()


def test_offer_notices_go_out_only_while_the_offer_is_still_as_queued(coordinator):
    """A queued notice is dropped when the offer has changed since: no 'new offer' for
    a withdrawn one, no 'cancelled' for one still open."""
    from volunteers.services.help_requests import request_cancel, request_offer

    district = DistrictFactory()
    job = help_request(coordinator, resident(district))
    request_offer(help_request=job, volunteers=[volunteer(district)], actor=coordinator)
    offer = Offer.objects.get(request=job)
    mail.outbox.clear()
    assert tasks.notify_offer_withdrawn.delay(offer.pk).get() == 0
    assert tasks.notify_offer.delay(offer.pk).get() == 1
    request_cancel(help_request=job, actor=coordinator)
    mail.outbox.clear()
    assert tasks.notify_offer.delay(offer.pk).get() == 0
    assert tasks.notify_offer_withdrawn.delay(offer.pk).get() == 1
    assert [m.subject.startswith("取消のお知らせ") for m in mail.outbox] == [True]


def test_a_request_taken_for_a_standing_request_is_one_of_its_dates(standing, coordinator):
    """Linked to its standing request: beat does not generate the date again."""
    from volunteers.services.help_requests import request_receive

    taken = request_receive(
        actor=coordinator,
        resident=standing.resident,
        category=standing.category,
        starts_at=at(8),
        ends_at=at(8, 20),
        channel=HelpRequest.Channel.STANDING,
        standing=standing,
    )
    assert HelpRequest.objects.get(pk=taken.pk).standing == standing
    assert standing_requests_generate(today=DAY, days=0) == 0
    assert HelpRequest.objects.filter(standing=standing).count() == 1
