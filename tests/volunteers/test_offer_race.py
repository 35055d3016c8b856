"""Ten volunteers accept the same offer at once, on PostgreSQL with real parallel
connections: exactly one assignment, everyone else is told it is taken."""

from __future__ import annotations

import pytest

from tests.factories import DistrictFactory, UserFactory
from tests.points.support import run_concurrently
from tests.volunteers.aid import help_request, resident, volunteer
from volunteers.exceptions import OfferTaken
from volunteers.models import Assignment, HelpRequest, Offer
from volunteers.services.help_requests import offer_accept, request_offer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_concurrent_acceptances_make_exactly_one_assignment(postgres, reference_data):
    coordinator = UserFactory(roles=["coordinator"])
    district = DistrictFactory()
    helpers = [volunteer(district) for _ in range(10)]
    req = help_request(coordinator, resident(district))
    offers = request_offer(help_request=req, volunteers=helpers, actor=coordinator)

    outcomes = run_concurrently(
        [lambda o=o: offer_accept(offer=o, volunteer=o.volunteer) for o in offers], threads=10
    )

    won = [o for o in outcomes if isinstance(o, Assignment)]
    lost = [o for o in outcomes if isinstance(o, OfferTaken)]
    assert (len(won), len(lost)) == (1, 9), outcomes
    assert Assignment.objects.filter(request=req).count() == 1
    assert HelpRequest.objects.get(pk=req.pk).status == "assigned"
    statuses = sorted(Offer.objects.filter(request=req).values_list("status", flat=True))
    assert statuses == ["accepted"] + ["taken"] * 9


def test_one_volunteer_accepting_two_overlapping_offers_at_once_gets_one(postgres, reference_data):
    coordinator = UserFactory(roles=["coordinator"])
    district = DistrictFactory()
    helper = volunteer(district)
    offers = [
        request_offer(
            help_request=help_request(coordinator, resident(district)),
            volunteers=[helper],
            actor=coordinator,
        )[0]
        for _ in range(6)
    ]
    outcomes = run_concurrently(
        [lambda o=o: offer_accept(offer=o, volunteer=helper) for o in offers], threads=6
    )
    assert sum(isinstance(o, Assignment) for o in outcomes) == 1, outcomes
    assert Assignment.objects.filter(volunteer=helper).count() == 1


def test_a_direct_assignment_racing_acceptances_still_makes_one(postgres, reference_data):
    from volunteers.exceptions import InvalidTransition
    from volunteers.services.help_requests import request_assign

    coordinator = UserFactory(roles=["coordinator"])
    district = DistrictFactory()
    helpers = [volunteer(district) for _ in range(6)]
    req = help_request(coordinator, resident(district))
    offers = request_offer(help_request=req, volunteers=helpers[:5], actor=coordinator)
    jobs = [lambda o=o: offer_accept(offer=o, volunteer=o.volunteer) for o in offers]
    jobs.append(lambda: request_assign(help_request=req, volunteer=helpers[5], actor=coordinator))

    outcomes = run_concurrently(jobs, threads=6)

    assert sum(isinstance(o, Assignment) for o in outcomes) == 1, outcomes
    assert all(isinstance(o, Assignment | OfferTaken | InvalidTransition) for o in outcomes)
    assert Assignment.objects.filter(request=req).count() == 1


def test_a_date_skipped_while_beat_generates_never_stays_open(postgres, reference_data):
    import datetime as dt

    from tests.volunteers.aid import DAY, category
    from volunteers.models import StandingRequest
    from volunteers.services.standing import standing_requests_generate, standing_skip_add

    coordinator = UserFactory(roles=["coordinator"])
    res = resident(DistrictFactory())
    for _ in range(5):
        standing = StandingRequest.objects.create(
            resident=res,
            category=category("trash"),
            weekdays=[DAY.weekday()],
            starts=dt.time(8),
            duration_minutes=20,
            first_date=DAY,
        )
        outcomes = run_concurrently(
            [
                lambda: standing_requests_generate(today=DAY, days=0),
                lambda s=standing: standing_skip_add(standing=s, date=DAY, actor=coordinator),
            ],
            threads=2,
        )
        assert not any(isinstance(o, Exception) for o in outcomes), outcomes
        # Whichever ran first, the skipped date has no request waiting for a volunteer.
        assert not HelpRequest.objects.filter(
            standing=standing, status__in=["requested", "offered"]
        ).exists()


@pytest.mark.parametrize("first", ["acceptance", "direct assignment"])
def test_a_volunteer_accepting_while_a_coordinator_assigns_them_never_deadlocks(
    postgres, reference_data, first
):
    """Both lock the volunteer's profile before the request (volunteers.locks). The
    request lock is held a moment longer here, and the second call starts while the
    first holds it: were either to lock the request first, each would wait for the
    other's lock and PostgreSQL would abort one with a deadlock."""
    import time
    from unittest import mock

    from volunteers.exceptions import InvalidTransition
    from volunteers.services import help_requests as services

    coordinator = UserFactory(roles=["coordinator"])
    district = DistrictFactory()
    helper = volunteer(district)
    req = help_request(coordinator, resident(district))
    (offer,) = services.request_offer(help_request=req, volunteers=[helper], actor=coordinator)
    original = services.request_lock

    def request_lock_held_a_moment(pk):
        locked = original(pk)
        time.sleep(0.4)
        return locked

    def accept():
        return services.offer_accept(offer=offer, volunteer=helper)

    def assign():
        return services.request_assign(help_request=req, volunteer=helper, actor=coordinator)

    def later(job):
        time.sleep(0.15)
        return job()

    jobs = (
        [accept, lambda: later(assign)]
        if first == "acceptance"
        else [assign, lambda: later(accept)]
    )
    with mock.patch.object(services, "request_lock", request_lock_held_a_moment):
        outcomes = run_concurrently(jobs, threads=2)

    assert all(isinstance(o, Assignment | InvalidTransition) for o in outcomes), outcomes
    (made,) = Assignment.objects.filter(request=req)
    assert made.volunteer == helper
    assert Offer.objects.get(pk=offer.pk).status == "accepted"
