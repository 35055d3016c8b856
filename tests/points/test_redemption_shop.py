"""Redemption binds to the shop chosen: a clerk of several shops chooses explicitly,
the shop travels with the code through lookup and confirmation (pages and API), the
choice is remembered as their default, and someone who is not shop staff opening a
voucher's QR URL learns what it is instead of redeeming anything."""

import datetime as dt
import re
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from points.models import Shop, ShopMembership, Voucher
from points.selectors import audit_ledger, voucher_code
from points.services.accounts import wallet_for
from points.services.settlement import statement_generate
from points.services.vouchers import voucher_exchange
from tests.factories import UserFactory
from tests.points.support import fund
from tests.points.test_shops import make_shop

pytestmark = pytest.mark.django_db

CONFIRM = "/shop/redeem/confirm/"
API = "/api/v1/shop/redemptions/"


@pytest.fixture
def vouchers(volunteer):
    fund(wallet_for(volunteer), 5000)
    return voucher_exchange(user=volunteer, count=4, idempotency_key="ex")[1]


@pytest.fixture
def two_shops():
    """A clerk of two shops; the first (in their list) is 「あおば商店」."""
    first, clerk = make_shop("あおば商店")
    second = Shop.objects.create(name="ひまわり食堂", address="本町2-2")
    ShopMembership.objects.create(user=clerk, shop=second)
    return first, second, clerk


def shop_banner(html: str) -> str:
    return re.search(r'<strong class="shop-name">([^<]*)</strong>', html).group(1)


def checked_shop(html: str) -> int | None:
    radios = re.findall(r'<input type="radio" name="shop"[^>]*>', html)
    assert len(radios) == 2, "a clerk of two shops chooses with radio buttons"
    checked = [r for r in radios if " checked" in r]
    return int(re.search(r'value="(\d+)"', checked[0]).group(1)) if checked else None


def statement_rows(client, shop) -> str:
    """Generate this month's statement of ``shop`` (as the month-end job does) and read
    it through the shop's own statements page."""
    this_month, next_month = timezone.localdate(), timezone.now() + dt.timedelta(days=40)
    with mock.patch("django.utils.timezone.now", return_value=next_month):
        statement = statement_generate(shop=shop, month=this_month)
    listing = client.get("/shop/statements/").content.decode()
    assert f"/shop/statements/{statement.pk}/" in listing
    page = client.get(f"/shop/statements/{statement.pk}/")
    assert page.status_code == 200
    return page.content.decode()


def assert_booked_at_second_only(client, first, second, voucher):
    row = f"<td>#{voucher.pk}</td>"
    assert row in statement_rows(client, second)
    assert row not in statement_rows(client, first)
    assert Voucher.objects.get(pk=voucher.pk).shop == second
    assert audit_ledger().ok


def test_two_shop_clerk_redeems_at_the_second_shop_by_typing(client, vouchers, two_shops):
    first, second, clerk = two_shops
    client.force_login(clerk)
    assert checked_shop(client.get("/shop/redeem/").content.decode()) is None
    code = voucher_code(vouchers[0])
    missing = client.post("/shop/redeem/", {"code": code})
    assert "商品券を受け付ける店を選んでください" in missing.content.decode()

    confirm = client.post("/shop/redeem/", {"code": code, "shop": second.pk}).content.decode()
    assert shop_banner(confirm) == second.name
    assert f'name="shop" value="{second.pk}"' in confirm
    assert Voucher.objects.get(pk=vouchers[0].pk).status == Voucher.Status.ISSUED
    done = client.post(CONFIRM, {"code": code, "shop": second.pk}).content.decode()
    assert "商品券を受け付けました" in done and shop_banner(done) == second.name
    assert_booked_at_second_only(client, first, second, vouchers[0])


def test_two_shop_clerk_redeems_at_the_second_shop_by_opening_the_qr_url(
    client, vouchers, two_shops
):
    first, second, clerk = two_shops
    client.force_login(clerk)
    code = voucher_code(vouchers[0])
    scanned = client.get(f"/shop/redeem/{code}/").content.decode()
    assert "500円" in scanned and checked_shop(scanned) is None
    assert f'type="hidden" name="code" value="{code}"' in scanned
    assert 'action="/shop/redeem/"' in scanned  # the code goes on in the POST body
    confirm = client.post("/shop/redeem/", {"code": code, "shop": second.pk}).content.decode()
    assert shop_banner(confirm) == second.name
    done = client.post(CONFIRM, {"code": code, "shop": second.pk}).content.decode()
    assert shop_banner(done) == second.name
    assert_booked_at_second_only(client, first, second, vouchers[0])


def test_two_shop_clerk_redeems_at_the_second_shop_through_the_api(client, vouchers, two_shops):
    first, second, clerk = two_shops
    client.force_login(clerk)
    shops = client.get("/api/v1/shop/shops/").json()
    assert [s["id"] for s in shops] == [first.pk, second.pk]
    code = voucher_code(vouchers[0])
    unnamed = client.post(API, {"code": code}, content_type="application/json")
    assert unnamed.status_code == 400 and unnamed.json()["code"] == "shop_required"
    checked = client.post(
        f"{API}check/", {"code": code, "shop": second.pk}, content_type="application/json"
    )
    assert checked.status_code == 200
    assert checked.json()["shop"] == {"id": second.pk, "name": second.name}
    assert Voucher.objects.get(pk=vouchers[0].pk).status == Voucher.Status.ISSUED
    done = client.post(API, {"code": code, "shop": second.pk}, content_type="application/json")
    assert done.status_code == 201
    assert (done.json()["shop_id"], done.json()["shop"]) == (second.pk, second.name)
    api_statements = statement_rows(client, second)
    assert f"<td>#{vouchers[0].pk}</td>" in api_statements
    listed = client.get("/api/v1/shop/statements/").json()["results"]
    totals = {s["shop"]: s["voucher_count"] for s in listed}
    assert totals == {second.name: 1}
    assert f"<td>#{vouchers[0].pk}</td>" not in statement_rows(client, first)


def test_a_clerk_of_one_shop_needs_no_choice(client, vouchers):
    shop, clerk = make_shop("こだま商店")
    client.force_login(clerk)
    code = voucher_code(vouchers[0])
    assert 'type="radio"' not in client.get("/shop/redeem/").content.decode()
    assert shop_banner(client.get(f"/shop/redeem/{code}/").content.decode()) == shop.name
    done = client.post(API, {"code": code}, content_type="application/json")
    assert done.status_code == 201 and done.json()["shop_id"] == shop.pk


def test_a_clerk_cannot_redeem_at_a_shop_they_do_not_work_at(client, vouchers, two_shops):
    _first, second, clerk = two_shops
    other, _other_clerk = make_shop("よそ商店")
    code = voucher_code(vouchers[0])
    client.force_login(clerk)
    lookup = client.post("/shop/redeem/", {"code": code, "shop": other.pk})
    assert lookup.status_code == 403
    confirm = client.post(CONFIRM, {"code": code, "shop": other.pk})
    assert confirm.status_code == 403
    assert 'data-error-code="wrong_shop"' in confirm.content.decode()
    for url in (API, f"{API}check/"):
        refused = client.post(
            url, {"code": code, "shop": other.pk}, content_type="application/json"
        )
        assert refused.status_code == 403 and refused.json()["code"] == "wrong_shop"

    single, single_clerk = make_shop("ひとつ商店")
    client.force_login(single_clerk)
    assert client.post(CONFIRM, {"code": code, "shop": second.pk}).status_code == 403
    refused = client.post(API, {"code": code, "shop": second.pk}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "wrong_shop"
    assert not Voucher.objects.filter(status=Voucher.Status.REDEEMED).exists()
    assert not other.redemptions.exists() and not single.redemptions.exists()


def test_the_chosen_shop_is_remembered_as_the_default(client, vouchers, two_shops):
    first, second, clerk = two_shops
    client.force_login(clerk)
    client.post("/shop/redeem/", {"code": voucher_code(vouchers[0]), "shop": second.pk})

    later = Client()  # another day, another session: the default is the clerk's, kept
    later.force_login(clerk)
    assert checked_shop(later.get("/shop/redeem/").content.decode()) == second.pk
    scanned = later.get(f"/shop/redeem/{voucher_code(vouchers[1])}/").content.decode()
    assert checked_shop(scanned) == second.pk
    defaults = {s["id"]: s["is_default"] for s in later.get("/api/v1/shop/shops/").json()}
    assert defaults == {first.pk: False, second.pk: True}

    later.post("/shop/redeem/", {"code": voucher_code(vouchers[1]), "shop": first.pk})
    assert checked_shop(later.get("/shop/redeem/").content.decode()) == first.pk


@pytest.mark.parametrize("who", ["anonymous", "owner", "resident"])
def test_a_qr_url_opened_by_someone_not_shop_staff_explains_the_code(client, vouchers, who):
    if who == "owner":
        client.force_login(vouchers[0].owner)
    elif who == "resident":
        client.force_login(UserFactory())
    code = voucher_code(vouchers[0])
    response = client.get(f"/shop/redeem/{code}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>これは商品券のコードです</h1>" in html
    assert "参加しているお店" in html and "このページを開いただけでは" in html
    assert "500円" not in html and CONFIRM not in html  # nothing looked up, no redeem form
    # The same page for any code: it tells nothing about whether a voucher exists.
    unknown = client.get("/shop/redeem/AAAA-AAAA-AAAA-AAAA-A/")
    assert unknown.status_code == 200 and "<h1>これは商品券のコードです</h1>" in unknown.text
    if who != "anonymous":
        assert client.post(CONFIRM, {"code": code}).status_code == 403
    assert Voucher.objects.get(pk=vouchers[0].pk).status == Voucher.Status.ISSUED
