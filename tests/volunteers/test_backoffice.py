"""Back office for the activity log: review queue, paper sign-in entry, poster reprint."""

import datetime as dt

import pytest
from django.utils import timezone

from points.models import EarningRule
from points.selectors import wallet_balance
from tests.factories import UserFactory
from tests.points.test_interfaces import signed_in_back_office
from volunteers.models import Activity, Place
from volunteers.services import activity_check_in, activity_check_out, place_token

pytestmark = pytest.mark.django_db
TOKYO = timezone.get_default_timezone()


@pytest.fixture
def place():
    rule = EarningRule.objects.create(
        activity_kind="care", name="介護施設", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    return Place.objects.create(
        name="みどりの里", kind=Place.Kind.CARE_FACILITY, earning_rule=rule, max_minutes=240
    )


@pytest.fixture
def coordinator_client(client):
    return signed_in_back_office(client, UserFactory(roles=["coordinator"]))


def test_review_queue_lists_and_approves_with_a_corrected_time(
    coordinator_client, volunteer, place
):
    start = dt.datetime(2026, 11, 2, 9, tzinfo=TOKYO)
    activity_check_in(
        volunteer=volunteer, place=place, method="self", recorded_by=volunteer, at=start
    )
    long = activity_check_out(volunteer=volunteer, place=place, at=start + dt.timedelta(hours=6))
    queue = coordinator_client.get("/admin/activities/review/").content.decode()
    assert volunteer.full_name in queue and "会場の想定より長い活動" in queue
    response = coordinator_client.post(
        f"/admin/activities/review/{long.pk}/",
        {"decision": "approve", "ended_at": "2026-11-02T12:00", "note": ""},
    )
    assert response.status_code == 302
    long.refresh_from_db()
    assert (long.status, long.duration_minutes) == ("credited", 180)
    assert wallet_balance(volunteer) == 300
    again = coordinator_client.post(f"/admin/activities/review/{long.pk}/", {"decision": "reject"})
    assert again.status_code == 200 and "確認待ちではありません" in again.content.decode()


def test_paper_sign_in_entry_validates_times(coordinator_client, volunteer, place):
    form = {
        "volunteer": volunteer.pk,
        "place": place.pk,
        "day": "2026-11-05",
        "start": "13:00",
        "end": "12:00",
    }
    refused = coordinator_client.post("/admin/activities/enter/", form)
    assert refused.status_code == 200 and Activity.objects.count() == 0
    form["end"] = "15:30"
    assert coordinator_client.post("/admin/activities/enter/", form).status_code == 302
    activity = Activity.objects.get()
    assert (activity.method, activity.status) == ("coordinator", "credited")
    assert wallet_balance(volunteer) == 200


def test_reprint_revokes_the_old_poster(coordinator_client, place):
    old = place_token(place)
    assert coordinator_client.get(f"/admin/places/{place.pk}/reprint/").status_code == 200
    response = coordinator_client.post(f"/admin/places/{place.pk}/reprint/")
    assert response.status_code == 302 and response["Location"] == f"/places/{place.pk}/poster/"
    place.refresh_from_db()
    assert place.qr_version == 2 and place_token(place) != old
    assert coordinator_client.get(f"/scan/{old}/").status_code == 400
    poster = coordinator_client.get(f"/places/{place.pk}/poster/").content.decode()
    assert f"/scan/{place_token(place)}/" in poster and old not in poster


def test_volunteers_cannot_open_the_activity_back_office(client, volunteer, place):
    client.force_login(volunteer)
    for url in (
        "/admin/activities/enter/",
        f"/admin/places/{place.pk}/reprint/",
        f"/places/{place.pk}/poster/",
    ):
        assert client.get(url).status_code == 403, url
