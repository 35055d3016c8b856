"""Matching: every hard filter excludes, every preference ranks higher and says why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import translation

from tests.factories import DistrictFactory
from tests.volunteers.aid import DAY, at, help_request, resident, volunteer
from volunteers.models import Assignment, AvailabilityException
from volunteers.selectors.profiles import eligible_volunteers, suggest
from volunteers.services.help_requests import (
    assignment_confirm,
    assignment_finish,
    assignment_start,
    offer_decline,
    request_assign,
    request_cancel,
    request_offer,
)
from volunteers.services.profiles import availability_exception_add, availability_exception_remove

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def district():
    return DistrictFactory()


@pytest.fixture
def res(district):
    return resident(district)


@pytest.fixture
def req(coordinator, res):
    return help_request(coordinator, res)  # shopping, DAY 10:00–11:00


def eligible(req) -> set:
    return set(eligible_volunteers(req).values_list("user_id", flat=True))


def test_a_volunteer_who_fits_is_eligible(req, district):
    fits = volunteer(district)
    assert eligible(req) == {fits.pk}


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"skills": ("trash",)}, id="skill"),
        pytest.param({"weekly": ((2, dt.time(9), dt.time(16)),)}, id="other-weekday"),
        pytest.param({"weekly": ((1, dt.time(10, 30), dt.time(16)),)}, id="starts-too-late"),
        pytest.param({"weekly": ((1, dt.time(9), dt.time(10, 30)),)}, id="ends-too-early"),
        pytest.param({"insurance": dt.date(2030, 6, 3)}, id="insurance-expired"),
        pytest.param({"insurance": None}, id="insurance-unknown"),
        pytest.param({"active": False}, id="inactive"),
    ],
)
def test_hard_filters(req, district, kwargs):
    volunteer(district, **kwargs)
    assert eligible(req) == set()


def test_district_served_is_a_hard_filter(req):
    volunteer(DistrictFactory())
    assert eligible(req) == set()


def test_a_day_away_excludes_and_a_dated_extra_slot_includes(req, district):
    away = volunteer(district)
    availability_exception_add(user=away, actor=away, date=DAY, available=False)
    extra = volunteer(district, weekly=())
    availability_exception_add(
        user=extra, actor=extra, date=DAY, available=True, starts=dt.time(9), ends=dt.time(12)
    )
    assert AvailabilityException.objects.count() == 2
    assert eligible(req) == {extra.pk}


def test_removing_a_day_away_makes_the_volunteer_eligible_again(req, district, coordinator):
    from core.errors import NotPermitted

    helper, other = volunteer(district), volunteer(district)
    mark = availability_exception_add(user=helper, actor=helper, date=DAY, available=False)
    assert eligible(req) == {other.pk}
    with pytest.raises(NotPermitted):
        availability_exception_remove(user=helper, actor=other, exception_id=mark.pk)
    # Someone else's id, given as one's own, removes nothing.
    assert not availability_exception_remove(user=other, actor=other, exception_id=mark.pk)
    assert eligible(req) == {other.pk}
    assert availability_exception_remove(user=helper, actor=helper, exception_id=mark.pk)
    assert eligible(req) == {helper.pk, other.pk}
    assert not availability_exception_remove(user=helper, actor=helper, exception_id=mark.pk)
    # A coordinator takes back a dated extra slot for a volunteer: the index follows.
    extra = volunteer(district, weekly=())
    slot = availability_exception_add(
        user=extra, actor=extra, date=DAY, available=True, starts=dt.time(9), ends=dt.time(12)
    )
    assert extra.pk in eligible(req)
    assert availability_exception_remove(user=extra, actor=coordinator, exception_id=slot.pk)
    assert extra.pk not in eligible(req)


def test_an_overlapping_live_assignment_excludes_but_an_ended_one_does_not(
    coordinator, req, res, district
):
    busy = volunteer(district)
    other = help_request(coordinator, res, start=at(10, 30), end=at(12))
    assignment = request_assign(help_request=other, volunteer=busy, actor=coordinator)
    assert eligible(req) == set()
    Assignment.objects.filter(pk=assignment.pk).update(status="cancelled")
    assert eligible(req) == {busy.pk}


def test_a_deactivated_user_and_a_declined_offer_exclude(coordinator, req, district):
    gone = volunteer(district)
    gone.is_active = False
    gone.save()
    declined = volunteer(district)
    (offer,) = request_offer(help_request=req, volunteers=[declined], actor=coordinator)
    offer_decline(offer=offer, volunteer=declined)
    assert eligible(req) == set()


def ranked(req):
    return [(s.volunteer.pk, s.reasons) for s in suggest(req)]


def test_continuity_ranks_first_with_its_reason(coordinator, district, res, req):
    stranger = volunteer(district)
    familiar = volunteer(district)
    before = DAY - dt.timedelta(days=35)
    past = help_request(coordinator, res, start=at(10, day=before), end=at(11, day=before))
    done = request_assign(help_request=past, volunteer=familiar, actor=coordinator)
    assignment_start(assignment=done, actor=coordinator, at=past.starts_at)
    assignment_finish(assignment=done, actor=coordinator, at=past.ends_at)
    assignment_confirm(assignment=done, actor=coordinator, cash_received_yen=600)
    (first, first_reasons), (second, second_reasons) = ranked(req)
    assert (first, second) == (familiar.pk, stranger.pk)
    assert "Has helped this resident before (+30)" in first_reasons
    assert not any("helped" in r for r in second_reasons)


def test_familiar_preference_adds_its_own_reason(coordinator, district):
    res = resident(district, prefers_familiar=True)
    familiar = volunteer(district)
    old = help_request(coordinator, res, start=at(9), end=at(10))
    done = request_assign(help_request=old, volunteer=familiar, actor=coordinator)
    Assignment.objects.filter(pk=done.pk).update(status="done")
    req = help_request(coordinator, res, start=at(13), end=at(14))
    ((first, reasons),) = ranked(req)
    assert "The resident prefers a familiar helper (+25)" in reasons


def test_fewest_assignments_this_month_ranks_higher(coordinator, district, res, req):
    busy, free = volunteer(district), volunteer(district)
    for hour in (14, 15):
        request_assign(
            help_request=help_request(
                coordinator,
                res,
                start=at(hour, day=DAY + dt.timedelta(1)),
                end=at(hour, 30, day=DAY + dt.timedelta(1)),
            ),
            volunteer=busy,
            actor=coordinator,
        )
    (first, free_reasons), (second, busy_reasons) = ranked(req)
    assert (first, second) == (free.pk, busy.pk)
    assert "0 assignments this month (+20)" in free_reasons
    assert "2 assignments this month (+7)" in busy_reasons
    request_cancel(
        help_request=Assignment.objects.filter(volunteer=busy).first().request, actor=coordinator
    )
    (_, free_reasons), (_, busy_reasons) = ranked(req)
    assert "1 assignment this month (+10)" in busy_reasons  # the singular


def test_same_district_ranks_higher(req, district):
    elsewhere = volunteer(district, home_district=DistrictFactory())
    local = volunteer(district, home_district=district)
    (first, reasons), (second, _) = ranked(req)
    assert (first, second) == (local.pk, elsewhere.pk)
    assert "Lives in the same district (+15)" in reasons


def test_same_gender_preference(coordinator, district):
    res = resident(district, gender="female", prefers_same_gender=True)
    req = help_request(coordinator, res)
    man = volunteer(district, gender="male")
    woman = volunteer(district, gender="female")
    (first, reasons), (second, other) = ranked(req)
    assert (first, second) == (woman.pk, man.pk)
    assert "Same gender, as the resident prefers (+25)" in reasons
    assert not any("gender" in r for r in other)


def test_same_gender_counts_only_when_the_resident_asks(req, district):
    volunteer(district, gender="female")
    ((_, reasons),) = ranked(req)
    assert not any("gender" in r for r in reasons)


def test_car_ranks_higher_for_an_escort(coordinator, district, res):
    req = help_request(coordinator, res, code="escort")
    walker = volunteer(district, skills=("escort",))
    driver = volunteer(district, skills=("escort",), has_car=True)
    (first, reasons), (second, _) = ranked(req)
    assert (first, second) == (driver.pk, walker.pk)
    assert "Has a car for this task (+15)" in reasons
    shopping = help_request(coordinator, res, start=at(13), end=at(14))
    volunteer(district, has_car=True)
    assert not any("car" in r for _, rs in ranked(shopping) for r in rs)


@override_settings(
    MATCHING_WEIGHTS={
        "continuity": 30,
        "fairness": 20,
        "same_district": 100,
        "resident_preference": 25,
        "car": 15,
    }
)
def test_weights_come_from_settings(req, district):
    local = volunteer(district, home_district=district)
    ((first, reasons),) = ranked(req)
    assert first == local.pk and "Lives in the same district (+100)" in reasons


def test_suggestions_are_limited_and_scored_in_order(coordinator, req, res, district):
    # Created worst first, so neither the creation order nor the primary key can
    # pass for the ranking: fairness 20 / (load + 1), +15 for living in the district.
    twice, once = volunteer(district), volunteer(district)
    plain, local = volunteer(district), volunteer(district, home_district=district)
    tomorrow = DAY + dt.timedelta(1)
    for helper, hours in ((twice, (13, 14)), (once, (13,))):
        for hour in hours:
            other = help_request(
                coordinator, res, start=at(hour, day=tomorrow), end=at(hour, 30, day=tomorrow)
            )
            request_assign(help_request=other, volunteer=helper, actor=coordinator)
    found = suggest(req, limit=3)
    assert [s.volunteer.pk for s in found] == [local.pk, plain.pk, once.pk]  # not twice
    assert [round(s.score, 1) for s in found] == [35.0, 20.0, 10.0]
    assert [s.score for s in suggest(req)][-1] == pytest.approx(20 / 3)


def test_touching_weekly_slots_cover_a_window_that_crosses_between_them(req, district):
    # Two slots on the same Tuesday (as a spreadsheet import allows): 9–10:30 and
    # 10:30–12 together cover 10–11; with a gap between them they do not.
    joined = volunteer(
        district, weekly=((1, dt.time(9), dt.time(10, 30)), (1, dt.time(10, 30), dt.time(12)))
    )
    volunteer(
        district, weekly=((1, dt.time(9), dt.time(10, 15)), (1, dt.time(10, 45), dt.time(12)))
    )
    assert eligible(req) == {joined.pk}


def test_a_dated_extra_slot_joins_the_weekly_pattern_of_that_day(req, district):
    # Tuesdays 9–10:30 plus, on DAY only, 10:30–12: the window 10–11 is covered.
    extended = volunteer(district, weekly=((1, dt.time(9), dt.time(10, 30)),))
    availability_exception_add(
        user=extended,
        actor=extended,
        date=DAY,
        available=True,
        starts=dt.time(10, 30),
        ends=dt.time(12),
    )
    assert eligible(req) == {extended.pk}
    # Away that day as well: the weekly part no longer counts, the extra slot alone
    # (10:30–12) does not cover 10–11.
    availability_exception_add(user=extended, actor=extended, date=DAY, available=False)
    assert eligible(req) == set()


def test_upcoming_days_away_are_the_volunteers_own_from_today(coordinator, district):
    from django.utils import timezone

    from volunteers.selectors.profiles import upcoming_exceptions

    today = timezone.localdate()
    helper, other = volunteer(district), volunteer(district)
    for user, day in (
        (helper, today - dt.timedelta(days=1)),
        (helper, today + dt.timedelta(days=3)),
        (helper, today),
        (other, today + dt.timedelta(days=1)),
    ):
        availability_exception_add(user=user, actor=coordinator, date=day, available=False)
    profile = helper.volunteer_profile
    assert [e.date for e in upcoming_exceptions(profile)] == [
        today,
        today + dt.timedelta(days=3),
    ]


def test_a_months_load_counts_that_months_assignments_not_cancelled(coordinator, district, res):
    """The fairness term's count (shown as "n assignments this month"): from the first
    moment of the month to its last, not cancelled ones, each volunteer apart."""
    from tests.volunteers.aid import TOKYO, category
    from volunteers.models import HelpRequest
    from volunteers.selectors.profiles import month_loads

    helper, other = volunteer(district), volunteer(district)
    june = dt.datetime(2030, 6, 1, tzinfo=TOKYO)
    july = dt.datetime(2030, 7, 1, tzinfo=TOKYO)
    tick = dt.timedelta(microseconds=1)
    for who, starts_at, status in (
        (helper, june - tick, "done"),  # May
        (helper, june, "confirmed"),
        (helper, july - tick, "assigned"),
        (helper, july, "assigned"),  # July
        (helper, june + dt.timedelta(days=3), "cancelled"),
        (other, june + dt.timedelta(days=3), "assigned"),
    ):
        req = HelpRequest.objects.create(
            resident=res,
            category=category("shopping"),
            district=district,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=1),
        )
        Assignment.objects.create(
            request=req,
            volunteer=who,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=1),
            status=status,
            assigned_by=coordinator,
        )
    assert month_loads([helper.pk], DAY) == {helper.pk: 2}
    assert month_loads([helper.pk, other.pk], DAY) == {helper.pk: 2, other.pk: 1}
    assert month_loads([helper.pk], dt.date(2030, 5, 31)) == {helper.pk: 1}


def test_ten_suggestions_unless_asked_for_more(coordinator, req, district):
    for n in range(11):
        volunteer(district, full_name=f"候補 {n}")
    assert len(suggest(req)) == 10
    assert len(suggest(req, limit=11)) == 11


def test_the_score_is_the_documented_weighted_sum(coordinator, district):
    """Fixed values for the default weights (continuity 30, fairness 20, same district
    15, resident preference 25, car 15): the best-placed volunteer scores them all."""
    from tests.volunteers.aid import TOKYO, category
    from volunteers.models import HelpRequest

    familiar = resident(district, gender="female", prefers_same_gender=True, prefers_familiar=True)
    plain_resident = resident(district)
    star = volunteer(
        district, skills=("escort",), home_district=district, gender="female", has_car=True
    )
    plain = volunteer(district, skills=("escort",), gender="male")

    def past(who, res, starts_at, status):
        req = HelpRequest.objects.create(
            resident=res,
            category=category("escort"),
            district=district,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=1),
        )
        Assignment.objects.create(
            request=req,
            volunteer=who,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=1),
            status=status,
            assigned_by=coordinator,
        )

    april = dt.datetime(2030, 4, 30, 10, tzinfo=TOKYO)
    past(star, familiar, april, "done")  # helped before (in April: no load in June)
    past(star, plain_resident, april + dt.timedelta(hours=2), "confirmed")
    past(plain, resident(district), april, "done")  # helped someone else
    past(star, plain_resident, at(14, day=DAY + dt.timedelta(days=1)), "assigned")  # load 1
    past(star, plain_resident, at(14, day=DAY + dt.timedelta(days=2)), "cancelled")
    past(star, plain_resident, dt.datetime(2030, 7, 1, tzinfo=TOKYO), "assigned")  # July

    req = help_request(coordinator, familiar, code="escort")
    found = suggest(req)
    assert [(s.volunteer.pk, s.profile.pk, s.score) for s in found] == [
        (star.pk, star.pk, pytest.approx(30 + 25 + 20 / 2 + 15 + 25 + 15)),
        (plain.pk, plain.pk, pytest.approx(20.0)),
    ]
    other = help_request(coordinator, plain_resident, code="escort", start=at(13), end=at(14))
    assert [s.score for s in suggest(other)] == [
        pytest.approx(30 + 20 / 2 + 15 + 15),  # no familiar or gender preference asked
        pytest.approx(20.0),
    ]


def test_suggestions_take_two_queries_with_the_volunteers_names(
    coordinator, req, district, django_assert_num_queries
):
    for n in range(3):
        volunteer(district, full_name=f"候補 {n}")
    with django_assert_num_queries(2):  # the best index rows, then their ranking
        names = [s.volunteer.full_name for s in suggest(req)]
    assert sorted(names) == ["候補 0", "候補 1", "候補 2"]


def test_equal_scores_go_to_the_older_profile_first(req, district):
    older, newer = volunteer(district), volunteer(district)
    found = suggest(req)
    assert [s.volunteer.pk for s in found] == [older.pk, newer.pk]
    assert found[0].score == found[1].score


def test_days_away_and_extra_slots_count_on_their_own_date_only(req, district):
    away_later = volunteer(district)
    availability_exception_add(
        user=away_later, actor=away_later, date=DAY + dt.timedelta(days=7), available=False
    )
    extra_in_the_afternoon = volunteer(district)
    availability_exception_add(
        user=extra_in_the_afternoon,
        actor=extra_in_the_afternoon,
        date=DAY,
        available=True,
        starts=dt.time(13),
        ends=dt.time(15),
    )
    away_but_extra = volunteer(district)  # away for the weekly slot, back for an hour
    availability_exception_add(user=away_but_extra, actor=away_but_extra, date=DAY, available=False)
    availability_exception_add(
        user=away_but_extra,
        actor=away_but_extra,
        date=DAY,
        available=True,
        starts=dt.time(10),
        ends=dt.time(11),
    )
    assert eligible(req) == {away_later.pk, extra_in_the_afternoon.pk, away_but_extra.pk}


def test_only_the_volunteers_own_overlapping_assignment_excludes(coordinator, req, res, district):
    """The window is 10:00–11:00: an assignment ending at 10:00 or starting at 11:00
    leaves the volunteer free; someone else's assignment at the same time does too."""
    free, busy_before_and_after, other = (volunteer(district) for _ in range(3))
    for start, end, who in (
        (at(9), at(10), busy_before_and_after),
        (at(11), at(12), busy_before_and_after),
        (at(10), at(11), other),
    ):
        request_assign(
            help_request=help_request(coordinator, res, start=start, end=end),
            volunteer=who,
            actor=coordinator,
        )
    assert eligible(req) == {free.pk, busy_before_and_after.pk}


def test_only_declining_this_request_excludes(coordinator, req, res, district):
    offered, declined_elsewhere, declined_here = (volunteer(district) for _ in range(3))
    request_offer(help_request=req, volunteers=[offered], actor=coordinator)  # still open
    other = help_request(coordinator, res, start=at(13), end=at(14))
    (elsewhere,) = request_offer(
        help_request=other, volunteers=[declined_elsewhere], actor=coordinator
    )
    offer_decline(offer=elsewhere, volunteer=declined_elsewhere)
    (here,) = request_offer(help_request=req, volunteers=[declined_here], actor=coordinator)
    offer_decline(offer=here, volunteer=declined_here)
    assert eligible(req) == {offered.pk, declined_elsewhere.pk}
