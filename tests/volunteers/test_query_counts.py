"""Query-count pins for the busiest writes and the home page.

Each pin is the exact number of queries today, per database (the PostgreSQL ledger path
posts in one statement, SQLite goes through the Python path), and each is taken twice:
once on a small history and once on a larger one, so a pin also proves the cost does
not grow with the data. A change that adds a query fails here and must say why.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from points.models import EarningRule
from tests.cms import support as cms_support
from tests.factories import DistrictFactory, UserFactory
from tests.volunteers.aid import at, help_request, resident, volunteer
from volunteers.models import Place
from volunteers.selectors.places import kiosk_code, place_token
from volunteers.services.activity import scan_toggle
from volunteers.services.help_requests import offer_accept, request_offer

pytestmark = pytest.mark.django_db
TOKYO = timezone.get_default_timezone()

# queries per operation, by database vendor
PINS = {
    "check_in": {"sqlite": 7, "postgresql": 7},
    "check_out": {"sqlite": 16, "postgresql": 12},
    # +2 each for the resident's consent and the volunteers' pledge (issue #19)
    "request_offer": {"sqlite": 10, "postgresql": 10},
    "offer_accept": {"sqlite": 14, "postgresql": 14},
    "home_page": {"sqlite": 13, "postgresql": 13},
}


def count(callable_, *args, **kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        callable_(*args, **kwargs)
    return len(queries)


def pin(name: str) -> int:
    return PINS[name][connection.vendor]


@pytest.fixture
def place(db):
    rule = EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    return Place.objects.create(
        name="いきいきサロン",
        kind=Place.Kind.SALON,
        earning_rule=rule,
        closes_at=dt.time(16, 0),
        presence=Place.Presence.KIOSK,  # credited at check-out (the kiosk's code is no query)
    )


def scans(user, place, day: dt.date) -> tuple[int, int]:
    """Queries of a check-in at 10:00 and a check-out at 11:30 on ``day``."""
    token = place_token(place)
    moment = dt.datetime.combine(day, dt.time(10), tzinfo=TOKYO)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        check_in = count(scan_toggle, token=token, user=user, kiosk_code=kiosk_code(place))
    with mock.patch("django.utils.timezone.now", return_value=moment + dt.timedelta(minutes=90)):
        check_out = count(scan_toggle, token=token, user=user, kiosk_code=kiosk_code(place))
    return check_in, check_out


def test_scan_check_in_and_check_out_are_pinned_and_flat(place):
    user = UserFactory(roles=["volunteer"])
    scans(user, place, dt.date(2026, 11, 1))  # the first credit opens the wallet and card
    first = scans(user, place, dt.date(2026, 11, 2))
    for day in range(3, 23):  # twenty more credited days of history
        scans(user, place, dt.date(2026, 11, day))
    later = scans(user, place, dt.date(2026, 11, 24))
    assert first == later == (pin("check_in"), pin("check_out"))


def test_request_offer_and_offer_accept_are_pinned_and_flat(coordinator):
    district = DistrictFactory()
    helpers = [volunteer(district) for _ in range(3)]
    costs = []
    for n in range(2):  # the second request comes after a whole assigned one
        req = help_request(
            coordinator, resident(district), start=at(10 + 2 * n), end=at(11 + 2 * n)
        )
        with CaptureQueriesContext(connection) as offering:
            offers = request_offer(help_request=req, volunteers=helpers, actor=coordinator)
        accept = count(offer_accept, offer=offers[n], volunteer=helpers[n])
        costs.append((len(offering), accept))
    assert costs[0] == costs[1] == (pin("request_offer"), pin("offer_accept"))


def test_home_page_is_pinned_and_flat(client):
    cms_support.home()
    association = cms_support.association("01", "緑町地域協議会")
    cms_support.event(association, cms_support.in_days(3))
    cms_support.news(association)
    client.get("/")  # the first request fills the site and locale caches
    first = count(client.get, "/")
    for n in range(10):
        cms_support.event(association, cms_support.in_days(4 + n), title=f"催し{n}")
        cms_support.news(association, title=f"お知らせ{n}")
    # Publishing clears Wagtail's cached site data; the next request refills it once.
    # Flat means every request after that costs what the first page did.
    client.get("/")
    assert first == count(client.get, "/") == pin("home_page")
