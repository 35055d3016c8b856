"""One person, one record (issue #14, item 6): a coordinator links a resident's record
to their existing account (found by name, kana or email), and the resident sees their
own requests under /me/requests/ - nobody else's, and nobody else sees theirs."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import at, help_request, resident, volunteer
from volunteers.models import Resident
from volunteers.services.help_requests import request_assign

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def coordinator():
    return UserFactory(
        roles=["coordinator"], full_name="調整 花子", full_name_kana="チョウセイ ハナコ"
    )


@pytest.fixture
def desk(client, coordinator):
    return signed_in_back_office(client, coordinator)


def edit_data(res: Resident, **changes) -> dict:
    data = {
        "full_name": res.full_name,
        "full_name_kana": res.full_name_kana,
        "gender": res.gender,
        "address": res.address,
        "district": res.district_id,
        "phone": "03-1234-5678",
        "emergency_contact": "",
        "living": res.living,
        "notes": "",
        "active": "on",
        "user": "",
    }
    data.update(changes)
    return data


def test_coordinator_finds_and_links_the_residents_account(desk):
    res = resident(DistrictFactory(), full_name="山田 太郎", full_name_kana="ヤマダ タロウ")
    account = UserFactory(
        full_name="山田 太郎", full_name_kana="ヤマダ タロウ", email="taro@example.jp"
    )
    UserFactory(full_name="鈴木 一郎", full_name_kana="スズキ イチロウ", email="ichiro@example.jp")
    # The form offers a chooser that searches accounts by kana in any script or email.
    form = desk.get(f"/admin/aid_residents/edit/{res.pk}/").content.decode()
    assert "/admin/aid_account_chooser/" in form
    for query in ("やまだ", "ﾔﾏﾀﾞ", "taro@"):
        found = desk.get("/admin/aid_account_chooser/results/", {"q": query}).content.decode()
        assert "taro@example.jp" in found and "ichiro@example.jp" not in found, query

    response = desk.post(f"/admin/aid_residents/edit/{res.pk}/", edit_data(res, user=account.pk))
    assert response.status_code == 302
    res.refresh_from_db()
    assert res.user == account
    page = desk.get(f"/admin/aid/residents/{res.pk}/").content.decode()
    assert "taro@example.jp" in page


def test_one_account_is_one_resident_record(desk):
    district = DistrictFactory()
    account = UserFactory()
    first = resident(district, user=account)
    second = resident(district)
    response = desk.post(
        f"/admin/aid_residents/edit/{second.pk}/", edit_data(second, user=account.pk)
    )
    assert response.status_code == 200
    assert "user" in response.context["form"].errors
    second.refresh_from_db()
    assert second.user is None and Resident.objects.get(user=account) == first


def test_only_coordinators_search_accounts(client):
    staff = UserFactory(roles=["city_staff"], full_name="市 職員", full_name_kana="シ ショクイン")
    signed_in_back_office(client, staff)
    UserFactory(email="taro@example.jp")
    for url in ("/admin/aid_account_chooser/", "/admin/aid_account_chooser/results/"):
        response = client.get(url, {"q": "ヤマダ"})
        assert response.status_code in (302, 403), url  # Wagtail: refused, to the dashboard
        assert "taro@example.jp" not in response.content.decode()


def test_a_resident_sees_only_their_own_requests(coordinator):
    district = DistrictFactory()
    account = UserFactory(roles=["resident"], full_name="山田 太郎")
    mine = resident(district, user=account, full_name="山田 太郎")
    theirs = resident(district, user=UserFactory(roles=["resident"]), full_name="鈴木 一郎")
    helper = volunteer(district, full_name="佐藤 健一")
    own = help_request(coordinator, mine)
    request_assign(help_request=own, volunteer=helper, actor=coordinator)
    other = help_request(coordinator, theirs, start=at(13), end=at(14))

    me = signed_in(account)
    listing = me.get("/me/requests/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert f"/me/requests/{own.pk}/" in html and f"/me/requests/{other.pk}/" not in html
    own.refresh_from_db()
    assert own.status == "assigned" and own.get_status_display() in html
    # The helper by family name only: no full name, email or phone of the volunteer.
    assert "佐藤" in html and "佐藤 健一" not in html and helper.email not in html
    assert "/me/requests/" in me.get("/me/").content.decode()  # in the "my pages" menu
    assert me.get(f"/me/requests/{own.pk}/").status_code == 200
    assert me.get(f"/me/requests/{other.pk}/").status_code == 404

    # Another resident, and a volunteer with no resident record, see nothing of it.
    assert signed_in(theirs.user).get(f"/me/requests/{own.pk}/").status_code == 404
    as_volunteer = signed_in(helper)
    assert as_volunteer.get("/me/requests/").status_code == 404
    assert as_volunteer.get(f"/me/requests/{own.pk}/").status_code == 404
    assert "/me/requests/" not in as_volunteer.get("/me/").content.decode()
    assert Client().get("/me/requests/").status_code == 302  # sign in first
