"""Assignments keep to their day, and cash that does not match the fee is explained
(issue 13, items 5 and 6), through the volunteer's pages and API and the back office."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone, translation

from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import at, category, help_request, resident, volunteer
from volunteers.exceptions import InvalidTransition, OutsideAssignmentWindow
from volunteers.models import Assignment, HelpRequest, PersonalDataAccess
from volunteers.services.help_requests import (
    assignment_confirm,
    assignment_finish,
    assignment_owed_settle,
    assignment_reminder_mark,
    assignment_start,
    offer_decline,
    request_assign,
    request_offer,
    resident_details_open,
)

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assigned(coordinator, helper, starts_at: dt.datetime) -> Assignment:
    """An assignment for ``helper`` planned at ``starts_at`` for an hour (written
    directly: the real clock decides, so service hours are not checked here)."""
    res = resident(DistrictFactory())
    req = HelpRequest.objects.create(
        resident=res,
        category=category("shopping"),
        district=res.district,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
    )
    return request_assign(help_request=req, volunteer=helper, actor=coordinator)


def test_an_assignment_four_days_ahead_cannot_be_started_by_its_volunteer(client, coordinator):
    helper = volunteer(DistrictFactory())
    ahead = assigned(coordinator, helper, timezone.now() + dt.timedelta(days=4))
    api = signed_in(helper)
    refused = api.post(f"/api/v1/assignments/{ahead.pk}/start/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "outside_assignment_window"
    page = api.post(f"/me/assignments/{ahead.pk}/start/", follow=True).content.decode()
    assert "60分前から開始できます" in page
    assert Assignment.objects.get(pk=ahead.pk).status == "assigned"
    # The coordinator may still record it (after speaking with the volunteer).
    desk = signed_in_back_office(client, coordinator)
    desk.post(f"/admin/aid/requests/{ahead.request_id}/start/", {"at": ""})
    assert Assignment.objects.get(pk=ahead.pk).status == "in_progress"


@pytest.mark.parametrize(
    ("offset", "allowed"),
    [
        (dt.timedelta(minutes=50), True),  # within the hour before
        (dt.timedelta(minutes=-30), True),  # during the window
        (dt.timedelta(minutes=70), False),  # too early
        (dt.timedelta(minutes=-70), False),  # the window has ended
    ],
)
def test_the_volunteer_starts_within_the_tolerance(coordinator, offset, allowed):
    helper = volunteer(DistrictFactory())
    assignment = assigned(coordinator, helper, timezone.now() + offset)
    response = signed_in(helper).post(f"/api/v1/assignments/{assignment.pk}/start/")
    assert (response.status_code == 200) is allowed
    assert Assignment.objects.get(pk=assignment.pk).status == (
        "in_progress" if allowed else "assigned"
    )


def done_assignment(coordinator, *, started, finished, actor=None) -> Assignment:
    district = DistrictFactory()
    helper = volunteer(district)
    req = help_request(coordinator, resident(district, full_name="小林 トメ"))
    assignment = request_assign(help_request=req, volunteer=helper, actor=coordinator)
    assignment_start(assignment=assignment, actor=actor or helper, at=started)
    assignment_finish(assignment=assignment, actor=actor or helper, at=finished)
    return assignment


def minutes_shown(page: str) -> str:
    return re.search(r'name="minutes"[^>]*value="(\d+)"', page).group(1)


def test_the_completion_form_shows_dates_and_prefills_the_recorded_minutes(client, coordinator):
    assignment = done_assignment(coordinator, started=at(10, 2), finished=at(10, 27))
    desk = signed_in_back_office(client, coordinator)
    page = desk.get(f"/admin/aid/requests/{assignment.request_id}/").content.decode()
    assert minutes_shown(page) == "25"
    assert re.search(r'data-testid="started">2030年6月4日\(火\) 10:02<', page)
    assert re.search(r'data-testid="finished">2030年6月4日\(火\) 10:27<', page)
    assert 'name="cash_received_yen" value="300"' in page


def test_times_recorded_at_once_prefill_the_planned_minutes_not_zero(client, coordinator):
    same = at(10, 30)
    assignment = done_assignment(coordinator, started=same, finished=same, actor=coordinator)
    desk = signed_in_back_office(client, coordinator)
    page = desk.get(f"/admin/aid/requests/{assignment.request_id}/").content.decode()
    assert minutes_shown(page) == "60" and "予定の時間" in page


def test_a_coordinator_records_a_start_at_the_time_given(client, coordinator):
    helper = volunteer(DistrictFactory())
    earlier = timezone.localtime(timezone.now() - dt.timedelta(hours=2)).replace(
        second=0, microsecond=0
    )
    assignment = assigned(coordinator, helper, earlier)
    desk = signed_in_back_office(client, coordinator)
    url = f"/admin/aid/requests/{assignment.request_id}/start/"
    future = (timezone.localtime() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert desk.post(url, {"at": future}).status_code == 400
    desk.post(url, {"at": earlier.strftime("%Y-%m-%dT%H:%M")})
    assert Assignment.objects.get(pk=assignment.pk).started_at == earlier


def test_a_shortfall_needs_a_reason_then_the_resident_owes_until_paid(client, coordinator):
    assignment = done_assignment(coordinator, started=at(10), finished=at(10, 55))
    desk = signed_in_back_office(client, coordinator)
    url = f"/admin/aid/requests/{assignment.request_id}/confirm/"
    silent = desk.post(url, {"minutes": "60", "cash_received_yen": "500"})
    assert silent.status_code == 400
    assert "理由" in silent.content.decode()
    assert Assignment.objects.get(pk=assignment.pk).status == "done"
    # The fee follows the minutes: 70 minutes is 7 units of 100 yen.
    desk.post(url, {"minutes": "70", "cash_received_yen": "500", "cash_note": "次回200円"})
    confirmed = Assignment.objects.get(pk=assignment.pk)
    assert (confirmed.status, confirmed.fee_yen, confirmed.cash_received_yen) == (
        "confirmed",
        700,
        500,
    )
    assert confirmed.cash_note == "次回200円"
    owed = desk.get("/admin/aid/owed/").content.decode()
    assert "小林 トメ" in owed and "200円" in owed and "次回200円" in owed
    desk.post("/admin/aid/owed/", {"settle": str(confirmed.pk)})
    assert "小林 トメ" not in desk.get("/admin/aid/owed/").content.decode()
    receipt = desk.get(f"/admin/aid/assignments/{confirmed.pk}/receipt/")
    text = receipt.content.decode()
    assert receipt.status_code == 200 and "領収書" in text and "500円" in text
    assert "小林 トメ" in text and "2030年6月4日" in text


def test_matching_cash_needs_no_reason(client, coordinator):
    assignment = done_assignment(coordinator, started=at(10), finished=at(10, 30))
    desk = signed_in_back_office(client, coordinator)
    url = f"/admin/aid/requests/{assignment.request_id}/confirm/"
    assert desk.post(url, {"minutes": "30", "cash_received_yen": "300"}).status_code == 302
    assert "小林 トメ" not in desk.get("/admin/aid/owed/").content.decode()


@pytest.mark.parametrize("roles", [["volunteer"], ["shop_staff"], ["city_staff"]])
def test_owed_list_and_receipt_are_for_coordinators_only(client, coordinator, roles):
    from volunteers.services.help_requests import assignment_confirm

    assignment = done_assignment(coordinator, started=at(10), finished=at(10, 30))
    assignment_confirm(
        assignment=assignment, actor=coordinator, cash_received_yen=100, cash_note="後日"
    )
    outsider = signed_in_back_office(client, UserFactory(roles=roles))
    for url in ("/admin/aid/owed/", f"/admin/aid/assignments/{assignment.pk}/receipt/"):
        response = outsider.get(url)
        assert response.status_code in (302, 403), url
        assert "小林 トメ" not in response.content.decode()
    assert signed_in(UserFactory(roles=roles)).get("/admin/aid/owed/").status_code in (302, 403)


# --- Edges found by mutation testing (volunteers/services/help_requests.py) ---------


def confirmed(coordinator, cash: int) -> Assignment:
    """A confirmed 30-minute assignment (fee 300 yen) for which ``cash`` was received."""
    assignment = done_assignment(coordinator, started=at(10), finished=at(10, 30))
    return assignment_confirm(
        assignment=assignment,
        actor=coordinator,
        cash_received_yen=cash,
        minutes=30,
        cash_note="" if cash == 300 else "差額あり",
    )


def test_a_shortfall_of_one_yen_is_owed_and_settled_once(coordinator):
    assignment = confirmed(coordinator, 299)
    moment = dt.datetime(2030, 6, 10, 9, tzinfo=timezone.get_default_timezone())
    with mock.patch("django.utils.timezone.now", return_value=moment):
        assert assignment_owed_settle(assignment=assignment, actor=coordinator) is True
    assert Assignment.objects.get(pk=assignment.pk).owed_settled_at == moment
    assert assignment_owed_settle(assignment=assignment, actor=coordinator) is False  # double tap
    assert Assignment.objects.get(pk=assignment.pk).owed_settled_at == moment


@pytest.mark.parametrize("cash", [300, 400])
def test_nothing_to_settle_when_the_fee_was_paid_in_full_or_more(coordinator, cash):
    assignment = confirmed(coordinator, cash)
    with pytest.raises(InvalidTransition) as excinfo:
        assignment_owed_settle(assignment=assignment, actor=coordinator)
    assert excinfo.value.details == {"step": "settle", "status": "confirmed"}
    assert Assignment.objects.get(pk=assignment.pk).owed_settled_at is None


def test_nothing_to_settle_before_confirmation(coordinator):
    assignment = done_assignment(coordinator, started=at(10), finished=at(10, 30))
    with pytest.raises(InvalidTransition) as excinfo:
        assignment_owed_settle(assignment=assignment, actor=coordinator)
    assert excinfo.value.details == {"step": "settle", "status": "done"}


def test_a_reminder_is_marked_once_and_for_that_assignment_only(coordinator):
    district = DistrictFactory()
    first, second = (
        request_assign(
            help_request=help_request(coordinator, resident(district), start=start, end=end),
            volunteer=volunteer(district),
            actor=coordinator,
        )
        for start, end in ((at(10), at(11)), (at(13), at(14)))
    )
    evening = at(17, day=first.starts_at.date() - dt.timedelta(days=1))
    assert assignment_reminder_mark(assignment_id=first.pk, at=evening) is True
    assert (
        assignment_reminder_mark(assignment_id=first.pk, at=evening + dt.timedelta(hours=1))
        is False
    )
    reminded = dict(Assignment.objects.values_list("pk", "reminded_at"))
    assert reminded == {first.pk: evening, second.pk: None}


def test_a_declined_offer_records_when(coordinator):
    district = DistrictFactory()
    helper = volunteer(district)
    (offer,) = request_offer(
        help_request=help_request(coordinator, resident(district)),
        volunteers=[helper],
        actor=coordinator,
    )
    moment = dt.datetime(2030, 6, 1, 12, tzinfo=timezone.get_default_timezone())
    with mock.patch("django.utils.timezone.now", return_value=moment):
        offer_decline(offer=offer, volunteer=helper)
    offer.refresh_from_db()
    assert (offer.status, offer.answered_at) == ("declined", moment)


def test_a_volunteers_look_at_the_resident_is_logged_with_its_reason(coordinator):
    district = DistrictFactory()
    helper = volunteer(district)
    assignment = request_assign(
        help_request=help_request(coordinator, resident(district)),
        volunteer=helper,
        actor=coordinator,
    )
    with translation.override("en"):
        resident_details_open(assignment=assignment, user=helper, via="page")
    entry = PersonalDataAccess.objects.get()
    assert (entry.actor_id, entry.reason, entry.resource) == (
        helper.pk,
        "The volunteer's assignment",
        f"assignment {assignment.pk} (page)",
    )


TICK = dt.timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("moment", "refusal"),
    [
        (at(9), None),  # exactly the tolerance before the start
        (at(11), None),  # exactly the end of the window
        (at(9) - TICK, "too_early"),
        (at(11) + TICK, "too_late"),
    ],
)
def test_the_start_windows_edges_and_what_a_refusal_says(coordinator, moment, refusal):
    district = DistrictFactory()
    helper = volunteer(district)
    assignment = request_assign(
        help_request=help_request(coordinator, resident(district)),  # DAY 10:00–11:00
        volunteer=helper,
        actor=coordinator,
    )
    if refusal is None:
        assignment_start(assignment=assignment, actor=helper, at=moment)
        assert Assignment.objects.get(pk=assignment.pk).started_at == moment
        return
    with pytest.raises(OutsideAssignmentWindow) as excinfo:
        assignment_start(assignment=assignment, actor=helper, at=moment)
    assert excinfo.value.details == {"reason": refusal, "when": "2030年6月4日(火) 10:00〜11:00"}
    assert Assignment.objects.get(pk=assignment.pk).status == "assigned"


def test_zero_minutes_is_a_valid_record_and_a_negative_one_is_not(coordinator):
    from volunteers.exceptions import CashDifferenceUnexplained, InvalidAmount

    assignment = done_assignment(coordinator, started=at(10), finished=at(10, 30))
    with pytest.raises(InvalidAmount) as excinfo:
        assignment_confirm(
            assignment=assignment, actor=coordinator, cash_received_yen=0, minutes=-1
        )
    assert excinfo.value.field == "minutes"
    with pytest.raises(CashDifferenceUnexplained) as excinfo:  # no reason given
        assignment_confirm(
            assignment=assignment, actor=coordinator, cash_received_yen=0, minutes=30
        )
    assert excinfo.value.field == "cash_note"
    done = assignment_confirm(
        assignment=assignment, actor=coordinator, cash_received_yen=0, minutes=0
    )
    assert (done.status, done.minutes, done.fee_yen, done.cash_note) == ("confirmed", 0, 0, "")


@pytest.mark.parametrize(
    ("cash", "minutes", "field"),
    [(0, -1, "minutes"), (-1, 30, "cash"), (-1, 0, "cash"), (-1, None, "cash")],
)
def test_a_negative_amount_is_reported_on_its_own_field(coordinator, cash, minutes, field):
    from volunteers.exceptions import InvalidAmount

    assignment = done_assignment(coordinator, started=at(10), finished=at(10, 30))
    with pytest.raises(InvalidAmount) as excinfo:
        assignment_confirm(
            assignment=assignment, actor=coordinator, cash_received_yen=cash, minutes=minutes
        )
    assert excinfo.value.field == field


def test_a_confirmation_records_who_and_when(coordinator):
    assignment = done_assignment(coordinator, started=at(10), finished=at(10, 30))
    moment = dt.datetime(2030, 6, 5, 9, tzinfo=timezone.get_default_timezone())
    with mock.patch("django.utils.timezone.now", return_value=moment):
        assignment_confirm(assignment=assignment, actor=coordinator, cash_received_yen=300)
    stored = Assignment.objects.get(pk=assignment.pk)
    assert (stored.confirmed_by, stored.confirmed_at, stored.fee_yen) == (coordinator, moment, 300)
