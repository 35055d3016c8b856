"""The same check-out scanned ten times at once, through the real API (PostgreSQL)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from points.models import EarningRule, Transaction
from points.selectors import wallet_balance
from tests.points.support import run_concurrently
from volunteers.models import Activity, Place
from volunteers.selectors.places import place_token
from volunteers.services.activity import activity_check_in


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_check_out_scans_credit_once(postgres, reference_data, volunteer):
    rule = EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    place = Place.objects.create(name="いきいきサロン", kind=Place.Kind.SALON, earning_rule=rule)
    activity_check_in(
        volunteer=volunteer,
        place=place,
        method="self",
        recorded_by=volunteer,
        at=timezone.now() - dt.timedelta(hours=2, minutes=5),
    )
    token = place_token(place)
    clients = []
    for _ in range(10):  # one client (own session, own connection) per phone tap
        client = APIClient()
        client.force_login(volunteer)
        clients.append(client)

    def scan(client):
        return lambda: client.post("/api/v1/scans/", {"token": token}, format="json")

    responses = run_concurrently([scan(client) for client in clients], threads=10)
    assert [getattr(r, "status_code", r) for r in responses] == [200] * 10
    bodies = [r.json() for r in responses]
    assert {b["action"] for b in bodies} == {"check_out"}
    assert {b["activity"]["id"] for b in bodies} == {Activity.objects.get().pk}
    assert {b["activity"]["points"] for b in bodies} == {200}
    assert Transaction.objects.count() == 1 and wallet_balance(volunteer) == 200
    assert Activity.objects.count() == 1  # no scan checked in again
    call_command("points_audit")
