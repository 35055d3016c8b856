"""A resident's details from leaving to erasure, in Chromium (issue #19): the coordinator
records that she died, city staff answer her family's disclosure request with an A4
print (read back from the PDF) and then erase her details, refused first while money
is still owed for her last visit."""

from __future__ import annotations

import io
import unicodedata

import pdfplumber
import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from points.models import EarningRule, Shop
from tests.browser.conftest import RESULTS
from tests.browser.signin import sign_in
from tests.factories import DistrictFactory, UserFactory
from tests.volunteers.people import person_with_history
from volunteers.models import PersonalDataAccess, Resident

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

SHOTS = RESULTS / "personal-data"
MM = 72 / 25.4  # PDF points per millimetre


def staff(roles, name):
    user = UserFactory(roles=roles, full_name=name)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_leaving_disclosure_on_paper_and_erasure(desk_page, chromium, live_server):
    coordinator, coordinator_secret = staff(["coordinator"], "鈴木 美咲")
    city, city_secret = staff(["city_staff"], "市川 直人")
    rule = EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    shop = Shop.objects.create(name="みどり商店", address="緑町9-9", district=DistrictFactory())
    her = person_with_history(coordinator, "甲", shop=shop, rule=rule)
    person_with_history(coordinator, "乙", shop=shop, rule=rule)
    res = her.resident

    # The coordinator, on the phone with her family, records that she died.
    page = desk_page
    sign_in(page, coordinator.email, secret=coordinator_secret, start="/admin/")
    page.goto(f"/admin/aid/residents/{res.pk}/")
    page.get_by_role("link", name="利用終了を記録").click()
    page.get_by_label("死亡").check()
    page.get_by_role("button", name="利用終了を記録する").click()
    page.wait_for_load_state()
    shot(page, "01-left")
    assert page.get_by_role("status").filter(has_text="利用を終了しました").count() == 1
    assert Resident.objects.get(pk=res.pk).left_reason == "deceased"

    # City staff find her, and print what is held about her.
    context = chromium.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", base_url=live_server.url
    )
    desk = context.new_page()
    sign_in(desk, city.email, secret=city_secret, start="/admin/")
    desk.goto("/admin/aid/personal-data/")
    desk.get_by_label("氏名・フリガナ・電話番号・メールアドレス").fill("甲田")
    desk.locator("#main").get_by_role("button", name="検索").click()
    desk.wait_for_load_state()
    shot(desk, "02-found")
    assert desk.get_by_text("乙田 花子").count() == 0
    desk.get_by_role("link", name="開示", exact=True).first.click()
    desk.get_by_label("請求の受付番号・内容").fill("開示請求 第7号（長男、戸籍謄本で確認）")
    desk.get_by_role("button", name="作成する").click()
    desk.wait_for_load_state()
    shot(desk, "03-disclosure")
    desk.emulate_media(media="print")
    pdf = desk.pdf(format="A4", print_background=True)
    (SHOTS / "disclosure.pdf").write_bytes(pdf)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        # NFKC: the CJK font's glyphs come back as Kangxi radicals (⽥ for 田); lines
        # are joined because a long cell wraps.
        text = unicodedata.normalize(
            "NFKC", "".join(p.extract_text() or "" for p in document.pages)
        ).replace("\n", "")
        sizes = {(round(p.width / MM), round(p.height / MM)) for p in document.pages}
    assert sizes == {(210, 297)}  # A4 portrait, in millimetres
    for expected in ("甲田 花子", "甲町1-2-3", "開示請求 第7号", "甲の耳が遠い", "死亡"):
        assert expected in text, expected
    for absent in ("乙田", "甲山 一郎", "鈴木 美咲", *her.codes):
        assert absent not in text, absent

    # Her family asks for erasure: refused while her last visit is unpaid, then done.
    desk.emulate_media(media="screen")
    desk.goto(f"/admin/aid/personal-data/residents/{res.pk}/erase/")
    assert desk.get_by_role("alert").filter(has_text="未収の利用料が 1 件").count() == 1
    shot(desk, "04-erase-refused")
    page.goto("/admin/aid/owed/")
    page.locator(f"button[name=settle][value='{her.assignments[1].pk}']").click()
    page.wait_for_load_state()
    desk.goto(f"/admin/aid/personal-data/residents/{res.pk}/erase/")
    desk.get_by_label("請求の受付番号・内容").fill("消去請求 第2号")
    desk.get_by_label("元に戻せないことを理解しました。").check()
    desk.get_by_role("button", name="消去").click()
    desk.wait_for_load_state()
    shot(desk, "05-erased")
    erased = Resident.objects.get(pk=res.pk)
    assert erased.anonymised_at is not None and erased.address == ""
    page.goto(f"/admin/aid/residents/{res.pk}/")
    shot(page, "06-erased-resident-page")
    assert "甲町" not in page.content() and "消去しました" in page.content()
    assert PersonalDataAccess.objects.filter(resident=res, action="erase").count() == 1
    context.close()
