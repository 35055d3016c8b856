"""Scan requests (volunteers/services/scans.py) at the edges the mutation run found
open: host staff of two places scanning a card at the place they chose (with and
without a request id), the field a reused request id is reported on, the kiosk code
left out, a retried answer that comes with its place, and the receipts' purge exactly
at the end of their keeping time."""

from __future__ import annotations

import datetime as dt
import uuid
from unittest import mock

import pytest
from django.utils import timezone

from points.models import EarningRule
from tests.factories import UserFactory
from volunteers.exceptions import InvalidKioskCode
from volunteers.models import Activity, Place, ScanReceipt
from volunteers.selectors.places import card_token, place_token
from volunteers.services.activity import CHECK_IN_REPEAT_WINDOW
from volunteers.services.places import card_for
from volunteers.services.scans import SCAN_RECEIPT_MARGIN, scan_receipts_purge, scan_request

pytestmark = pytest.mark.django_db
TOKYO = timezone.get_default_timezone()
MORNING = dt.datetime(2026, 11, 20, 10, tzinfo=TOKYO)


def frozen(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def rule(db):
    return EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_HOUR, points=100
    )


def make_place(rule, name, presence=Place.Presence.CARD):
    return Place.objects.create(
        name=name, kind=Place.Kind.SALON, earning_rule=rule, presence=presence
    )


@pytest.mark.parametrize("with_request_id", [False, True])
def test_a_host_of_two_places_checks_a_card_in_at_the_place_chosen(
    client, volunteer, rule, with_request_id
):
    first, second = make_place(rule, "東サロン"), make_place(rule, "西サロン")
    host = UserFactory(full_name="二か所の 職員")
    first.hosts.add(host)
    second.hosts.add(host)
    body = {"token": card_token(card_for(volunteer)), "place": second.pk}
    if with_request_id:
        body["request_id"] = str(uuid.uuid4())
    client.force_login(host)
    with frozen(MORNING):
        answer = client.post("/api/v1/scans/", body, content_type="application/json")
    assert answer.status_code == 201 and answer.json()["action"] == "check_in"
    assert Activity.objects.get().place == second


def test_a_request_id_reused_with_another_code_is_reported_on_that_field(client, volunteer, rule):
    salon = make_place(rule, "サロン", Place.Presence.HOST)
    client.force_login(volunteer)
    key = str(uuid.uuid4())
    with frozen(MORNING):
        client.post(
            "/api/v1/scans/",
            {"token": place_token(salon), "request_id": key},
            content_type="application/json",
        )
        reused = client.post(
            "/api/v1/scans/",
            {"token": card_token(card_for(volunteer)), "request_id": key},
            content_type="application/json",
        )
    assert reused.status_code == 409
    assert list(reused.json()["fields"]) == ["request_id"]


@pytest.mark.parametrize("request_id", [None, uuid.uuid4()])
def test_a_kiosk_scan_without_the_code_asks_for_it(volunteer, rule, request_id):
    kiosk = make_place(rule, "キオスクのサロン", Place.Presence.KIOSK)
    with frozen(MORNING), pytest.raises(InvalidKioskCode) as excinfo:
        scan_request(token=place_token(kiosk), user=volunteer, request_id=request_id)
    assert excinfo.value.details == {"reason": "missing"}


def test_a_retried_request_is_answered_with_its_place_in_the_same_query(
    volunteer, rule, django_assert_num_queries
):
    salon = make_place(rule, "サロン", Place.Presence.HOST)
    key = uuid.uuid4()
    with frozen(MORNING):
        first = scan_request(token=place_token(salon), user=volunteer, request_id=key)
        # The retry reads the claim with its activity and place in one query: the
        # answer's page and API body show the place without asking again.
        action, activity = scan_request(token=place_token(salon), user=volunteer, request_id=key)
    assert (action, activity.pk) == (first[0], first[1].pk)
    with django_assert_num_queries(0):
        assert activity.place.name == "サロン"


def test_receipts_are_purged_exactly_when_their_keeping_time_ends(volunteer, rule):
    salon = make_place(rule, "サロン", Place.Presence.HOST)
    with frozen(MORNING):
        scan_request(token=place_token(salon), user=volunteer, request_id=uuid.uuid4())
    kept_until = MORNING + CHECK_IN_REPEAT_WINDOW + SCAN_RECEIPT_MARGIN
    assert ScanReceipt.objects.get().created_at == MORNING
    assert scan_receipts_purge(now=kept_until) == 0  # exactly at the end: still kept
    assert ScanReceipt.objects.count() == 1
    assert scan_receipts_purge(now=kept_until + dt.timedelta(microseconds=1)) == 1
    assert scan_receipts_purge(now=kept_until + dt.timedelta(microseconds=1)) == 0
    with frozen(kept_until + dt.timedelta(microseconds=1)):
        assert scan_receipts_purge() == 0
