"""Back office for the activity log: review queue, paper sign-in entry, poster reprint."""

import datetime as dt

import pytest
from django.utils import timezone

from points.models import EarningRule
from points.selectors import wallet_balance
from tests.factories import UserFactory
from tests.points.test_interfaces import signed_in_back_office
from volunteers.exceptions import InvalidScan
from volunteers.models import Activity, Place
from volunteers.selectors.places import card_token, place_token, scan_resolve
from volunteers.services.activity import activity_check_in, activity_check_out
from volunteers.services.places import card_for

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


def test_approving_with_a_future_end_time_is_a_field_error(coordinator_client, volunteer, place):
    start = dt.datetime(2026, 11, 2, 9, tzinfo=TOKYO)
    activity_check_in(
        volunteer=volunteer, place=place, method="self", recorded_by=volunteer, at=start
    )
    long = activity_check_out(volunteer=volunteer, place=place, at=start + dt.timedelta(hours=6))
    for ended_at in ("9999-12-31T23:59", "0001-01-01T00:00", "2026-11-02T20:00"):
        response = coordinator_client.post(
            f"/admin/activities/review/{long.pk}/",
            {"decision": "approve", "ended_at": ended_at, "note": ""},
        )
        assert response.status_code == 200, ended_at
        assert response.context["form"].errors["ended_at"], ended_at
    long.refresh_from_db()
    assert long.status == "review" and wallet_balance(volunteer) == 0


@pytest.mark.parametrize("day", ["0001-02-01", "1999-12-31", "2999-01-01"])
def test_paper_entry_refuses_implausible_dates(coordinator_client, volunteer, place, day):
    form = {"volunteer": volunteer.pk, "place": place.pk, "day": day}
    response = coordinator_client.post(
        "/admin/activities/enter/", {**form, "start": "10:00", "end": "11:00"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["day"]
    assert Activity.objects.count() == 0


def test_coordinators_print_and_reissue_a_volunteers_card(coordinator_client, volunteer, place):
    old = card_token(card_for(volunteer))
    page = coordinator_client.get(f"/admin/aid/volunteers/{volunteer.pk}/").content.decode()
    assert f"/admin/aid/volunteers/{volunteer.pk}/card/" in page
    assert f"/admin/aid/volunteers/{volunteer.pk}/card/reissue/" in page
    printed = coordinator_client.get(f"/admin/aid/volunteers/{volunteer.pk}/card/")
    assert printed.status_code == 200
    html = printed.content.decode()
    assert f"No.{volunteer.pk}-1" in html and volunteer.get_full_name() in html
    assert 'class="id-card-qr"><svg' in html
    confirm = coordinator_client.get(f"/admin/aid/volunteers/{volunteer.pk}/card/reissue/")
    assert confirm.status_code == 200 and card_for(volunteer).version == 1  # GET changes nothing
    response = coordinator_client.post(f"/admin/aid/volunteers/{volunteer.pk}/card/reissue/")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/aid/volunteers/{volunteer.pk}/card/"
    new = card_token(card_for(volunteer))
    assert new != old and card_for(volunteer).version == 2
    reprinted = coordinator_client.get(response["Location"]).content.decode()
    assert f"No.{volunteer.pk}-2" in reprinted and f"No.{volunteer.pk}-1" not in reprinted
    with pytest.raises(InvalidScan) as excinfo:
        scan_resolve(old)
    assert excinfo.value.reason == "revoked"


def test_only_coordinators_print_or_reissue_cards(client, volunteer, place):
    host = UserFactory()
    place.hosts.add(host)
    for user in (volunteer, host, UserFactory(roles=["shop_staff"])):
        client.force_login(user)
        for url in (
            f"/admin/aid/volunteers/{volunteer.pk}/card/",
            f"/admin/aid/volunteers/{volunteer.pk}/card/reissue/",
        ):
            assert client.get(url).status_code in (302, 403), (user, url)
            assert client.post(url).status_code in (302, 403), (user, url)
    assert card_for(volunteer).version == 1


def test_only_volunteers_get_cards_in_the_back_office(coordinator_client):
    resident = UserFactory(roles=["resident"])
    assert coordinator_client.get(f"/admin/aid/volunteers/{resident.pk}/card/").status_code == 404
    url = f"/admin/aid/volunteers/{resident.pk}/card/reissue/"
    assert coordinator_client.post(url).status_code == 404
