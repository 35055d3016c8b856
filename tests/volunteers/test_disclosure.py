"""Disclosure of everything held about one person (issue #19, item 4), through the
city staff's pages: the file holds every record about the person (checked against the
database, table by table) and nothing about anyone else, and each disclosure is
logged with the request's reference."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client

from points.models import EarningRule, Entry, ExpiryNotice, Shop, Voucher
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from volunteers.models import (
    Activity,
    Assignment,
    ConsentRecord,
    HelpRequest,
    Offer,
    PersonalDataAccess,
    PledgeRecord,
    ResidentAccessLog,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(coordinator):
    from tests.volunteers.people import person_with_history

    rule = EarningRule.objects.create(
        activity_kind="salon", name="サロン", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    shop = Shop.objects.create(name="みどり商店", address="緑町9-9", district=DistrictFactory())
    return (
        person_with_history(coordinator, "甲", shop=shop, rule=rule),
        person_with_history(coordinator, "乙", shop=shop, rule=rule),
    )


@pytest.fixture
def city():
    staff = UserFactory(roles=["city_staff"], full_name="市役所 太郎")
    return signed_in_back_office(Client(), staff)


def workbook(response) -> dict[str, list[tuple]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return {
        sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }


def cells(sheets) -> str:
    return "\n".join(
        str(value) for rows in sheets.values() for row in rows for value in row if value
    )


def body(sheets, title) -> list[tuple]:
    rows = sheets[title]
    return rows[1:]  # under the headings


def test_a_residents_file_holds_every_record_about_them_and_nothing_else(city, coordinator, people):
    me, other = people
    res = me.resident
    response = city.post(
        f"/admin/aid/personal-data/residents/{res.pk}/",
        {"reference": "開示請求 第12号", "output": "xlsx"},
    )
    sheets = workbook(response)
    record = dict(body(sheets, "登録内容"))
    assert record["氏名"] == "甲田 花子" and record["住所"] == "甲町1-2-3"
    assert record["緊急連絡先"] == "甲田 長男 090-0000-0000"
    assert "甲の耳が遠い" in record.values() and "03-1234-0000" in record.values()

    # Every row about them, table by table, against the database.
    requests = body(sheets, "依頼")
    assert sorted(r[0] for r in requests) == sorted(
        HelpRequest.objects.filter(resident=res).values_list("pk", flat=True)
    )
    help_rows = body(sheets, "受けた支援と利用料")
    db_help = Assignment.objects.filter(request__resident=res)
    assert sorted((r[0], r[5], r[6]) for r in help_rows) == sorted(
        db_help.values_list("request_id", "fee_yen", "cash_received_yen")
    )
    assert (
        len(body(sheets, "情報提供への同意")) == ConsentRecord.objects.filter(resident=res).count()
    )
    assert (
        len(body(sheets, "担当ボランティアによる閲覧"))
        == (ResidentAccessLog.objects.filter(resident=res).count())
        > 0
    )
    staff_rows = body(sheets, "職員による閲覧・印刷・出力")
    assert len(staff_rows) == PersonalDataAccess.objects.filter(resident=res).count()
    assert ("本人に開示", "開示請求 第12号") in [(r[1], r[2]) for r in staff_rows]

    # Nothing about anyone else: the other resident, the volunteer, the staff.
    text = cells(sheets)
    for theirs in (
        other.resident.full_name,
        other.resident.address,
        "乙の耳が遠い",
        "乙牛乳",
        "乙田",
        me.helper.full_name,
        me.helper.email,
        coordinator.full_name,
        "市役所 太郎",
    ):
        assert theirs and theirs not in text, theirs
    # Nor their requests (by number, in the number columns).
    theirs = set(HelpRequest.objects.filter(resident=other.resident).values_list("pk", flat=True))
    numbers = {r[0] for r in requests} | {r[0] for r in help_rows}
    assert theirs and not numbers & theirs

    entry = PersonalDataAccess.objects.get(resident=res, action="disclose")
    assert entry.reason == "開示請求 第12号" and entry.resource.endswith(f"/residents/{res.pk}/")


def test_a_volunteers_file_holds_their_points_vouchers_and_help_but_no_resident(city, people):
    me, other = people
    user = me.helper
    response = city.post(
        f"/admin/aid/personal-data/volunteers/{user.pk}/",
        {"reference": "開示請求 第13号", "output": "xlsx"},
    )
    sheets = workbook(response)
    account = dict(body(sheets, "アカウント"))
    assert account["氏名"] == "甲山 一郎" and account["メールアドレス"] == user.email
    assert str(account["生年月日"]).startswith("1950-01-02")

    points = body(sheets, "ポイント")
    db_entries = Entry.objects.filter(account__owner=user).order_by("pk")
    assert [r[2] for r in points] == list(db_entries.values_list("amount", flat=True))
    assert sum(r[2] for r in points) > 0
    vouchers = body(sheets, "商品券")
    assert sorted((r[1], r[2], r[6] or "") for r in vouchers) == sorted(
        (v.points, v.face_value_yen, v.shop.name if v.shop_id else "")
        for v in Voucher.objects.filter(owner=user)
    )
    assert "みどり商店" in [r[6] for r in vouchers]  # the one used, and where
    assert len(body(sheets, "担当した支援")) == Assignment.objects.filter(volunteer=user).count()
    assert len(body(sheets, "打診された依頼")) == Offer.objects.filter(volunteer=user).count()
    assert len(body(sheets, "会場での活動")) == Activity.objects.filter(volunteer=user).count()
    assert len(body(sheets, "守秘義務誓約")) == PledgeRecord.objects.filter(volunteer=user).count()
    # Their choice about expiry notices, and every notice about them (none yet here).
    assert ExpiryNotice.objects.filter(user=user).count() == 0
    assert [row[-1] for row in body(sheets, "有効期限のお知らせ")] == ["はい"]
    assert ("本人に開示", "開示請求 第13号") in [
        (r[1], r[2]) for r in body(sheets, "職員による閲覧・印刷・出力")
    ]

    text = cells(sheets)
    for theirs in (
        me.resident.full_name,  # whom they helped
        me.resident.address,
        "甲牛乳",
        other.helper.full_name,
        other.helper.email,
        *me.codes,  # voucher codes are money, not disclosed
        *other.codes,
    ):
        assert theirs not in text, theirs
    assert PersonalDataAccess.objects.filter(subject=user, action="disclose").count() == 1


def test_the_printable_page_shows_the_same_and_is_logged(city, people):
    me, _ = people
    page = city.post(
        f"/admin/aid/personal-data/residents/{me.resident.pk}/",
        {"reference": "開示請求 第14号", "output": "page"},
    )
    html = page.content.decode()
    assert page.status_code == 200 and "甲田 花子 さんについて保有する情報" in html
    assert "甲町1-2-3" in html and "受付番号：開示請求 第14号" in html and "size: A4" in html
    assert "乙田" not in html and me.helper.full_name not in html
    # A reference is required: without one, nothing is shown or logged.
    missing = city.post(f"/admin/aid/personal-data/residents/{me.resident.pk}/", {"output": "page"})
    assert missing.status_code == 200 and "甲町1-2-3" not in missing.content.decode()
    assert PersonalDataAccess.objects.filter(action="disclose").count() == 1


def test_city_staff_find_the_person_by_kana_and_each_shown_resident_is_logged(city, people):
    me, other = people
    page = city.post("/admin/aid/personal-data/", {"q": "甲田"}).content.decode()
    assert "甲田 花子" in page and "乙田 花子" not in page
    assert f"/admin/aid/personal-data/residents/{me.resident.pk}/" in page
    logged = PersonalDataAccess.objects.filter(resident=me.resident, action="view")
    assert logged.filter(resource__contains="aid_personal_data").count() == 1
    found = city.post("/admin/aid/personal-data/", {"q": "甲山"}).content.decode()
    assert f"/admin/aid/personal-data/volunteers/{me.helper.pk}/" in found
    # One character is too little to tell people apart: a field error, nobody listed.
    short = city.post("/admin/aid/personal-data/", {"q": "甲"}).content.decode()
    assert "2 文字" in short and "甲田 花子" not in short


def test_a_volunteers_file_holds_their_insurance_training_and_line_link(city, people, coordinator):
    """Insurance enrolments (with the address and certificate the insurer got), training
    attendance and a linked LINE account are personal data too: each is in the file,
    and the other volunteer's are not."""
    import datetime as dt

    from allauth.socialaccount.models import SocialAccount
    from django.utils import timezone

    from volunteers.models import InsuranceEnrolment, TrainingAttendance, TrainingSession

    me, other = people
    for person, certificate, address in (
        (me.helper, "A-111", "甲町保険1-1"),
        (other.helper, "B-999", "乙町保険9-9"),
    ):
        for year in (2024, 2025):
            InsuranceEnrolment.objects.create(
                volunteer=person,
                fiscal_year=year,
                enrolled_on=dt.date(year, 4, 1),
                plan="基本タイプ",
                certificate_number=f"{certificate}-{year}",
                address=address,
                recorded_by=coordinator,
                status="cancelled" if year == 2025 and person == me.helper else "enrolled",
                cancelled_on=dt.date(2025, 9, 30) if year == 2025 else None,
            )
    first = TrainingSession.objects.create(
        title="新任研修", starts_at=timezone.now() - dt.timedelta(days=30), place="市民会館"
    )
    second = TrainingSession.objects.create(
        title="救命講習（AED）", starts_at=timezone.now() - dt.timedelta(days=5)
    )
    TrainingAttendance.objects.create(
        session=first, volunteer=me.helper, attended=True, recorded_by=coordinator
    )
    TrainingAttendance.objects.create(
        session=second, volunteer=me.helper, attended=False, recorded_by=coordinator
    )
    TrainingAttendance.objects.create(
        session=second, volunteer=other.helper, attended=True, recorded_by=coordinator
    )
    SocialAccount.objects.create(
        user=me.helper, provider="line", uid="U-me", extra_data={"name": "こうやま"}
    )
    SocialAccount.objects.create(
        user=other.helper, provider="line", uid="U-other", extra_data={"name": "おつやま"}
    )

    sheets = workbook(
        city.post(
            f"/admin/aid/personal-data/volunteers/{me.helper.pk}/",
            {"reference": "開示請求 第14号", "output": "xlsx"},
        )
    )
    assert sheets["ボランティア活動保険"][0][:4] == ("年度", "加入日", "プラン", "加入者証番号")
    insurance = body(sheets, "ボランティア活動保険")
    assert [(r[3], r[4], r[6], r[7]) for r in insurance] == [
        ("A-111-2024", "甲町保険1-1", "加入中", None),
        ("A-111-2025", "甲町保険1-1", "取消", dt.datetime(2025, 9, 30)),
    ]
    training = body(sheets, "研修")
    assert [(r[0], r[2], r[3]) for r in training] == [
        ("新任研修", "市民会館", "はい"),
        ("救命講習（AED）", None, "いいえ"),
    ]
    assert dict(body(sheets, "アカウント"))["連携しているLINEアカウント"] == "line: こうやま"
    text = cells(sheets)
    for theirs in ("B-999", "乙町保険9-9", "おつやま", "U-me"):
        assert theirs not in text, theirs
