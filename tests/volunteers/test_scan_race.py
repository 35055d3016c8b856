"""Scans raced through the real API on PostgreSQL: one client (own session, own
connection) per phone tap."""

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from points.models import EarningRule, Transaction
from points.selectors import wallet_balance
from tests.factories import UserFactory
from tests.points.support import run_concurrently
from volunteers.models import Activity, Place, ScanReceipt
from volunteers.selectors.places import kiosk_code, place_token
from volunteers.services.activity import activity_check_in


def salon(presence=Place.Presence.KIOSK):
    rule = EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    return Place.objects.create(
        name="いきいきサロン", kind=Place.Kind.SALON, earning_rule=rule, presence=presence
    )


def clients_for(user, count):
    clients = []
    for _ in range(count):
        client = APIClient()
        client.force_login(user)
        clients.append(client)
    return clients


def scan_jobs(clients, body):
    return [lambda c=c: c.post("/api/v1/scans/", body, format="json") for c in clients]


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_check_out_scans_credit_once(postgres, reference_data, volunteer):
    place = salon()
    activity_check_in(
        volunteer=volunteer,
        place=place,
        method="self",
        recorded_by=volunteer,
        at=timezone.now() - dt.timedelta(hours=2, minutes=5),
    )
    body = {"token": place_token(place), "kiosk_code": kiosk_code(place)}
    responses = run_concurrently(scan_jobs(clients_for(volunteer, 10), body), threads=10)
    assert [getattr(r, "status_code", r) for r in responses] == [200] * 10
    bodies = [r.json() for r in responses]
    assert {b["action"] for b in bodies} == {"check_out"}
    assert {b["activity"]["id"] for b in bodies} == {Activity.objects.get().pk}
    assert {b["activity"]["points"] for b in bodies} == {200}
    assert Transaction.objects.count() == 1 and wallet_balance(volunteer) == 200
    assert Activity.objects.count() == 1  # no scan checked in again
    call_command("points_audit")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_request", [False, True], ids=["taps", "retries"])
def test_twenty_parallel_check_in_scans_leave_one_open_check_in(
    postgres, reference_data, volunteer, same_request
):
    """Twenty taps (or twenty retries of one request) at once: every answer is the
    same check-in (201), one open activity, no check-out, nothing credited."""
    place = salon(Place.Presence.HOST)
    body = {"token": place_token(place)}
    if same_request:
        body["request_id"] = str(uuid.uuid4())
    backends: set[int] = set()
    responses = run_concurrently(
        scan_jobs(clients_for(volunteer, 20), body), threads=20, backends=backends
    )
    assert len(backends) == 20
    assert [getattr(r, "status_code", r) for r in responses] == [201] * 20
    activity = Activity.objects.get()
    assert activity.status == "open" and activity.ended_at is None
    assert {r.json()["action"] for r in responses} == {"check_in"}
    assert {r.json()["activity"]["id"] for r in responses} == {activity.pk}
    assert not Transaction.objects.exists()
    assert ScanReceipt.objects.count() == (1 if same_request else 0)


@pytest.mark.django_db(transaction=True)
def test_two_hosts_confirming_at_once_credit_once(postgres, reference_data, volunteer):
    place = salon(Place.Presence.HOST)
    hosts = [UserFactory(), UserFactory()]
    place.hosts.add(*hosts)
    activity = activity_check_in(
        volunteer=volunteer,
        place=place,
        method="self",
        recorded_by=volunteer,
        at=timezone.now() - dt.timedelta(hours=2, minutes=5),
    )
    (volunteer_client,) = clients_for(volunteer, 1)
    out = volunteer_client.post("/api/v1/scans/", {"token": place_token(place)}, format="json")
    assert out.json()["activity"]["status"] == "awaiting"
    clients = [c for host in hosts for c in clients_for(host, 5)]
    url = f"/places/{place.pk}/checkins/"
    jobs = [
        lambda c=c: c.post(url, {"confirm": "selected", "activity": [activity.pk]}) for c in clients
    ]
    responses = run_concurrently(jobs, threads=10)
    assert [getattr(r, "status_code", r) for r in responses] == [302] * 10
    activity.refresh_from_db()
    assert activity.status == "credited" and activity.presence_confirmed_by in hosts
    assert Transaction.objects.count() == 1 and wallet_balance(volunteer) == 200
    call_command("points_audit")
