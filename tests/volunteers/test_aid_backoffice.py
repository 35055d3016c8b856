"""The coordinators' back office: board, resident search, intake, the request page
with suggestions and one-click steps, resident and volunteer pages, exports, the
dashboard panel, registration and spreadsheet import of volunteers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core import formats
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import category, resident, volunteer
from volunteers.models import Assignment, HelpRequest, Offer, VolunteerProfile
from volunteers.services.help_requests import assignment_finish, assignment_start, request_assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, coordinator):
    return signed_in_back_office(client, coordinator)


@pytest.fixture
def district():
    return DistrictFactory()


def today_at(hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour)))


def open_request(district, res=None, *, code: str = "shopping") -> HelpRequest:
    """A request received today for 10:00-11:00, written directly (no intake checks)."""
    return HelpRequest.objects.create(
        resident=res or resident(district),
        category=category(code),
        district=district,
        starts_at=today_at(10),
        ends_at=today_at(11),
    )


def test_resident_search_by_kana_phone_and_address(desk, district):
    found = resident(
        district, full_name_kana="コバヤシ トメ", phone="+81312345678", address="緑町3-2-1"
    )
    resident(district, full_name_kana="スズキ ハナ", phone="+81398765432", address="本町1-1")
    for query in ("こばやし", "ｺﾊﾞﾔｼ", "03-1234-5678", "緑町3"):
        page = desk.get("/admin/aid/", {"q": query}).content.decode()
        assert found.full_name in page and "スズキ" not in page, query
    listing = desk.get("/admin/aid_residents/", {"q": "こばやし"}).content.decode()
    assert found.full_name in listing


def test_intake_then_suggestions_then_offer_and_assign(desk, district):
    res = resident(district)
    weekday = timezone.localdate().weekday()
    helper = volunteer(
        district,
        full_name="佐藤 健一",
        weekly=((weekday, dt.time(9), dt.time(16)),),
        home_district=district,
    )
    other = volunteer(district, full_name="高橋 誠", weekly=((weekday, dt.time(9), dt.time(16)),))
    bad = desk.post(
        f"/admin/aid/residents/{res.pk}/intake/",
        {
            "category": category().pk,
            "day": timezone.localdate(),
            "starts": "07:00",
            "ends": "08:00",
            "channel": "phone",
        },
    )
    assert bad.status_code == 200 and "受付時間外" in bad.content.decode()
    response = desk.post(
        f"/admin/aid/residents/{res.pk}/intake/",
        {
            "category": category().pk,
            "day": timezone.localdate(),
            "starts": "13:00",
            "ends": "14:00",
            "channel": "phone",
            "notes": "牛乳と卵",
        },
    )
    req = HelpRequest.objects.get(resident=res)
    assert response.url == f"/admin/aid/requests/{req.pk}/"
    page = desk.get(response.url).content.decode()
    assert page.index("佐藤 健一") < page.index("高橋 誠")  # same district ranks first
    assert "同じ地区に住んでいる" in page

    desk.post(
        reverse("aid_request_offer", args=[req.pk]),
        {"action": "offer", "volunteers": [helper.pk, other.pk]},
    )
    assert Offer.objects.filter(request=req).count() == 2
    assert HelpRequest.objects.get(pk=req.pk).status == "offered"
    board = desk.get("/admin/aid/").content.decode()
    assert res.full_name in board

    desk.post(
        reverse("aid_request_assign", args=[req.pk]), {"action": "assign", "volunteer": other.pk}
    )
    assignment = Assignment.objects.get(request=req)
    assert assignment.volunteer == other
    statuses = dict(Offer.objects.filter(request=req).values_list("volunteer_id", "status"))
    assert statuses == {helper.pk: "taken", other.pk: "accepted"}

    assignment_start(assignment=assignment, actor=other, at=today_at(13))
    assignment_finish(
        assignment=assignment, actor=other, at=today_at(13) + dt.timedelta(minutes=25)
    )
    page = desk.get(response.url).content.decode()
    assert 'name="minutes"' in page and 'value="25"' in page and 'value="300"' in page
    bad = desk.post(
        reverse("aid_request_confirm", args=[req.pk]),
        {"action": "confirm", "minutes": "-1", "cash_received_yen": ""},
    )
    assert bad.status_code == 400
    desk.post(
        reverse("aid_request_confirm", args=[req.pk]),
        {"action": "confirm", "minutes": "25", "cash_received_yen": "300"},
    )
    assignment.refresh_from_db()
    assert (assignment.status, assignment.fee_yen, assignment.cash_received_yen) == (
        "confirmed",
        300,
        300,
    )
    again = desk.post(
        reverse("aid_request_confirm", args=[req.pk]),
        {"action": "confirm", "minutes": "25", "cash_received_yen": "300"},
    )
    assert again.status_code == 302  # refused with a message, not a 500
    history = desk.get(f"/admin/aid/residents/{res.pk}/").content.decode()
    assert "高橋 誠" in history and "300円" in history
    volunteer_page = desk.get(f"/admin/aid/volunteers/{other.pk}/").content.decode()
    assert res.full_name in volunteer_page


def test_exports_and_dashboard(desk, district, coordinator):
    res = resident(district)
    open_request(district, res, code="trash")
    # Residents' names: the export asks why first (see test_personal_data_access).
    response = desk.post("/admin/aid/requests/?export=csv", {"reason": "月次報告"})
    csv = b"".join(response.streaming_content).decode("utf-8-sig")
    assert res.full_name in csv and district.name in csv
    assert f"{formats.date(timezone.localdate())} 10:00," in csv  # local, no +00:00
    assert str(HelpRequest.Status.REQUESTED.label) in csv
    helper = volunteer(
        district,
        full_name="森 さくら",
        weekly=((timezone.localdate().weekday(), dt.time(9), dt.time(16)),),
    )
    assignment = request_assign(
        help_request=HelpRequest.objects.get(resident=res), volunteer=helper, actor=coordinator
    )
    rows = xlsx_rows(desk, "/admin/aid/assignments/?export=xlsx")
    assert rows[0][:6] == ("番号", "依頼", "開始", "支援の種類", "地区", "ボランティア")
    (row,) = rows[1:]
    assert row[:2] == (assignment.pk, assignment.request_id)
    # A real date cell, in the wall-clock time the board shows (Wagtail writes UTC).
    assert row[2] == dt.datetime.combine(timezone.localdate(), dt.time(10))
    assert row[3:7] == (
        category("trash").name,
        district.name,
        "森 さくら",
        str(Assignment.Status.ASSIGNED.label),  # the label, not the stored value
    )
    assert set(row[7:]) <= {None, ""}  # not confirmed yet: no minutes, fee or cash
    requests = xlsx_rows(desk, "/admin/aid/requests/?export=xlsx", reason="月次報告")
    assert len(requests) == 2 and res.full_name in requests[1]
    home = desk.get("/admin/").content.decode()
    assert "今月の依頼" in home and category("trash").name in home and district.name in home


def xlsx_rows(client, url, reason=None) -> list[tuple]:
    """The first sheet of an XLSX download, as rows of cell values (an export of
    residents' details is POSTed with its reason)."""
    import io

    import openpyxl

    response = client.get(url) if reason is None else client.post(url, {"reason": reason})
    assert response.status_code == 200
    body = b"".join(response) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_back_office_is_for_coordinators_only(client, district):
    staff = signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    res = resident(district)
    # Wagtail answers a refused admin view with a redirect to the dashboard.
    for url in ("/admin/aid/", f"/admin/aid/residents/{res.pk}/", "/admin/aid/requests/"):
        response = staff.get(url)
        assert response.status_code in (302, 403), url
        assert res.full_name not in response.content.decode()
    # City staff see the month's totals (issue #17: the city saw nothing of the
    # centre), never a resident, and no way into the coordinators' board.
    dashboard = staff.get("/admin/").content.decode()
    assert "今月の依頼" in dashboard and "/admin/reports/annual/" in dashboard
    assert res.full_name not in dashboard and 'href="/admin/aid/"' not in dashboard


def test_register_a_volunteer_without_a_smartphone_and_edit_the_profile(desk, district):
    response = desk.post(
        "/admin/aid/volunteers/register/",
        {"full_name": "木村 進", "full_name_kana": "きむら すすむ", "phone": ""},
    )
    user = UserFactory._meta.model.objects.get(full_name="木村 進")
    assert response.url == f"/admin/aid/volunteers/{user.pk}/" and not user.can_sign_in
    response = desk.post(
        response.url,
        {
            "skills": [category("trash").pk],
            "districts": [district.pk],
            "day0_starts": "08:00",
            "day0_ends": "10:00",
            "insurance_valid_until": "2031-03-31",
            "active": "on",
        },
    )
    assert response.status_code == 302
    profile = VolunteerProfile.objects.get(user=user)
    assert profile.insurance_valid_until == dt.date(2031, 3, 31) and profile.active


def test_volunteer_import_previews_then_imports(desk, district):
    rows = (
        "full_name,full_name_kana,phone,email,home_district,districts,skills,has_car,"
        "insurance_valid_until,languages,weekly\n"
        f"中村 陽子,ナカムラ ヨウコ,,yoko@example.jp,{district.code},{district.code},"
        "shopping escort,はい,2031-03-31,日本語,mon 09:00-12:00; 木 13:00-16:00\n"
        f"小川 隆,オガワ タカシ,09012345678,,{district.code},{district.code},trash,0,"
        "2031-03-31,,tue 08:00-10:00\n"
    )
    upload = lambda text: SimpleUploadedFile("v.csv", text.encode("utf-8-sig"))  # noqa: E731
    preview = desk.post("/admin/aid/volunteers/import/", {"file": upload(rows)})
    assert preview.status_code == 200 and not VolunteerProfile.objects.exists()
    broken = rows.replace("shopping escort", "shopping flying")
    failed = desk.post("/admin/aid/volunteers/import/", {"file": upload(broken), "confirm": "on"})
    assert failed.status_code == 200 and not VolunteerProfile.objects.exists()
    done = desk.post("/admin/aid/volunteers/import/", {"file": upload(rows), "confirm": "on"})
    assert done.status_code == 302
    yoko = VolunteerProfile.objects.get(user__email="yoko@example.jp")
    assert yoko.has_car and sorted(s.code for s in yoko.skills.all()) == ["escort", "shopping"]
    assert [(w.weekday, w.starts.hour) for w in yoko.weekly.all()] == [(0, 9), (3, 13)]
    takashi = VolunteerProfile.objects.get(user__full_name="小川 隆")
    assert takashi.user.email is None and takashi.user.has_role("volunteer")
    VolunteerProfile.objects.filter(pk=yoko.pk).update(active=False, gender="female")
    desk.post("/admin/aid/volunteers/import/", {"file": upload(rows), "confirm": "on"})
    assert VolunteerProfile.objects.count() == 2  # re-import updates
    yoko.refresh_from_db()
    # Columns the sheet does not have are kept: no volunteer is silently reactivated.
    assert (yoko.active, yoko.gender) == (False, "female")


def test_coordinator_records_start_finish_and_no_show_for_a_volunteer(desk, district, coordinator):
    from tests.volunteers.aid import help_request

    weekday = timezone.localdate().weekday()
    helper = volunteer(district, weekly=((weekday, dt.time(9), dt.time(16)),))
    req = open_request(district)
    request_assign(help_request=req, volunteer=helper, actor=coordinator)
    desk.post(reverse("aid_request_start", args=[req.pk]), {"action": "start"})
    desk.post(reverse("aid_request_finish", args=[req.pk]), {"action": "finish"})
    assert Assignment.objects.get(request=req).status == "done"
    other = help_request(coordinator, resident(district), start=today_at(13), end=today_at(14))
    refused = desk.post(
        reverse("aid_request_assign", args=[other.pk]),
        {"action": "assign", "volunteer": "not-a-number"},
    )
    assert refused.status_code == 404
    assert HelpRequest.objects.get(pk=other.pk).status == "requested"
    assert not Assignment.objects.filter(request=other).exists()
    request_assign(help_request=other, volunteer=helper, actor=coordinator)
    desk.post(reverse("aid_request_no_show", args=[other.pk]), {"action": "no_show"})
    assert HelpRequest.objects.get(pk=other.pk).status == "no_show"
    board = desk.get("/admin/aid/").content.decode()
    assert board.index(req.resident.full_name) > 0  # done, waiting for confirmation


def test_seed_demo_makes_a_monday_morning_board_once(capsys):
    from django.core.management import call_command

    from volunteers.selectors.help_requests import requests_board

    call_command("seed_demo")
    counts = (HelpRequest.objects.count(), VolunteerProfile.objects.count())
    call_command("seed_demo")
    assert (HelpRequest.objects.count(), VolunteerProfile.objects.count()) == counts
    board = list(requests_board())
    statuses = [r.status for r in board]
    first_other = next(i for i, s in enumerate(statuses) if s not in ("requested", "offered"))
    assert {"requested", "offered"} <= set(statuses[:first_other])
    assert not {"requested", "offered"} & set(statuses[first_other:])
    assert {"assigned", "done"} <= set(statuses)
    assert HelpRequest.objects.filter(status="confirmed").count() >= 4
    assert HelpRequest.objects.filter(channel="standing").exists()
    assert "today's board" in capsys.readouterr().out


def test_a_resident_with_requests_cannot_be_deleted_and_it_is_not_a_500(desk, district):
    res = resident(district)
    open_request(district, res)
    response = desk.post(f"/admin/aid_residents/delete/{res.pk}/")
    assert response.status_code < 500
    assert HelpRequest.objects.filter(resident=res).exists()


def test_coordinator_marks_a_day_away_for_a_volunteer(desk, district, coordinator):
    from volunteers.selectors.profiles import eligible_volunteers

    weekday = timezone.localdate().weekday()
    helper = volunteer(district, weekly=((weekday, dt.time(9), dt.time(16)),))
    req = open_request(district)
    assert eligible_volunteers(req).exists()
    response = desk.post(
        f"/admin/aid/volunteers/{helper.pk}/away/", {"date": timezone.localdate().isoformat()}
    )
    assert response.url == f"/admin/aid/volunteers/{helper.pk}/"
    assert not eligible_volunteers(req).exists()
    page = desk.get(response.url).content.decode()
    (mark,) = helper.volunteer_profile.exceptions.all()
    assert f'name="remove" value="{mark.pk}"' in page

    # The volunteer phones again: they can help after all.
    away = f"/admin/aid/volunteers/{helper.pk}/away/"
    assert desk.post(away, {"remove": "x"}).url == response.url  # refused, no 500
    assert desk.post(away, {"remove": str(mark.pk)}).url == response.url
    assert not helper.volunteer_profile.exceptions.exists()
    assert eligible_volunteers(req).exists()


def test_steps_on_a_request_without_a_volunteer_are_refused_not_a_500(desk, district):
    req = open_request(district)
    for data in (
        {"action": "confirm", "minutes": "20", "cash_received_yen": "200"},
        {"action": "start"},
        {"action": "finish"},
        {"action": "no_show"},
    ):
        response = desk.post(reverse(f"aid_request_{data['action']}", args=[req.pk]), data)
        assert response.status_code == 302, data
    assert HelpRequest.objects.get(pk=req.pk).status == "requested"
    assert desk.get("/admin/aid/requests/999999/").status_code == 404


def test_offers_go_only_to_volunteers(desk, district, coordinator):
    helper = volunteer(district)
    req = open_request(district)
    url = f"/admin/aid/requests/{req.pk}/"
    # A tampered form with someone who is not a volunteer: refused as a whole, said so.
    refused = desk.post(
        reverse("aid_request_offer", args=[req.pk]),
        {"action": "offer", "volunteers": [helper.pk, coordinator.pk]},
    )
    assert refused.status_code == 302 and not Offer.objects.filter(request=req).exists()
    assert "活動中のボランティアとして登録されていない" in desk.get(url).content.decode()
    desk.post(
        reverse("aid_request_offer", args=[req.pk]),
        {"action": "offer", "volunteers": [helper.pk, "x", "99999999999999"]},
    )
    assert list(Offer.objects.filter(request=req).values_list("volunteer_id", flat=True)) == [
        helper.pk
    ]


@pytest.mark.parametrize("role", ["city_staff", "shop_staff", "district_editor"])
def test_other_staff_never_see_residents(client, district, role):
    staff = signed_in_back_office(client, UserFactory(roles=[role]))
    res = resident(district, full_name="小林 トメ")
    req = open_request(district, res)
    for url in (
        "/admin/aid/",
        f"/admin/aid/?q={res.full_name_kana}",
        f"/admin/aid/residents/{res.pk}/",
        f"/admin/aid/residents/{res.pk}/intake/",
        f"/admin/aid/requests/{req.pk}/",
        "/admin/aid/requests/",
        "/admin/aid/requests/?export=csv",
        "/admin/aid/assignments/?export=csv",
        "/admin/aid_residents/",
        f"/admin/aid_residents/edit/{res.pk}/",
        "/admin/aid_standing/",
    ):
        response = staff.get(url)
        assert response.status_code in (302, 403), url
        body = b"".join(response) if response.streaming else response.content
        assert res.full_name.encode() not in body, url
    refused = staff.post(reverse("aid_request_cancel", args=[req.pk]), {"action": "cancel"})
    assert refused.status_code in (302, 403)
    assert HelpRequest.objects.get(pk=req.pk).status == "requested"


def test_the_resident_page_shows_who_has_seen_the_details(desk, district, coordinator):
    from django.test import Client

    helper = volunteer(district, full_name="森 さくら")
    req = open_request(district)
    assignment = request_assign(help_request=req, volunteer=helper, actor=coordinator)
    url = f"/admin/aid/residents/{req.resident_id}/"
    nobody = "この方の情報を開いたボランティアはまだいません"
    assert nobody in desk.get(url).content.decode()
    phone = Client()
    phone.force_login(helper)
    assert phone.get(f"/me/assignments/{assignment.pk}/").status_code == 200
    page = desk.get(url).content.decode()
    log = page[page.index("この方の情報を見た人") :]
    assert nobody not in log and "森 さくら" in log and "Webページ" in log


def test_moving_a_skipped_date_cancels_the_request_of_the_new_date(desk, coordinator):
    from tests.volunteers.aid import DAY
    from volunteers.models import StandingRequest
    from volunteers.services.standing import standing_requests_generate, standing_skip_add

    standing = StandingRequest.objects.create(
        resident=resident(DistrictFactory()),
        category=category("trash"),
        weekdays=[1, 4],
        starts=dt.time(8),
        duration_minutes=20,
        first_date=DAY,
    )
    standing_requests_generate(today=DAY, days=3)  # Tue 4 and Fri 7
    skip = standing_skip_add(standing=standing, date=DAY, actor=coordinator)
    friday = DAY + dt.timedelta(3)
    response = desk.post(
        f"/admin/aid_skips/edit/{skip.pk}/", {"standing": standing.pk, "date": friday}
    )
    assert response.status_code == 302
    cancelled = HelpRequest.objects.filter(standing=standing, status="cancelled")
    assert {timezone.localtime(r.starts_at).date() for r in cancelled} == {DAY, friday}


@pytest.mark.parametrize("base", ["/admin/aid/requests/", "/admin/aid/assignments/"])
@pytest.mark.parametrize(
    "query",
    [
        "starts_at_after=not-a-date&starts_at_before=2030-13-45",
        "category=abc&district=99999999999999999999&status=flying",
        "page=abc",
        "export=csv&starts_at_after=nope",
        "export=xlsx&status=nope",
        "ordering=-nonexistent",
    ],
)
def test_reports_answer_bad_filters_without_a_500(desk, base, query):
    assert desk.get(f"{base}?{query}").status_code < 500


def test_amounts_and_counts_follow_the_language(desk, district, coordinator):
    from django.test import Client
    from wagtail.users.models import UserProfile

    from volunteers.services.help_requests import assignment_confirm, offer_accept

    weekday = timezone.localdate().weekday()
    helper = volunteer(
        district, full_name="森 さくら", weekly=((weekday, dt.time(9), dt.time(16)),)
    )
    req = open_request(district)
    url = f"/admin/aid/requests/{req.pk}/"
    pages = (url, f"/admin/aid/residents/{req.resident_id}/", f"/admin/aid/volunteers/{helper.pk}/")
    profile = UserProfile.get_for_user(coordinator)
    profile.preferred_language = "en"
    profile.save()
    page = desk.post(
        reverse("aid_request_offer", args=[req.pk]),
        {"action": "offer", "volunteers": [helper.pk]},
        follow=True,
    )
    assert "Offered to 1 volunteer." in page.content.decode()
    assignment = offer_accept(offer=Offer.objects.get(request=req), volunteer=helper)
    assignment_start(assignment=assignment, actor=helper, at=today_at(10))
    assignment_finish(
        assignment=assignment, actor=helper, at=today_at(10) + dt.timedelta(minutes=25)
    )
    assignment_confirm(
        assignment=assignment,
        actor=coordinator,
        cash_received_yen=200,
        minutes=25,
        cash_note="100円は次回",
    )
    english = [desk.get(u).content.decode() for u in pages]
    assert "¥300 (cash received: ¥200)" in english[0]
    assert all("¥300" in html and "300円" not in html for html in english)
    profile.preferred_language = "ja"
    profile.save()
    japanese = [desk.get(u).content.decode() for u in pages]
    assert "300円（受領額 200円）" in japanese[0]
    assert all("300円" in html and "¥300" not in html for html in japanese)

    phone = Client()
    phone.force_login(helper)
    mine = f"/me/assignments/{assignment.pk}/"
    assert "300円" in phone.get(mine).content.decode()
    phone.cookies["django_language"] = "en"
    assert "¥300" in phone.get(mine).content.decode()


def test_the_standing_request_list_names_the_weekdays(desk, district):
    from django.utils import translation

    from volunteers.models import StandingRequest, StandingRequestSkip

    StandingRequest.objects.create(
        resident=resident(district),
        category=category("trash"),
        weekdays=[4, 1],
        starts=dt.time(8),
        first_date=timezone.localdate(),
    )
    listing = desk.get("/admin/aid_standing/").content.decode()
    assert "火曜日・金曜日" in listing and "[4, 1]" not in listing
    with translation.override("ja"):
        assert str(StandingRequestSkip._meta.get_field("standing").verbose_name) == "定期依頼"
