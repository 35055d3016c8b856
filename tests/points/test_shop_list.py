"""The public list of participating shops (加盟店一覧, issue #17 item 3): only shops
accepting vouchers, with what they publish (name, district, address, kind, what they
sell) and never their staff's details; linked from every voucher page."""

from __future__ import annotations

import pytest
from django.test import Client

from points.models import Shop, ShopMembership
from points.selectors import voucher_code
from points.services.accounts import wallet_for
from points.services.vouchers import voucher_exchange
from tests.factories import DistrictFactory, UserFactory
from tests.points.support import fund
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db

LINK = 'href="/shops/"'


@pytest.fixture
def shops():
    chuo, asahi = DistrictFactory(name="中央"), DistrictFactory(name="旭")
    grocer = Shop.objects.create(
        name="さくら青果店",
        name_kana="サクラセイカテン",
        address="中央1-2-3",
        district=chuo,
        category=Shop.Category.GROCERY,
        goods="野菜・果物・米",
        contact_name="桜井 一郎",
        phone="+81312345678",
        email="sakura-owner@example.jp",
    )
    bakery = Shop.objects.create(
        name="旭ベーカリー", address="旭1-10-2", district=asahi, goods="パン・焼き菓子"
    )
    closed = Shop.objects.create(
        name="閉店した酒店", address="中央9-9-9", district=chuo, active=False
    )
    clerk = UserFactory(roles=["shop_staff"], full_name="店員 花子")
    ShopMembership.objects.create(user=clerk, shop=grocer)
    return grocer, bakery, closed, chuo, asahi, clerk


def test_anyone_sees_the_active_shops_with_what_they_sell(client, shops):
    grocer, bakery, closed, chuo, asahi, clerk = shops
    response = client.get("/shops/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "加盟店一覧" in page
    for text in ("さくら青果店", "中央1-2-3", "中央", "野菜・果物・米", "食料品"):
        assert text in page, text
    assert "旭ベーカリー" in page and "パン・焼き菓子" in page
    # A shop no longer accepting vouchers is not listed.
    assert "閉店した酒店" not in page and "中央9-9-9" not in page
    # Nothing about the people behind a shop.
    for private in ("桜井", "sakura-owner@example.jp", "03-1234-5678", "312345678", "店員"):
        assert private not in page, private


def test_the_list_narrows_to_one_district_and_ignores_bad_input(client, shops):
    grocer, bakery, closed, chuo, asahi, clerk = shops
    page = client.get("/shops/", {"district": asahi.pk}).content.decode()
    assert "旭ベーカリー" in page and "さくら青果店" not in page
    for bad in ("x", "999999", "1' OR 1=1", ""):
        response = client.get("/shops/", {"district": bad})
        assert response.status_code == 200
        assert "旭ベーカリー" in response.content.decode()
    # Only districts with an active shop are offered in the filter.
    other = DistrictFactory(name="誰もいない町")
    assert other.name not in client.get("/shops/").content.decode()


def test_the_list_is_read_only(client, shops):
    assert client.post("/shops/").status_code == 405


def test_every_voucher_page_links_to_the_list(client, volunteer, shops):
    fund(wallet_for(volunteer), 5000)
    _, vouchers = voucher_exchange(user=volunteer, count=2, idempotency_key="list-link")
    client.force_login(volunteer)
    assert LINK in client.get("/me/vouchers/").content.decode()
    assert LINK in client.get("/me/vouchers/print/").content.decode()
    # The voucher's QR opened by its owner (the information page).
    assert LINK in client.get(f"/shop/redeem/{voucher_code(vouchers[0])}/").content.decode()
    # The coordinator's print for a volunteer without a smartphone.
    desk = signed_in_back_office(Client(), UserFactory(roles=["coordinator"]))
    printed = desk.get(f"/admin/points/vouchers/print/{volunteer.pk}/")
    assert printed.status_code == 200 and LINK in printed.content.decode()


def test_city_staff_enter_what_a_shop_sells_in_the_back_office(shops):
    grocer = shops[0]
    desk = signed_in_back_office(Client(), UserFactory(roles=["city_staff"]))
    form = desk.get(f"/admin/shops/edit/{grocer.pk}/").content.decode()
    assert 'name="goods"' in form
