"""Suggestions ranked from the best-placed matching-index rows (issue #18) are the
same list as ranking every eligible volunteer: same volunteers, same order (ties to
the older profile), same scores and reasons, on generated volunteers with many ties."""

from __future__ import annotations

import datetime as dt
import random
from fractions import Fraction

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation

from tests.factories import DistrictFactory, UserFactory
from tests.volunteers.aid import DAY, TOKYO, at, category, help_request, resident, volunteer
from volunteers.models import Assignment, HelpRequest, MatchingSlot
from volunteers.selectors import profiles
from volunteers.selectors.profiles import (
    eligible_volunteers,
    month_loads,
    ranked_volunteers,
    suggest,
)
from volunteers.services.help_requests import offer_decline, request_offer
from volunteers.services.profiles import availability_exception_add, matching_slots_rebuild

pytestmark = pytest.mark.django_db

EQUAL = {
    "continuity": 10,
    "fairness": 10,
    "same_district": 10,
    "resident_preference": 10,
    "car": 10,
}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _past(who, res, starts_at, status, coordinator, code="shopping"):
    req = HelpRequest.objects.create(
        resident=res,
        category=category(code),
        district=res.district,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=30),
    )
    Assignment.objects.create(
        request=req,
        volunteer=who,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=30),
        status=status,
        assigned_by=coordinator,
    )


def _city(seed: int, coordinator, size: int = 48):
    """``size`` volunteers serving one district, drawn from few values so that many
    tie: home here, elsewhere or none; gender; car; 0–3 assignments this month; some
    who helped the resident before, some busy at the time, away, declined, or not
    insured. Returns the district, the resident and the requests to rank."""
    rng = random.Random(seed)
    district, elsewhere = DistrictFactory(), DistrictFactory()
    res = resident(district, gender="female", prefers_same_gender=True, prefers_familiar=True)
    plain = resident(district, gender="male")
    shopping = help_request(coordinator, res)
    escort = help_request(coordinator, plain, code="escort")
    for _ in range(size):
        user = volunteer(
            district,
            skills=("shopping", "escort"),
            home_district=rng.choice([district, district, elsewhere, None]),
            gender=rng.choice(["female", "female", "male", ""]),
            has_car=rng.random() < 0.4,
            insurance=rng.choice([dt.date(2031, 3, 31)] * 9 + [dt.date(2030, 1, 1)]),
        )
        for n in range(rng.choice([0, 0, 0, 1, 1, 2, 3])):
            _past(
                user,
                plain,
                at(8, 30 if n else 0, day=DAY + dt.timedelta(days=1 + n)),
                rng.choice(["assigned", "confirmed", "done", "cancelled"]),
                coordinator,
            )
        if rng.random() < 0.2:  # helped the resident before (or only tried to)
            when = dt.datetime(2030, 4, 2, 10, tzinfo=TOKYO) + dt.timedelta(days=rng.randrange(20))
            _past(
                user, rng.choice([res, plain]), when, rng.choice(["done", "confirmed"]), coordinator
            )
        draw = rng.random()
        if draw < 0.08:  # busy at the time
            _past(user, plain, at(10, 15), "assigned", coordinator)
        elif draw < 0.14:
            availability_exception_add(user=user, actor=user, date=DAY, available=False)
        elif draw < 0.18:
            for req in (shopping, escort):
                (offer,) = request_offer(help_request=req, volunteers=[user], actor=coordinator)
                offer_decline(offer=offer, volunteer=user)
    return [shopping, escort]


def reference(req, limit):
    """``suggest`` as it was: rank every eligible volunteer in SQL, then this month's
    loads of the ``limit`` found."""

    def top(help_request, limit):
        found = list(ranked_volunteers(help_request)[:limit])
        loads = month_loads([p.pk for p in found], DAY)
        for profile in found:
            profile.load = loads.get(profile.pk, 0)
        return found

    saved = profiles._top
    profiles._top = top
    try:
        return suggest(req, limit=limit)
    finally:
        profiles._top = saved


def by_hand(req) -> list[tuple[int, Fraction]]:
    """Every eligible volunteer's score as the documented weighted sum, in exact
    fractions (the database may add in binary or in decimal floating point, but the
    order of exact values is the order), best first, ties to the lower pk."""
    weights = settings.MATCHING_WEIGHTS
    res = req.resident
    helped = set(
        Assignment.objects.filter(
            request__resident=res, status__in=["done", "confirmed"]
        ).values_list("volunteer_id", flat=True)
    )
    eligible = list(eligible_volunteers(req))
    loads = month_loads([p.pk for p in eligible], DAY)
    continuity = weights["continuity"] + (
        weights["resident_preference"] if res.prefers_familiar else 0
    )
    scores = []
    for p in eligible:
        gender = res.prefers_same_gender and res.gender and p.gender == res.gender
        car = req.category.prefers_car and p.has_car
        score = (
            (p.pk in helped) * continuity
            + Fraction(weights["fairness"], loads.get(p.pk, 0) + 1)
            + (p.home_district_id == req.district_id) * weights["same_district"]
            + bool(gender) * weights["resident_preference"]
            + bool(car) * weights["car"]
        )
        scores.append((p.pk, score))
    return sorted(scores, key=lambda s: (-s[1], s[0]))


def listed(found):
    return [(s.volunteer.pk, s.profile.pk, s.score, s.reasons) for s in found]


def _compare(requests):
    for req in requests:
        everyone = by_hand(req)
        assert len(everyone) > 20  # enough candidates for early stops to matter
        for limit in (1, 2, 3, 5, 10, 25, len(everyone), len(everyone) + 5):
            found = suggest(req, limit=limit)
            assert listed(found) == listed(reference(req, limit))
            assert [s.volunteer.pk for s in found] == [pk for pk, _ in everyone[:limit]]
            assert [s.score for s in found] == [
                pytest.approx(float(x)) for _, x in everyone[:limit]
            ]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_same_list_as_ranking_everyone(coordinator, seed):
    _compare(_city(seed, coordinator))


@override_settings(MATCHING_WEIGHTS=EQUAL)
def test_the_same_list_when_every_weight_is_equal(coordinator):
    _compare(_city(3, coordinator))


@pytest.mark.parametrize(
    "weights",
    [
        pytest.param(dict(EQUAL, fairness=0), id="no-fairness"),
        pytest.param(dict(EQUAL, fairness=-10, car=-5), id="negative"),
    ],
)
def test_the_same_list_with_unusual_weights(coordinator, weights):
    with override_settings(MATCHING_WEIGHTS=weights):
        _compare(_city(4, coordinator, size=30))


def test_index_rows_copy_what_the_ranking_weighs(coordinator):
    """``home``, ``gender`` and ``has_car`` on each row follow the profile."""
    here, there = DistrictFactory(), DistrictFactory()
    user = volunteer(here, home_district=here, gender="female", has_car=True)
    assert set(MatchingSlot.objects.values_list("district", "home", "gender", "has_car")) == {
        (here.pk, True, "female", True)
    }
    profile = user.volunteer_profile
    profile.districts.add(there)
    matching_slots_rebuild(profile_ids=[profile.pk])
    assert set(MatchingSlot.objects.values_list("district", "home", "gender", "has_car")) == {
        (here.pk, True, "female", True),
        (there.pk, False, "female", True),
    }
    volunteer(there, gender="male")  # no home district
    assert MatchingSlot.objects.filter(gender="male").get().home is False


def test_no_suggestion_asked_none_given(coordinator):
    res = resident(DistrictFactory())
    req = help_request(coordinator, res)
    volunteer(res.district)
    assert suggest(req, limit=0) == []
    assert len(suggest(req, limit=1)) == 1


def test_a_later_pass_finds_an_older_volunteer_on_an_equal_score(
    coordinator, django_assert_num_queries
):
    """The first pass (four rows for one suggestion) ranks the same-gender volunteer
    (bound 25, one assignment: 25 + 10) and three local ones (bound 15, one
    assignment each: 15 + 10). A local volunteer not yet ranked could still score
    15 + 20 = 35, the same, and is older: so a second pass, which finds her."""
    district = DistrictFactory()
    res = resident(district, gender="female", prefers_same_gender=True)
    req = help_request(coordinator, res)
    busy = [volunteer(district, home_district=district, gender="male") for _ in range(11)]
    free = volunteer(district, home_district=district, gender="male")
    woman = volunteer(district, gender="female")
    for who in [*busy, woman]:
        _past(who, res, at(14, day=DAY + dt.timedelta(days=1)), "assigned", coordinator)
    with django_assert_num_queries(4):  # two passes of two queries
        (first,) = suggest(req, limit=1)
    assert (first.volunteer.pk, first.score) == (free.pk, 35.0)
    assert [s.volunteer.pk for s in suggest(req, limit=2)] == [free.pk, woman.pk]


@pytest.mark.parametrize("fairness", [20, 0])
def test_one_pass_when_the_last_found_cannot_be_beaten(
    coordinator, django_assert_num_queries, fairness
):
    """Three volunteers not insured, then two alike: the first pass takes four index
    rows, and the fourth scores the most anyone can (bound + fairness) and is older
    than everyone not ranked yet, so the first pass is enough."""
    district = DistrictFactory()
    req = help_request(coordinator, resident(district))
    for _ in range(3):
        volunteer(district, insurance=dt.date(2030, 1, 1))
    alike = [volunteer(district) for _ in range(2)]
    weights = dict(EQUAL, fairness=fairness)
    with override_settings(MATCHING_WEIGHTS=weights), django_assert_num_queries(2):
        (first,) = suggest(req, limit=1)
    assert (first.volunteer.pk, first.score) == (alike[0].pk, float(fairness))


def test_rows_of_equal_bound_are_taken_oldest_volunteer_first(coordinator):
    """Four older volunteers available from 10:00 and four newer ones from 9:00, all
    alike: the index lists the 9:00 slots first, but the first pass must take the
    four oldest (the stop rule assumes everyone not taken is younger)."""
    district = DistrictFactory()
    req = help_request(coordinator, resident(district))
    older = [volunteer(district, weekly=((1, dt.time(10), dt.time(12)),)) for _ in range(4)]
    for _ in range(4):
        volunteer(district, weekly=((1, dt.time(9), dt.time(12)),))
    (first,) = suggest(req, limit=1)
    assert first.volunteer.pk == older[0].pk


def test_more_suggestions_than_a_pass_takes_rank_everyone_at_once(
    coordinator, django_assert_num_queries
):
    """Asked for 1,250 (a first pass of 5,000 rows, the widest): one query ranks
    every candidate."""
    district = DistrictFactory()
    req = help_request(coordinator, resident(district))
    helpers = [volunteer(district) for _ in range(2)]
    with django_assert_num_queries(1):
        found = suggest(req, limit=1250)
    assert [s.volunteer.pk for s in found] == [h.pk for h in helpers]
    with django_assert_num_queries(2):
        assert len(suggest(req, limit=1249)) == 2


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_what_the_ranking_weighs_onto_existing_rows(reference_data):
    """(``reference_data``: an earlier transactional test's flush may have emptied the
    help categories the migrations made.) Whatever happens, the database ends fully
    migrated again: a test left at 0014 would break every test after it."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("volunteers", "0014_insurance_and_training")]
    after = [("volunteers", "0015_matching_slot_preferences")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        here, there = DistrictFactory(), DistrictFactory()  # accounts' tables: current
        shopping = old.get_model("volunteers", "HelpCategory").objects.get(code="shopping")
        profile = old.get_model("volunteers", "VolunteerProfile").objects.create(
            user_id=UserFactory().pk, home_district_id=here.pk, gender="male", has_car=True
        )
        for district in (here, there):
            old.get_model("volunteers", "MatchingSlot").objects.create(
                profile_id=profile.pk,
                district_id=district.pk,
                category_id=shopping.pk,
                day_key=1,
                starts=dt.time(9),
                ends=dt.time(12),
            )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert set(MatchingSlot.objects.values_list("district_id", "home", "gender", "has_car")) == {
        (here.pk, True, "male", True),
        (there.pk, False, "male", True),
    }
