"""Assignments keep to their day, and cash that does not match the fee is explained
(issue 13, items 5 and 6), through the volunteer's pages and API and the back office."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import at, category, help_request, resident, volunteer
from volunteers.models import Assignment, HelpRequest
from volunteers.services.help_requests import (
    assignment_finish,
    assignment_start,
    request_assign,
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
