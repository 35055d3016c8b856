"""Journey 1: a coordinator (signed in to the admin with TOTP) takes a phone request,
gets ranked suggestions with reasons, offers it; the volunteer accepts on their phone,
starts and finishes; the coordinator confirms and the fee is recorded."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.signin import sign_in
from tests.factories import DistrictFactory, UserFactory
from tests.volunteers.aid import resident, volunteer
from volunteers.models import Assignment, HelpRequest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_phone_request_to_confirmed_help(desk_page, phone_page):
    coordinator = UserFactory(roles=["coordinator"], full_name="鈴木 美咲")
    secret = generate_totp_secret()
    TOTP.activate(coordinator, secret)
    district = DistrictFactory(name="緑町")
    res = resident(
        district, full_name="小林 トメ", full_name_kana="コバヤシ トメ", address="緑町3-2-1"
    )
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    slot = ((tomorrow.weekday(), dt.time(9), dt.time(16)),)
    helper = volunteer(district, full_name="佐藤 健一", weekly=slot, home_district=district)
    volunteer(district, full_name="高橋 誠", weekly=slot)

    # The coordinator takes the call: finds the resident by kana, records the request.
    sign_in(desk_page, coordinator.email, secret=secret, start="/admin/")
    desk_page.goto("/admin/aid/")
    desk_page.get_by_label("フリガナ・電話番号・住所").fill("こばやし")
    desk_page.locator("#main").get_by_role("button", name="検索").click()  # not the sidebar's
    desk_page.get_by_role("link", name="依頼を受付").click()
    desk_page.locator("#id_category").select_option(label="買物支援")
    desk_page.locator("#id_day").fill(tomorrow.isoformat())
    desk_page.locator("#id_starts").fill("10:00")
    desk_page.locator("#id_ends").fill("11:00")
    desk_page.locator("#id_notes").fill("牛乳と卵をお願いします")
    desk_page.get_by_role("button", name="保存する").click()
    desk_page.wait_for_url(re.compile(r"/admin/aid/requests/\d+/$"))

    # Ranked suggestions with the reasons.
    rows = desk_page.locator("table.aid-suggestions tbody tr")
    assert rows.count() == 2
    assert "佐藤 健一" in rows.nth(0).inner_text()
    assert "同じ地区に住んでいる（+15）" in rows.nth(0).inner_text()
    assert "今月の担当0件" in rows.nth(1).inner_text()
    desk_page.get_by_role("button", name="チェックした方に打診を送る").click()
    expect(desk_page.get_by_text("2人のボランティアに打診しました。")).to_be_visible()
    req = HelpRequest.objects.get(resident=res)
    assert req.status == "offered"

    # The volunteer sees district, task and time, not the resident; accepts.
    sign_in(phone_page, helper.email)
    phone_page.goto("/me/offers/")
    offer = phone_page.locator("section.card").first
    assert "買物支援" in offer.inner_text() and "緑町" in offer.inner_text()
    assert "小林" not in phone_page.content()
    phone_page.get_by_role("button", name="引き受ける").click()
    phone_page.wait_for_url(re.compile(r"/me/assignments/\d+/$"))
    expect(phone_page.get_by_text("小林 トメ")).to_be_visible()
    expect(phone_page.get_by_text("緑町3-2-1")).to_be_visible()
    # A volunteer may start only near the planned time (START_EARLY_TOLERANCE): move
    # the window to half an hour from now, as if this were the morning of the help.
    soon = timezone.now() + dt.timedelta(minutes=30)
    window = {"starts_at": soon, "ends_at": soon + dt.timedelta(hours=1)}
    HelpRequest.objects.filter(pk=req.pk).update(**window)
    Assignment.objects.filter(request=req).update(**window)
    phone_page.get_by_role("button", name="活動開始").click()
    phone_page.get_by_role("button", name="活動終了").click()
    expect(phone_page.get_by_text("活動を終了しました。")).to_be_visible()
    assert "小林 トメ" not in phone_page.content()

    # The coordinator confirms: fee computed, cash recorded.
    # The taps above happened now; place them at the request's time (tomorrow 10:00),
    # inside the service hours that the fee counts.
    assignment = Assignment.objects.get(request=req)
    Assignment.objects.filter(pk=assignment.pk).update(
        started_at=req.starts_at, finished_at=req.starts_at + dt.timedelta(minutes=35)
    )
    desk_page.reload()
    assert desk_page.locator("#id_minutes").input_value() == "35"
    assert desk_page.locator("#id_cash_received_yen").input_value() == "400"
    desk_page.get_by_role("button", name="完了確認").last.click()
    expect(desk_page.get_by_text("完了を確認しました。利用料：400円")).to_be_visible()
    assignment.refresh_from_db()
    assert (assignment.status, assignment.fee_yen, assignment.cash_received_yen) == (
        "confirmed",
        400,
        400,
    )
