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
from volunteers.models import HelpRequest, StandingRequest, StandingRequestSkip
from volunteers.notifications import Message
from volunteers.services import request_assign, standing_requests_generate

pytestmark = pytest.mark.django_db


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
