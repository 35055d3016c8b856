"""Journey: a volunteer exchanges points for a voucher; the QR on their page decodes
(independent decoder) to the redemption URL; shop staff open it, confirm, and the
voucher is used exactly once."""

import io
import re

import pytest
import zxingcpp
from PIL import Image

from points.models import Shop, ShopMembership, Voucher
from points.selectors import voucher_code
from points.services.accounts import wallet_for
from points.services.vouchers import voucher_exchange
from tests.browser.conftest import RESULTS
from tests.browser.signin import sign_in
from tests.factories import PASSWORD, UserFactory
from tests.points.support import fund

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_exchange_scan_and_redeem(chromium, live_server):
    volunteer = UserFactory(roles=["volunteer"])
    fund(wallet_for(volunteer), 1200)
    shop = Shop.objects.create(name="さくら青果店", address="中央1-2-3")
    clerk = UserFactory(roles=["shop_staff"])
    ShopMembership.objects.create(user=clerk, shop=shop)

    phone = chromium.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    page = phone.new_page()
    sign_in(page, volunteer.email)
    page.goto("/me/vouchers/")
    page.get_by_label("交換する枚数").fill("2")
    page.get_by_role("button", name="交換する").click()
    page.wait_for_url(re.compile(r"/me/vouchers/$"))
    assert page.get_by_role("status").get_by_text("商品券を 2 枚発行しました").is_visible()
    assert "ポイント残高：200 pt" in page.content()

    qr = page.locator(".voucher-qr").first
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert len(decoded) == 1
    url = decoded[0].text
    shown_code = page.locator(".voucher-code").first.inner_text().split(":")[-1].strip()
    assert url == f"{live_server.url}/shop/redeem/{shown_code}/"

    counter = chromium.new_context(locale="ja-JP", viewport={"width": 390, "height": 844})
    staff_page = counter.new_page()
    staff_page.goto(f"{live_server.url}/accounts/login/")
    staff_page.get_by_label("Eメール").fill(clerk.email)
    staff_page.get_by_label("パスワード").fill(PASSWORD)
    staff_page.get_by_role("button", name="ログイン").click()
    staff_page.wait_for_load_state()
    staff_page.goto(url)  # what the phone camera does with the QR
    assert staff_page.get_by_text("500円").first.is_visible()
    staff_page.get_by_role("button", name="この商品券を受け付ける").click()
    assert staff_page.get_by_role("heading", name="商品券を受け付けました").is_visible()

    staff_page.goto(url)
    assert (
        staff_page.get_by_role("alert")
        .get_by_text("この商品券はすでに使用されています。")
        .is_visible()
    )
    assert Voucher.objects.filter(status=Voucher.Status.REDEEMED, shop=shop).count() == 1
    phone.close()
    counter.close()


def test_two_shop_clerk_chooses_the_shop_and_sees_it_named_large(chromium, live_server):
    """At 390 px: a clerk of two shops opens a voucher's QR URL, chooses the second
    shop, and the confirmation and the receipt name it in large type; the owner
    opening the same URL gets the page explaining the code."""
    volunteer = UserFactory(roles=["volunteer"])
    fund(wallet_for(volunteer), 600)
    first = Shop.objects.create(name="あおば商店", address="中央1-1")
    second = Shop.objects.create(name="ひまわり食堂 本町店", address="本町2-2")
    clerk = UserFactory(roles=["shop_staff"])
    for shop in (first, second):
        ShopMembership.objects.create(user=clerk, shop=shop)
    (voucher,) = voucher_exchange(user=volunteer, count=1, idempotency_key="journey")[1]
    url = f"{live_server.url}/shop/redeem/{voucher_code(voucher)}/"

    counter = chromium.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    page = counter.new_page()
    sign_in(page, clerk.email)
    page.goto(url)
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "redeem-choose-shop-390.png"), full_page=True)
    page.get_by_label("ひまわり食堂 本町店").check()
    page.get_by_role("button", name="確認へ進む").click()
    banner = page.locator(".shop-name")
    assert banner.inner_text() == "ひまわり食堂 本町店" and banner.is_visible()
    size = float(banner.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert size >= 1.5 * 16  # large type, above the button
    box = banner.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] < 844
    page.screenshot(path=str(RESULTS / "redeem-confirm-390.png"), full_page=True)
    page.get_by_role("button", name="この商品券を受け付ける").click()
    assert page.get_by_role("heading", name="商品券を受け付けました").is_visible()
    assert page.locator(".shop-name").inner_text() == "ひまわり食堂 本町店"
    page.screenshot(path=str(RESULTS / "redeemed-390.png"), full_page=True)
    assert Voucher.objects.get(pk=voucher.pk).shop == second

    owner = chromium.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    phone = owner.new_page()
    sign_in(phone, volunteer.email)
    phone.goto(url)
    assert phone.get_by_role("heading", name="これは商品券のコードです").is_visible()
    phone.screenshot(path=str(RESULTS / "voucher-info-390.png"), full_page=True)
    counter.close()
    owner.close()
