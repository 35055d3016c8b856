"""Applicant -> volunteer in one step (issue #14, item 5): the coordinator's approval
in the back office carries the application into the account and the volunteer
profile, puts the volunteer in the coordinators' lists and matching at once, and
emails them (once, in Japanese) how to sign in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import User
from cms.models import VolunteerApplication
from cms.tasks import send_volunteer_welcome
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import category, resident, volunteer
from volunteers.models import HelpRequest, VolunteerProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client):
    coordinator = UserFactory(
        roles=["coordinator"], full_name="調整 花子", full_name_kana="チョウセイ ハナコ"
    )
    return signed_in_back_office(client, coordinator)


def application(district, **fields) -> VolunteerApplication:
    data = {
        "full_name": "山田 太郎",
        "full_name_kana": "ヤマダ タロウ",
        "email": "taro@example.jp",
        "phone": "090-1234-5678",
        "district": district,
        "message": "買い物の付き添いができます",
    }
    data.update(fields)
    return VolunteerApplication.objects.create(**data)


def approve(desk, app, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return desk.post(f"/admin/volunteer-applications/{app.pk}/decide/", {"decision": "approve"})


def today_at(hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour)))


def open_request(district) -> HelpRequest:
    return HelpRequest.objects.create(
        resident=resident(district),
        category=category(),
        district=district,
        starts_at=today_at(10),
        ends_at=today_at(11),
    )


def test_approval_carries_the_application_into_account_profile_and_lists(
    desk, django_capture_on_commit_callbacks
):
    district = DistrictFactory(name="緑小学校区")
    app = application(district)
    response = approve(desk, app, django_capture_on_commit_callbacks)

    user = User.objects.get(email="taro@example.jp")
    # The coordinator lands on the new volunteer's page to complete the profile.
    assert response.status_code == 302 and response.url == f"/admin/aid/volunteers/{user.pk}/"
    assert (user.full_name, user.full_name_kana) == ("山田 太郎", "ヤマダ タロウ")
    assert user.phone.as_e164 == "+819012345678"
    profile = VolunteerProfile.objects.get(user=user)
    assert profile.home_district == district
    assert list(profile.districts.all()) == [district]
    # In the coordinators' volunteer list at once, found by name.
    listing = desk.get("/admin/aid_volunteers/", {"q": "山田"}).content.decode()
    assert "山田 太郎" in listing

    # The volunteer's page shows the district carried over; the coordinator adds
    # skills, a weekly slot and the insurance, and matching suggests them.
    page = desk.get(response.url)
    assert page.context["form"].initial["districts"] == [district]
    weekday = timezone.localdate().weekday()
    saved = desk.post(
        response.url,
        {
            "skills": [category().pk],
            "districts": [district.pk],
            "home_district": district.pk,
            f"day{weekday}_starts": "09:00",
            f"day{weekday}_ends": "16:00",
            "insurance_valid_until": "2099-03-31",
            "active": "on",
        },
    )
    assert saved.status_code == 302
    req = open_request(district)
    suggestions = desk.get(f"/admin/aid/requests/{req.pk}/").content.decode()
    assert "山田 太郎" in suggestions


def test_a_returning_volunteer_is_suggested_in_the_new_district_on_approval(
    desk, django_capture_on_commit_callbacks
):
    """Approval rebuilds the matching index: a volunteer who already has skills and
    availability is suggested for the district they now apply from, without another
    save of their profile."""
    old, new = DistrictFactory(), DistrictFactory()
    weekday = timezone.localdate().weekday()
    returning = volunteer(old, full_name="鈴木 次郎", weekly=((weekday, dt.time(9), dt.time(16)),))
    req = open_request(new)
    url = f"/admin/aid/requests/{req.pk}/"
    assert "鈴木 次郎" not in desk.get(url).content.decode()

    app = application(new, full_name="鈴木 次郎", email=returning.email)
    approve(desk, app, django_capture_on_commit_callbacks)
    assert "鈴木 次郎" in desk.get(url).content.decode()
    # What the person already gave the city is kept.
    returning.refresh_from_db()
    assert returning.full_name == "鈴木 次郎"


def test_the_applicant_is_emailed_once_in_japanese_how_to_sign_in(
    desk, client, django_capture_on_commit_callbacks
):
    app = application(DistrictFactory())
    approve(desk, app, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["taro@example.jp"]
    assert "ボランティア" in message.subject and "ログイン" in message.subject
    assert "山田 太郎 様" in message.body and "パスワード" in message.body
    assert "http://127.0.0.1:8000/accounts/login/code/" in message.body
    link = next(
        line for line in message.body.splitlines() if "/accounts/password/reset/key/" in line
    )
    # The link works: it opens allauth's form to set a password.
    path = link.split("127.0.0.1:8000", 1)[1]
    desk.logout()
    opened = client.get(path, follow=True)
    assert opened.status_code == 200 and "password1" in opened.content.decode()
    # Setting the password there confirms the address: the first sign-in with it goes
    # straight in, with no "confirm your email" mail.
    applicant = Client()
    opened = applicant.get(path, follow=True)
    form_url = opened.redirect_chain[-1][0] if opened.redirect_chain else path
    new_password = "Hajimete-no-2026"
    set_response = applicant.post(form_url, {"password1": new_password, "password2": new_password})
    assert set_response.status_code == 302
    applicant.logout()
    signed_in = applicant.post(
        "/accounts/login/", {"login": "taro@example.jp", "password": new_password}
    )
    assert signed_in.status_code == 302 and "confirm-email" not in signed_in["Location"]
    assert "_auth_user_id" in applicant.session
    assert [m.subject for m in mail.outbox[1:] if "確認" in m.subject] == []

    # Approving again (a double click) and the task retried send nothing more.
    again = approve(desk, app, django_capture_on_commit_callbacks)
    assert again.status_code in (200, 302)
    assert send_volunteer_welcome(app.pk) is False
    assert len(mail.outbox) == 1
