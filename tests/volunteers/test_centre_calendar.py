"""The centre's calendar (issue #17 item 5): closed days (national holidays from
jpholiday, the yearly 年末年始 closure, one-off closures) kept in the back office and
respected by intake (the coordinator's form and the API), by standing-request
generation (skipped, and listed on the board) — on real holidays and year-end days,
with a normal day accepted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import DAY, at, category, help_request, resident, volunteer
from volunteers import tasks
from volunteers.models import CentreClosure, HelpRequest, StandingRequest
from volunteers.selectors.calendar import (
    centre_closed_days,
    centre_closed_reason,
    centre_open_on,
    closed_days_ahead,
)
from volunteers.services.help_requests import request_assign
from volunteers.services.standing import standing_requests_generate

pytestmark = pytest.mark.django_db

SEIJIN = dt.date(2027, 1, 11)  # 成人の日 (second Monday of January)
KINRO = dt.date(2026, 11, 23)  # 勤労感謝の日 (a Monday)
YEAR_END = dt.date(2026, 12, 30)  # inside 12/29–1/3
NORMAL = dt.date(2027, 1, 12)  # a Tuesday, no holiday


@pytest.fixture
def calendar():
    """The calendar a city enters: national holidays and the year-end closure."""
    CentreClosure.objects.create(kind=CentreClosure.Kind.PUBLIC_HOLIDAYS)
    CentreClosure.objects.create(
        kind=CentreClosure.Kind.YEARLY,
        name="年末年始",
        first_date=dt.date(2026, 12, 29),
        last_date=dt.date(2027, 1, 3),
    )


@pytest.fixture
def desk(client, coordinator):
    return signed_in_back_office(client, coordinator)


def test_a_city_without_rules_is_open_every_day():
    assert centre_open_on(SEIJIN) and centre_open_on(YEAR_END)


def test_holidays_come_from_the_library_and_the_year_end_closure_wraps_new_year(calendar):
    assert centre_closed_reason(SEIJIN) == "成人の日"
    assert centre_closed_reason(KINRO) == "勤労感謝の日"
    assert "振替休日" in centre_closed_reason(dt.date(2025, 5, 6))  # みどりの日 on a Sunday
    # Every year, whatever year the rule's dates were entered in; 元日 is 年末年始.
    for day in (dt.date(2027, 12, 29), YEAR_END, dt.date(2027, 1, 1), dt.date(2028, 1, 3)):
        assert centre_closed_reason(day) == "年末年始", day
    for day in (dt.date(2026, 12, 28), dt.date(2027, 1, 4), NORMAL):
        assert centre_open_on(day), day
    closed = centre_closed_days(dt.date(2026, 12, 28), dt.date(2027, 1, 12))
    assert list(closed) == [dt.date(2026, 12, 29) + dt.timedelta(days=n) for n in range(6)] + [
        SEIJIN
    ]


def test_a_one_off_closure_covers_its_dates_only():
    CentreClosure.objects.create(
        kind=CentreClosure.Kind.DATED,
        name="事務所移転",
        first_date=dt.date(2027, 2, 9),
        last_date=dt.date(2027, 2, 10),
    )
    assert centre_closed_reason(dt.date(2027, 2, 10)) == "事務所移転"
    assert centre_open_on(dt.date(2027, 2, 11 - 3)) and centre_open_on(dt.date(2028, 2, 9))
    assert centre_open_on(SEIJIN)  # no holiday rule: open on holidays


def intake(desk, res, day: dt.date):
    return desk.post(
        f"/admin/aid/residents/{res.pk}/intake/",
        {
            "category": category().pk,
            "day": day.isoformat(),
            "starts": "10:00",
            "ends": "11:00",
            "channel": "phone",
        },
    )


@pytest.mark.parametrize(
    ("day", "reason"), [(SEIJIN, "成人の日"), (KINRO, "勤労感謝の日"), (YEAR_END, "年末年始")]
)
def test_the_intake_form_refuses_a_closed_day_on_the_date_field(desk, calendar, day, reason):
    res = resident(DistrictFactory())
    response = intake(desk, res, day)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["day"]
    assert reason in errors["day"][0] and "休業日" in errors["day"][0]
    assert not HelpRequest.objects.filter(resident=res).exists()


def test_the_intake_page_lists_the_closed_days_ahead(desk):
    soon = timezone.localdate() + dt.timedelta(days=5)
    CentreClosure.objects.create(kind=CentreClosure.Kind.DATED, name="職員研修", first_date=soon)
    res = resident(DistrictFactory())
    page = desk.get(f"/admin/aid/residents/{res.pk}/intake/").content.decode()
    assert "センターの休業日（今後60日）" in page and "職員研修" in page


def test_the_intake_form_accepts_a_normal_day(desk, calendar):
    res = resident(DistrictFactory())
    response = intake(desk, res, NORMAL)
    assert response.status_code == 302
    (taken,) = HelpRequest.objects.filter(resident=res)
    assert taken.starts_at == at(10, day=NORMAL)


def api_post(client, res, day: dt.date):
    return client.post(
        "/api/v1/help-requests/",
        {
            "resident": res.pk,
            "category": "shopping",
            "starts_at": at(10, day=day).isoformat(),
            "ends_at": at(11, day=day).isoformat(),
        },
        content_type="application/json",
    )


@pytest.mark.parametrize(
    ("day", "reason"),
    [(SEIJIN, "成人の日"), (KINRO, "勤労感謝の日"), (dt.date(2027, 1, 3), "年末年始")],
)
def test_the_api_refuses_a_closed_day_with_a_stable_code(desk, calendar, day, reason):
    res = resident(DistrictFactory())
    response = api_post(desk, res, day)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "centre_closed"
    assert body["details"] == {"date": day.isoformat(), "reason": reason}
    assert "starts_at" in body["fields"]
    assert not HelpRequest.objects.filter(resident=res).exists()


def test_the_api_takes_a_request_on_a_normal_day_for_coordinators_only(desk, calendar):
    res = resident(DistrictFactory())
    response = api_post(desk, res, NORMAL)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["category"], body["channel"]) == ("requested", "shopping", "phone")
    assert HelpRequest.objects.get(pk=body["id"]).received_by is not None
    helper = Client()
    helper.force_login(UserFactory(roles=["volunteer"]))
    assert api_post(helper, res, NORMAL).status_code == 403
    # A coordinator whose session has not passed MFA: as in the back office.
    no_mfa = Client()
    no_mfa.force_login(UserFactory(roles=["coordinator"]))
    refused = api_post(no_mfa, res, NORMAL)
    assert refused.status_code == 403 and refused.json()["code"] == "mfa_required"
    assert HelpRequest.objects.filter(resident=res).count() == 1


def test_the_api_lists_closed_days(desk, calendar):
    body = desk.get(
        "/api/v1/centre/closed-days/", {"start": "2027-01-01", "end": "2027-01-31"}
    ).json()
    assert body == [
        {"date": "2027-01-01", "reason": "年末年始"},
        {"date": "2027-01-02", "reason": "年末年始"},
        {"date": "2027-01-03", "reason": "年末年始"},
        {"date": "2027-01-11", "reason": "成人の日"},
    ]
    too_long = desk.get("/api/v1/centre/closed-days/", {"start": "2027-01-01", "end": "2029-01-01"})
    assert too_long.status_code == 400
    assert desk.get("/api/v1/centre/closed-days/", {"start": "x"}).status_code == 400


def test_standing_requests_are_not_generated_on_closed_days_and_the_board_says_so(
    desk, calendar, coordinator
):
    res = resident(DistrictFactory(), full_name="山田 ウメ")
    standing = StandingRequest.objects.create(
        resident=res,
        category=category("trash"),
        weekdays=[0, 1, 2, 3, 4],  # every weekday
        starts=dt.time(9),
        duration_minutes=20,
        first_date=dt.date(2026, 12, 1),
    )
    # Monday 12/28 to Tuesday 1/12: 年末年始 12/29–1/3 and 成人の日 1/11 are closed.
    standing_requests_generate(today=dt.date(2026, 12, 28), days=15)
    generated = sorted(
        r.starts_at.astimezone(at(9).tzinfo).date()
        for r in HelpRequest.objects.filter(standing=standing)
    )
    assert generated == [
        dt.date(2026, 12, 28),
        dt.date(2027, 1, 4),
        dt.date(2027, 1, 5),
        dt.date(2027, 1, 6),
        dt.date(2027, 1, 7),
        dt.date(2027, 1, 8),
        dt.date(2027, 1, 12),
    ]
    # Run again: still nothing on the closed days (idempotent).
    assert standing_requests_generate(today=dt.date(2026, 12, 28), days=15) == 0

    # The coordinator sees, on the board, which closed days skipped which standing request.
    ahead = closed_days_ahead(dt.date(2027, 1, 4), days=14)
    (seijin,) = ahead
    assert (seijin.date, seijin.reason) == (SEIJIN, "成人の日")
    assert seijin.standing == [standing] and seijin.requests == []


def test_the_board_lists_closed_days_and_requests_booked_on_them(desk, coordinator, calendar):
    today = timezone.localdate()
    CentreClosure.objects.create(
        kind=CentreClosure.Kind.DATED, name="職員研修", first_date=today + dt.timedelta(days=3)
    )
    res = resident(DistrictFactory(), full_name="小川 キク")
    # Taken before the closure was entered (written directly: intake would refuse it now).
    HelpRequest.objects.create(
        resident=res,
        category=category(),
        district=res.district,
        starts_at=at(10, day=today + dt.timedelta(days=3)),
        ends_at=at(11, day=today + dt.timedelta(days=3)),
    )
    page = desk.get("/admin/aid/").content.decode()
    assert "職員研修" in page and "小川 キク" in page
    assert "休業日" in page


def test_coordinators_keep_the_calendar_in_the_back_office(desk):
    listing = desk.get("/admin/aid_closures/")
    assert listing.status_code == 200
    response = desk.post(
        "/admin/aid_closures/new/",
        {
            "kind": "yearly",
            "name": "年末年始",
            "first_date": "2026-12-29",
            "last_date": "2027-01-03",
        },
    )
    assert response.status_code == 302, response.content
    assert centre_closed_reason(dt.date(2030, 12, 31)) == "年末年始"
    missing = desk.post("/admin/aid_closures/new/", {"kind": "dated", "name": "臨時休業"})
    assert missing.status_code == 200 and CentreClosure.objects.count() == 1
    page = desk.get("/admin/aid_closures/").content.decode()
    assert "12/29–1/3" in page


def test_city_staff_may_edit_the_calendar_volunteers_may_not(client):
    staff = signed_in_back_office(Client(), UserFactory(roles=["city_staff"]))
    assert staff.get("/admin/aid_closures/").status_code == 200
    helper = Client()
    helper.force_login(UserFactory(roles=["volunteer"]))
    assert helper.get("/admin/aid_closures/").status_code in (302, 403)


def test_the_calendar_answers_at_the_ends_of_the_calendar(desk, calendar):
    """A date typed as 9999-12-31 (or year 1) is a refusal or an answer, never a 500."""
    assert centre_closed_reason(dt.date.max) == "年末年始"
    assert centre_open_on(dt.date(9999, 12, 28))
    assert centre_closed_reason(dt.date.min) == "年末年始"
    listed = desk.get("/api/v1/centre/closed-days/", {"start": "9999-12-20"})
    assert listed.status_code == 200
    assert listed.json()[-1] == {"date": "9999-12-31", "reason": "年末年始"}
    res = resident(DistrictFactory())
    refused = intake(desk, res, dt.date(9999, 12, 31))
    assert refused.status_code == 200 and "day" in refused.context["form"].errors


def test_help_booked_before_a_closure_was_entered_is_still_reminded(coordinator):
    """Intake and beat put nothing on a closed day, so the only assignments there are
    those booked before the closure was entered: the volunteer promised the resident,
    and the board shows them for a coordinator to settle (cancelling tells the
    volunteer). A reminder left out silently would make the help be forgotten."""
    district = DistrictFactory()
    helper = volunteer(district)
    request_assign(
        help_request=help_request(coordinator, resident(district)),
        volunteer=helper,
        actor=coordinator,
    )
    CentreClosure.objects.create(kind=CentreClosure.Kind.DATED, name="臨時休業", first_date=DAY)
    (row,) = closed_days_ahead(DAY, days=0)
    assert [r.assignment.volunteer for r in row.requests] == [helper]
    mail.outbox.clear()
    assert tasks.send_reminders.delay(at(17, day=DAY - dt.timedelta(days=1)).isoformat()).get() == 1
    assert [m.to for m in mail.outbox] == [[helper.email]]
