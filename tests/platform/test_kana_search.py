"""Every back-office list of people finds names by kana the way the coordinators'
board does (issue #14, item 5): hiragana, katakana and half-width katakana all find
「ヤマダ タロウ」, and a kanji query finds by name."""

from __future__ import annotations

import pytest

from cms.models import VolunteerApplication
from points.models import Shop, ShopMembership
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import resident, volunteer

pytestmark = pytest.mark.django_db

QUERIES = ("やまだ", "ヤマダ", "ﾔﾏﾀﾞ", "やまだたろう", "ﾔﾏﾀﾞ ﾀﾛｳ", "山田", "山田太郎")


@pytest.fixture
def desk(client):
    staff = UserFactory(
        roles=["coordinator", "city_staff"],
        is_superuser=True,
        full_name="調整 花子",
        full_name_kana="チョウセイ ハナコ",
    )
    return signed_in_back_office(client, staff)


def other(**fields):
    return UserFactory(full_name="鈴木 一郎", full_name_kana="スズキ イチロウ", **fields)


def assert_found(desk, url, wanted: str, unwanted: str):
    for query in QUERIES:
        page = desk.get(url, {"q": query})
        assert page.status_code == 200, (url, query)
        html = page.content.decode()
        assert wanted in html and unwanted not in html, (url, query)


def test_volunteers_list(desk):
    district = DistrictFactory()
    volunteer(district, full_name="山田 太郎")  # kana ヤマダ タロウ (factory default)
    profile_other = volunteer(district, full_name="鈴木 一郎")
    profile_other.full_name_kana = "スズキ イチロウ"
    profile_other.save(update_fields=["full_name_kana"])
    assert_found(desk, "/admin/aid_volunteers/", "山田 太郎", "鈴木 一郎")


def test_residents_list_and_board(desk):
    district = DistrictFactory()
    resident(district, full_name="山田 太郎", full_name_kana="ヤマダ タロウ")
    resident(district, full_name="鈴木 一郎", full_name_kana="スズキ イチロウ")
    assert_found(desk, "/admin/aid_residents/", "山田 太郎", "鈴木 一郎")
    assert_found(desk, "/admin/aid/", "山田 太郎", "鈴木 一郎")


def test_volunteer_applications_list(desk):
    for name, kana, email in (
        ("山田 太郎", "ヤマダ タロウ", "taro@example.jp"),
        ("鈴木 一郎", "スズキ イチロウ", "ichiro@example.jp"),
    ):
        VolunteerApplication.objects.create(full_name=name, full_name_kana=kana, email=email)
    assert_found(desk, "/admin/volunteer_applications/", "taro@example.jp", "ichiro@example.jp")


def test_shops_and_shop_staff_lists(desk):
    district = DistrictFactory()
    yamada = Shop.objects.create(
        name="山田商店", name_kana="やまだしょうてん", address="本町1-1", district=district
    )
    suzuki = Shop.objects.create(
        name="鈴木書店", name_kana="スズキショテン", address="本町2-2", district=district
    )
    for query in ("やまだ", "ヤマダショウテン", "ﾔﾏﾀﾞ", "山田"):
        html = desk.get("/admin/shops/", {"q": query}).content.decode()
        assert "山田商店" in html and "鈴木書店" not in html, query
    ShopMembership.objects.create(user=UserFactory(full_name="山田 太郎"), shop=suzuki)
    ShopMembership.objects.create(user=other(), shop=yamada)
    for query in ("ﾔﾏﾀﾞ ﾀﾛｳ", "やまだたろう", "山田 太郎"):
        html = desk.get("/admin/shop_staff/", {"q": query}).content.decode()
        assert "山田 太郎" in html and "鈴木 一郎" not in html, query
