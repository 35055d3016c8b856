"""Birth dates wherever a volunteer is created or edited (issue 14, item 2): the
coordinator's register and profile forms, the volunteer's own profile and the import."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from accounts.services import user_birth_date_set
from core.errors import NotPermitted
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import category

pytestmark = pytest.mark.django_db

FUTURE = (dt.date.today() + dt.timedelta(days=1)).isoformat()


@pytest.fixture
def desk(client, coordinator):
    return signed_in_back_office(client, coordinator)


@pytest.fixture
def district():
    return DistrictFactory()


def profile_form(district, **extra) -> dict:
    return {
        "skills": [str(category("shopping").pk)],
        "districts": [str(district.pk)],
        "day1_starts": "09:00",
        "day1_ends": "12:00",
        **extra,
    }


def test_register_stores_the_birth_date_and_refuses_impossible_ones(desk):
    form = {"full_name": "木村 進", "full_name_kana": "きむら すすむ", "phone": ""}
    for bad in (FUTURE, "1899-12-31"):
        refused = desk.post("/admin/aid/volunteers/register/", {**form, "birth_date": bad})
        assert refused.status_code == 200 and "birth_date" in refused.context["form"].errors
    assert not User.objects.filter(full_name="木村 進").exists()
    desk.post("/admin/aid/volunteers/register/", {**form, "birth_date": "1952-07-15"})
    assert User.objects.get(full_name="木村 進").birth_date == dt.date(1952, 7, 15)


def test_coordinator_records_and_corrects_a_birth_date_on_the_profile(desk, district):
    volunteer = UserFactory(roles=["volunteer"], birth_date=dt.date(1960, 1, 1))
    url = f"/admin/aid/volunteers/{volunteer.pk}/"
    assert 'value="1960-01-01"' in desk.get(url).content.decode()
    refused = desk.post(url, profile_form(district, birth_date=FUTURE, active="on"))
    assert refused.status_code == 200 and "birth_date" in refused.context["form"].errors
    done = desk.post(url, profile_form(district, birth_date="1961-02-03", active="on"))
    assert done.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.birth_date == dt.date(1961, 2, 3)


def test_volunteer_gives_their_own_birth_date_once(district):
    volunteer = UserFactory(roles=["volunteer"])
    client = Client()
    client.force_login(volunteer)
    refused = client.post("/me/profile/", profile_form(district, birth_date="1899-01-01"))
    assert refused.status_code == 400 and "birth_date" in refused.context["form"].errors
    assert (
        client.post("/me/profile/", profile_form(district, birth_date="1955-05-05")).status_code
        == 302
    )
    volunteer.refresh_from_db()
    assert volunteer.birth_date == dt.date(1955, 5, 5)
    # Once recorded, a correction goes through the centre: the field is read-only.
    client.post("/me/profile/", profile_form(district, birth_date="1990-05-05"))
    volunteer.refresh_from_db()
    assert volunteer.birth_date == dt.date(1955, 5, 5)
    assert client.get("/me/profile/").context["form"].fields["birth_date"].disabled
    with pytest.raises(NotPermitted):  # and the service refuses it whatever the page
        user_birth_date_set(user=volunteer, birth_date=dt.date(1990, 5, 5), actor=volunteer)


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("v.csv", text.encode("utf-8-sig"))


def test_import_stores_birth_dates_and_refuses_impossible_ones(desk, district):
    head = "full_name,full_name_kana,phone,email,birth_date,districts,skills,weekly\n"
    row = "中村 陽子,ナカムラ ヨウコ,,yoko@example.jp,{born},{d},shopping,mon 09:00-12:00\n"
    for bad in (FUTURE, "1899-12-31", "1955/13/01"):
        sheet = head + row.format(born=bad, d=district.code)
        failed = desk.post(
            "/admin/aid/volunteers/import/", {"file": upload(sheet), "confirm": "on"}
        )
        assert failed.status_code == 200 and not User.objects.filter(email="yoko@example.jp")
    sheet = head + row.format(born="1955-03-04", d=district.code)
    done = desk.post("/admin/aid/volunteers/import/", {"file": upload(sheet), "confirm": "on"})
    assert done.status_code == 302
    assert User.objects.get(email="yoko@example.jp").birth_date == dt.date(1955, 3, 4)
    # Re-importing with the cell left empty keeps the date the centre recorded.
    sheet = head + row.format(born="", d=district.code)
    desk.post("/admin/aid/volunteers/import/", {"file": upload(sheet), "confirm": "on"})
    assert User.objects.get(email="yoko@example.jp").birth_date == dt.date(1955, 3, 4)
