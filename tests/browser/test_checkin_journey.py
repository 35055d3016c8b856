"""Journey: a volunteer scans a venue poster, checks in and out, host staff confirm
they came, and the volunteer sees the points; at a kiosk place the volunteer scans the
tablet's QR code (which carries the code of the minute); host staff scan a volunteer's
card and the volunteer is credited. The QR codes are decoded from screenshots by an
independent decoder."""

import datetime as dt
import io
import re

import pytest
import zxingcpp
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from PIL import Image
from playwright.sync_api import expect

from points.models import EarningRule
from points.selectors import wallet_balance
from tests.browser.signin import sign_in
from tests.factories import PASSWORD, UserFactory
from volunteers.models import Activity, Place

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def new_page(chromium, live_server):
    context = chromium.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def decode(locator) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(locator.screenshot())))
    assert len(results) == 1
    return results[0].text


def backdate_open_activity(volunteer, hours):
    activity = Activity.objects.get(volunteer=volunteer, status=Activity.Status.OPEN)
    Activity.objects.filter(pk=activity.pk).update(
        started_at=activity.started_at - dt.timedelta(hours=hours)
    )


@pytest.fixture
def place():
    rule = EarningRule.objects.create(
        activity_kind="salon", name="サロン運営協力", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    return Place.objects.create(
        name="いきいきサロン桜ヶ丘", kind=Place.Kind.SALON, earning_rule=rule
    )  # the default proof of presence: host staff confirm


def test_volunteer_scans_the_poster_and_earns_points_once_the_host_confirms(
    chromium, live_server, place
):
    coordinator = UserFactory(roles=["coordinator"])
    secret = generate_totp_secret()
    TOTP.activate(coordinator, secret)
    volunteer = UserFactory(roles=["volunteer"], full_name="佐藤 花子")
    host = UserFactory()
    place.hosts.add(host)

    poster_page = new_page(chromium, live_server)
    sign_in(poster_page, coordinator.email, secret=secret)
    poster_page.goto(f"/places/{place.pk}/poster/")
    url = decode(poster_page.locator(".poster-qr"))
    assert re.fullmatch(rf"{re.escape(live_server.url)}/scan/[^/]+/", url)

    page = new_page(chromium, live_server)
    page.goto(url)  # the phone camera opens the poster's URL; not signed in yet
    assert "/accounts/login/" in page.url
    page.get_by_label("Eメール").fill(volunteer.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(url)
    expect(page.get_by_role("button", name="チェックアウト", exact=True)).to_have_count(0)
    page.get_by_role("button", name="チェックイン", exact=True).click()
    expect(page.get_by_role("heading", name="チェックインしました", exact=True)).to_be_visible()
    assert Activity.objects.get(volunteer=volunteer).status == Activity.Status.OPEN

    backdate_open_activity(volunteer, hours=2)
    page.goto(url)
    expect(
        page.get_by_text("ここまで 120 分です。今チェックアウトすると 200 pt が付与されます。")
    ).to_be_visible()
    expect(page.get_by_role("button", name="チェックイン", exact=True)).to_have_count(0)
    page.get_by_role("button", name="チェックアウト", exact=True).click()
    expect(page.get_by_role("heading", name="チェックアウトしました", exact=True)).to_be_visible()
    expect(
        page.get_by_text("この会場の職員が来訪を確認すると、ポイントが付与されます。")
    ).to_be_visible()
    assert Activity.objects.get(volunteer=volunteer).status == Activity.Status.AWAITING
    page.get_by_role("link", name="ポイントを見る").click()
    assert page.get_by_test_id("balance").inner_text() == "0"

    staff = new_page(chromium, live_server)
    sign_in(staff, host.email)
    staff.goto(f"/places/{place.pk}/checkins/")
    staff.get_by_label("佐藤 花子").check()
    staff.get_by_role("button", name="印をつけた方を確認する").click()
    expect(staff.get_by_text("1 件の来訪を確認しました。ありがとうございます。")).to_be_visible()
    expect(staff.get_by_text("確認を待っているチェックインはありません。")).to_be_visible()
    assert Activity.objects.get(volunteer=volunteer).status == Activity.Status.CREDITED

    page.reload()
    assert page.get_by_test_id("balance").inner_text() == "200"
    assert page.get_by_text("サロン運営協力").is_visible()


def test_volunteer_scans_the_kiosk_at_the_door_and_earns_points(chromium, live_server, place):
    Place.objects.filter(pk=place.pk).update(presence=Place.Presence.KIOSK)
    volunteer = UserFactory(roles=["volunteer"])
    host = UserFactory()
    place.hosts.add(host)

    kiosk = new_page(chromium, live_server)  # the tablet at the door, signed in as host
    sign_in(kiosk, host.email)
    kiosk.goto(f"/places/{place.pk}/kiosk/")
    code = kiosk.get_by_test_id("kiosk-code").inner_text().replace(" ", "")
    url = decode(kiosk.locator(".kiosk-qr"))
    assert url.endswith(f"?code={code}")

    page = new_page(chromium, live_server)
    sign_in(page, volunteer.email)
    poster = url.split("?")[0]
    page.goto(poster)  # the poster alone: the page asks for the tablet's number
    page.get_by_label("入口のタブレットの番号").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="チェックイン", exact=True).click()
    expect(
        page.get_by_text("タブレットに今表示されている番号と違います。", exact=False)
    ).to_be_visible()
    assert not Activity.objects.exists()

    page.goto(url)  # the kiosk's QR code: the number is filled in
    expect(page.get_by_label("入口のタブレットの番号")).to_have_value(code)
    page.get_by_role("button", name="チェックイン", exact=True).click()
    expect(page.get_by_role("heading", name="チェックインしました", exact=True)).to_be_visible()

    backdate_open_activity(volunteer, hours=2)
    kiosk.reload()
    page.goto(decode(kiosk.locator(".kiosk-qr")))
    page.get_by_role("button", name="チェックアウト", exact=True).click()
    expect(page.get_by_text("200 pt を付与しました。", exact=True)).to_be_visible()
    page.get_by_role("link", name="ポイントを見る").click()
    assert page.get_by_test_id("balance").inner_text() == "200"


def test_host_staff_scan_a_card_and_the_volunteer_is_credited(chromium, live_server, place):
    Place.objects.filter(pk=place.pk).update(presence=Place.Presence.CARD)
    volunteer = UserFactory(roles=["volunteer"], full_name="木村 和子")
    host = UserFactory()
    place.hosts.add(host)

    card_page = new_page(chromium, live_server)
    sign_in(card_page, volunteer.email)
    card_page.goto("/me/card/")
    url = decode(card_page.locator(".id-card-qr"))

    staff = new_page(chromium, live_server)
    sign_in(staff, host.email)
    staff.goto(url)
    expect(staff.get_by_role("heading", name="木村 和子 さんのカード", exact=True)).to_be_visible()
    staff.get_by_role("button", name="チェックイン", exact=True).click()
    expect(staff.get_by_role("heading", name="チェックインしました", exact=True)).to_be_visible()
    expect(staff.get_by_text("木村 和子 さんが", exact=False)).to_contain_text(
        "いきいきサロン桜ヶ丘 でチェックインしました。"
    )

    backdate_open_activity(volunteer, hours=3)
    staff.goto(url)
    staff.get_by_role("button", name="チェックアウト", exact=True).click()
    expect(staff.get_by_text("300 pt を付与しました。", exact=True)).to_be_visible()
    assert wallet_balance(volunteer) == 300
    activity = Activity.objects.get()
    assert (activity.method, activity.recorded_by) == ("staff", host)

    # Host staff are not volunteers: their own poster scan is refused with no button
    # (that the POST writes nothing is shown by test_activity's
    # test_hosts_cannot_check_themselves_in_and_non_volunteers_have_no_card).
    staff.goto(f"/places/{place.pk}/poster/")
    poster_url = decode(staff.locator(".poster-qr"))
    staff.goto(poster_url)
    expect(staff.get_by_role("heading", name="チェックインできません", exact=True)).to_be_visible()
    expect(staff.get_by_role("button", name="チェックイン", exact=True)).to_have_count(0)

    # At a card place the volunteer's own poster scan is refused, with the reason.
    card_page.goto(poster_url)
    expect(
        card_page.get_by_role("heading", name="チェックインできません", exact=True)
    ).to_be_visible()
    expect(
        card_page.get_by_text("職員がボランティアカードを読み取って", exact=False)
    ).to_be_visible()
    expect(card_page.get_by_role("button", name="チェックイン", exact=True)).to_have_count(0)
