"""Volunteer pages (/me/) and the API (/api/v1/offers/, /api/v1/assignments/) agree:
an offer never shows the resident; details only while the assignment is live, each
look logged; each volunteer sees only their own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import DistrictFactory, UserFactory
from tests.volunteers.aid import category, help_request, resident, volunteer
from volunteers.models import Assignment, HelpRequest, ResidentAccessLog, VolunteerProfile
from volunteers.services.help_requests import assignment_confirm, offer_decline, request_offer

pytestmark = pytest.mark.django_db


NOTES = "鍵は植木鉢の下"  # the request's notes for the volunteer
PRIVATE = "長男と連絡が取りにくい"  # the resident's notes, for coordinators only


@pytest.fixture
def setting(coordinator):
    district = DistrictFactory()
    res = resident(district, full_name="小林 トメ", address="緑町3-2-1", notes=PRIVATE)
    helper, other = volunteer(district), volunteer(district)
    req = help_request(coordinator, res, notes=NOTES)
    offers = request_offer(help_request=req, volunteers=[helper, other], actor=coordinator)
    return res, req, helper, other, offers


def due_now(pk: int) -> None:
    """Move an assignment's window to now, so its volunteer may start it (a volunteer
    starts only from an hour before the planned time until its end)."""
    now = timezone.now()
    Assignment.objects.filter(pk=pk).update(
        starts_at=now - dt.timedelta(minutes=5), ends_at=now + dt.timedelta(minutes=55)
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_offers_show_district_task_and_time_only(setting):
    res, req, helper, _, offers = setting
    client = signed_in(helper)
    page = client.get("/me/offers/").content.decode()
    body = client.get("/api/v1/offers/").json()
    assert req.district.name in page and req.category.name in page
    assert res.full_name not in page and res.address not in page
    (item,) = body["results"]
    assert item["district"] == req.district.name and item["task"] == req.category.name
    assert res.full_name not in str(body) and res.address not in str(body)
    assert set(item) == {"id", "status", "task", "district", "starts_at", "ends_at", "created_at"}


def assert_resident_hidden(client, pk: int, res) -> None:
    """Neither the page nor the API shows the resident's name, address, phone or
    notes for assignment ``pk``."""
    page = client.get(f"/me/assignments/{pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    body = client.get(f"/api/v1/assignments/{pk}/").json()
    assert (body["resident"], body["notes"], body["place"]) == (None, None, None)
    listing = str(client.get("/api/v1/assignments/").json())
    for secret in (res.full_name, res.address, "1234-5678", "12345678", NOTES, PRIVATE):
        assert secret not in html and secret not in str(body) and secret not in listing, secret


def test_accept_on_the_api_then_details_until_finished(setting, coordinator):
    res, req, helper, other, offers = setting
    api = signed_in(helper)
    accepted = api.post(f"/api/v1/offers/{offers[0].pk}/accept/")
    assert accepted.status_code == 200
    assert accepted.json()["resident"]["full_name"] == res.full_name
    pk = accepted.json()["id"]

    taken = signed_in(other).post(f"/api/v1/offers/{offers[1].pk}/accept/")
    assert (taken.status_code, taken.json()["code"]) == (409, "offer_taken")

    page = api.get(f"/me/assignments/{pk}/").content.decode()
    assert res.full_name in page and res.address in page
    assert "03-1234-5678" in page and NOTES in page and PRIVATE not in page
    live = api.get(f"/api/v1/assignments/{pk}/").json()
    assert live["resident"]["address"] == res.address and live["notes"] == NOTES
    assert live["resident"]["phone"] == "03-1234-5678" and PRIVATE not in str(live)
    assert signed_in(other).get(f"/api/v1/assignments/{pk}/").status_code == 404
    assert signed_in(other).get(f"/me/assignments/{pk}/").status_code == 404
    assert ResidentAccessLog.objects.filter(user=helper).count() == 3  # api accept, page, api

    listing = api.get("/api/v1/assignments/").json()["results"]
    assert [a["resident"] for a in listing] == [None]

    due_now(pk)
    assert api.post(f"/api/v1/assignments/{pk}/start/").json()["status"] == "in_progress"
    finished = api.post(f"/api/v1/assignments/{pk}/finish/").json()
    assert finished["status"] == "done" and finished["resident"] is None
    assert finished["notes"] is None
    assert_resident_hidden(api, pk, res)
    assert ResidentAccessLog.objects.filter(user=helper).count() == 4  # the start's answer

    again = api.post(f"/api/v1/assignments/{pk}/finish/")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    done = assignment_confirm(
        assignment=Assignment.objects.get(pk=pk),
        actor=coordinator,
        cash_received_yen=600,
        cash_note="端数",
    )
    assert HelpRequest.objects.get(pk=req.pk).status == "confirmed" and done.fee_yen is not None
    assert_resident_hidden(api, pk, res)
    assert ResidentAccessLog.objects.filter(user=helper).count() == 4


@pytest.mark.parametrize("ending", ["cancelled", "no_show", "confirmed"])
def test_the_resident_is_hidden_once_the_assignment_has_ended(setting, coordinator, ending):
    from volunteers.services.help_requests import (
        assignment_finish,
        assignment_no_show,
        assignment_start,
        request_cancel,
    )

    res, req, helper, _, offers = setting
    client = signed_in(helper)
    pk = client.post(f"/me/offers/{offers[0].pk}/accept/").url.split("/")[-2]
    assert res.address in client.get(f"/me/assignments/{pk}/").content.decode()
    assignment = Assignment.objects.get(pk=pk)
    if ending == "cancelled":
        request_cancel(help_request=req, actor=coordinator, reason="入院のため")
    elif ending == "no_show":
        assignment_no_show(assignment=assignment, actor=coordinator)
    else:
        assignment_start(assignment=assignment, actor=coordinator)
        assignment_finish(assignment=assignment, actor=coordinator)
        assignment_confirm(
            assignment=assignment, actor=coordinator, cash_received_yen=300, cash_note="端数"
        )
    assert Assignment.objects.get(pk=pk).status == ending
    logged = ResidentAccessLog.objects.filter(user=helper).count()
    assert_resident_hidden(client, int(pk), res)
    assert ResidentAccessLog.objects.filter(user=helper).count() == logged  # nothing opened


def test_pages_accept_start_and_finish(setting):
    res, req, helper, _, offers = setting
    client = signed_in(helper)
    response = client.post(f"/me/offers/{offers[0].pk}/accept/")
    assignment = Assignment.objects.get(request=req)
    assert response.url == f"/me/assignments/{assignment.pk}/"
    due_now(assignment.pk)
    client.post(f"/me/assignments/{assignment.pk}/start/")
    client.post(f"/me/assignments/{assignment.pk}/finish/")
    assignment.refresh_from_db()
    assert assignment.status == "done"
    assert client.get("/me/offers/nonsense/").status_code == 404


def test_only_volunteers_use_the_api(setting):
    outsider = UserFactory()
    assert signed_in(outsider).get("/api/v1/offers/").status_code == 403
    assert Client().get("/api/v1/assignments/").status_code in (401, 403)


def test_profile_page_saves_skills_districts_and_weekly_slots():
    district = DistrictFactory()
    user = UserFactory(roles=["volunteer"])
    client = signed_in(user)
    assert client.get("/me/profile/").status_code == 200
    bad = client.post("/me/profile/", {"day1_starts": "12:00", "day1_ends": "10:00"})
    assert bad.status_code == 400
    response = client.post(
        "/me/profile/",
        {
            "skills": [str(category("shopping").pk)],
            "districts": [str(district.pk)],
            "day1_starts": "09:00",
            "day1_ends": "12:00",
            "has_car": "on",
        },
    )
    assert response.status_code == 302
    profile = VolunteerProfile.objects.get(user=user)
    assert profile.has_car and [(w.weekday, w.starts.hour) for w in profile.weekly.all()] == [
        (1, 9)
    ]


def test_a_day_away_from_the_profile_page_leaves_the_volunteer_out(coordinator):
    district = DistrictFactory()
    helper = volunteer(district)
    req = help_request(coordinator, resident(district))
    client = signed_in(helper)
    assert client.post("/me/profile/away/", {"date": "2000-01-01"}).status_code == 302
    assert not helper.volunteer_profile.exceptions.exists()  # a past day is refused
    client.post("/me/profile/away/", {"date": req.starts_at.date().isoformat()})
    client.post("/me/profile/away/", {"date": req.starts_at.date().isoformat()})  # twice
    assert client.get("/me/profile/").content.decode().count("2030年6月4日") == 1
    from volunteers.selectors.profiles import eligible_volunteers

    assert not eligible_volunteers(req).exists()


def test_a_day_away_can_be_taken_back_from_the_profile_page(coordinator):
    from volunteers.selectors.profiles import eligible_volunteers

    district = DistrictFactory()
    helper, other = volunteer(district), volunteer(district)
    req = help_request(coordinator, resident(district))
    client = signed_in(helper)
    client.post("/me/profile/away/", {"date": req.starts_at.date().isoformat()})
    (mark,) = helper.volunteer_profile.exceptions.all()
    remove = f"/me/profile/away/{mark.pk}/remove/"
    assert f'action="{remove}"' in client.get("/me/profile/").content.decode()
    assert set(eligible_volunteers(req).values_list("user_id", flat=True)) == {other.pk}

    assert client.get(remove).status_code == 405
    assert signed_in(other).post(remove).status_code == 302  # not theirs: nothing happens
    assert helper.volunteer_profile.exceptions.exists()
    assert client.post(remove).url == "/me/profile/"
    assert not helper.volunteer_profile.exceptions.exists()
    assert set(eligible_volunteers(req).values_list("user_id", flat=True)) == {
        helper.pk,
        other.pk,
    }
    assert "2030年6月4日" not in client.get("/me/profile/").content.decode()
    assert client.post(remove).url == "/me/profile/"  # a second tap is harmless


ME_PAGES = [
    "/me/",
    "/me/offers/",
    "/me/assignments/",
    "/me/profile/",
    "/me/points/",
    "/me/vouchers/",
    "/me/activity/",
    "/me/card/",
    "/me/proposals/",
]


@pytest.mark.parametrize("url", [u for u in ME_PAGES if u != "/me/proposals/"])
def test_every_me_page_links_to_the_others(url):
    page = signed_in(UserFactory(roles=["volunteer"])).get(url).content.decode()
    for link in ME_PAGES:
        assert f'href="{link}"' in page, (url, link)
    assert f'href="{url}" aria-current="page"' in page


def test_the_home_page_counts_open_offers_and_upcoming_assignments(setting, coordinator):
    import re

    from tests.volunteers.aid import at
    from volunteers.services.help_requests import (
        assignment_finish,
        assignment_start,
        request_assign,
    )

    res, req, helper, _, offers = setting
    assert Client().get("/me/").url.startswith("/accounts/login/")  # not Wagtail's 404
    client = signed_in(helper)

    def figures():
        page = client.get("/me/").content.decode()
        return re.findall(
            r'data-testid="(?:open-offers|upcoming-assignments)">([^<]*)</p>', page
        ), page

    assert figures()[0] == ["回答待ちの依頼が1件あります。", "これからの活動はありません。"]
    later = help_request(coordinator, res, start=at(14), end=at(15))
    sooner = help_request(coordinator, res, start=at(12), end=at(13))
    ended = help_request(coordinator, res, start=at(15), end=at(16))
    for each in (later, sooner, ended):
        request_assign(help_request=each, volunteer=helper, actor=coordinator)
    done = Assignment.objects.get(request=ended)
    assignment_start(assignment=done, actor=helper, at=at(15))
    assignment_finish(assignment=done, actor=helper, at=at(16))
    offer_decline(offer=offers[0], volunteer=helper)
    shown, page = figures()
    assert shown == ["回答待ちの依頼はありません。", "これからの活動が2件あります。"]
    assert f'href="/me/assignments/{Assignment.objects.get(request=sooner).pk}/"' in page
    assert res.full_name not in page and res.address not in page
