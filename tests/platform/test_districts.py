"""Districts in the back office: the settings page for city staff (kana search, closing
instead of deleting), the spreadsheet import with its dry run, and closed districts
left out of the forms that pick a district."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import District
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import resident
from volunteers.models import Resident

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/districts/import/"


@pytest.fixture
def city(client):
    return signed_in_back_office(client, UserFactory(roles=["city_staff"]))


@pytest.fixture
def desk(client, coordinator):
    return signed_in_back_office(client, coordinator)


def upload(text: str, name: str = "districts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


def options(html: str, name: str) -> dict[str, str]:
    """The options of the <select name=...>: value -> label."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))


def test_city_staff_list_search_by_kana_and_add(city):
    DistrictFactory(code="midori", name="緑小学校区", name_kana="ミドリ")
    DistrictFactory(code="hon", name="本町小学校区", name_kana="ホンマチ")
    home = city.get("/admin/").content.decode()
    assert "/admin/districts/" in home and IMPORT_URL in home  # in the settings menu
    listing = city.get("/admin/districts/")
    assert listing.status_code == 200 and IMPORT_URL in listing.content.decode()  # a button
    for query in ("みどり", "ﾐﾄﾞﾘ", "緑"):
        found = city.get("/admin/districts/", {"q": query}).content.decode()
        assert "緑小学校区" in found and "本町小学校区" not in found, query

    response = city.post(
        "/admin/districts/new/",
        {
            "code": "kita",
            "name": "北小学校区",
            "name_kana": "きた",
            "sort_order": 3,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    added = District.objects.get(code="kita")
    assert added.name_kana == "キタ" and added.is_active


def test_coordinator_cannot_open_districts(desk):
    DistrictFactory(code="midori")
    for url in ("/admin/districts/", "/admin/districts/new/", IMPORT_URL):
        response = desk.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "/admin/districts" not in response["Location"]
    assert desk.post(IMPORT_URL, {"file": upload("code,name,name_kana\na,A,ア\n")}).status_code in (
        302,
        403,
    )
    assert not District.objects.filter(code="a").exists()
    assert "/admin/districts/" not in desk.get("/admin/").content.decode()


def test_import_dry_run_then_import_then_reimport_updates(city):
    first = (
        "code,name,name_kana,sort_order,active\n"
        "minami,南小学校区,みなみ,1,1\n"
        "nishi,西小学校区,ﾆｼ,2,\n"  # hiragana and half-width kana; blank active is open
    )
    preview = city.post(IMPORT_URL, {"file": upload(first)})
    assert preview.status_code == 200
    assert (
        "新規 2 件" in preview.content.decode() and 'role="alert"' not in preview.content.decode()
    )
    assert not District.objects.exists()  # the preview writes nothing

    done = city.post(IMPORT_URL, {"file": upload(first), "confirm": "on"})
    assert done.status_code == 302
    assert {(d.code, d.name_kana, d.is_active) for d in District.objects.all()} == {
        ("minami", "ミナミ", True),
        ("nishi", "ニシ", True),
    }

    # The same codes again: updated in place (renamed, closed), nothing duplicated.
    second = (
        "code,name,name_kana,sort_order,active\n"
        "minami,南部小学校区,なんぶ,1,1\n"
        " nishi ,西小学校区,にし,2,0\n"  # a code typed with spaces still matches
    )
    city.post(IMPORT_URL, {"file": upload(second), "confirm": "on"})
    assert District.objects.count() == 2
    assert District.objects.get(code="minami").name == "南部小学校区"
    assert District.objects.get(code="nishi").is_active is False


def test_bad_rows_are_row_errors_and_nothing_is_written(city):
    DistrictFactory(code="kita", name="北小学校区", name_kana="キタ")
    bad = (
        "code,name,name_kana,sort_order,active\n"
        "higashi,東小学校区,Higashi,1,1\n"  # not kana
        "naka,中小学校区,ナカ,2,maybe\n"  # unknown active value
        "other,北小学校区,キタ,3,1\n"  # a name another district has
        ",名無し,ナナシ,4,1\n"  # no code
        "ok,良い小学校区,ヨイ,5,1\n"
    )
    response = city.post(IMPORT_URL, {"file": upload(bad), "confirm": "on"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "カタカナ" in html  # the kana error is shown against its row
    assert "maybe" in html
    assert District.objects.count() == 1  # all rows or none, even when confirmed

    unreadable = city.post(
        IMPORT_URL, {"file": SimpleUploadedFile("d.xlsx", b"not a workbook"), "confirm": "on"}
    )
    assert unreadable.status_code == 200 and District.objects.count() == 1


def test_closed_district_is_not_offered_but_kept_on_records_that_have_it(desk):
    open_ = DistrictFactory(code="open", name="開いた学区")
    closed = DistrictFactory(code="closed", name="閉じた学区", is_active=False)

    add = desk.get("/admin/aid_residents/new/").content.decode()
    offered = options(add, "district")
    assert str(open_.pk) in offered and str(closed.pk) not in offered

    fields = {
        "full_name": "田中 花子",
        "full_name_kana": "タナカ ハナコ",
        "gender": "female",
        "address": "本町1-1",
        "phone": "",
        "living": "alone",
        "active": "on",
    }
    refused = desk.post("/admin/aid_residents/new/", {**fields, "district": closed.pk})
    assert (
        refused.status_code == 200 and not Resident.objects.filter(full_name="田中 花子").exists()
    )

    old = resident(closed)
    edit = desk.get(f"/admin/aid_residents/edit/{old.pk}/").content.decode()
    offered = options(edit, "district")
    assert str(closed.pk) in offered and str(open_.pk) in offered
    kept = desk.post(
        f"/admin/aid_residents/edit/{old.pk}/",
        {**fields, "full_name": old.full_name, "district": closed.pk},
    )
    assert kept.status_code == 302
    old.refresh_from_db()
    assert old.district == closed


def test_volunteer_profile_offers_closed_districts_only_to_those_who_have_them(client):
    from tests.volunteers.aid import volunteer

    open_ = DistrictFactory(code="open", name="開いた学区")
    closed = DistrictFactory(code="closed", name="閉じた学区", is_active=False)
    newcomer = volunteer(open_)
    client.force_login(newcomer)
    page = client.get("/me/profile/").content.decode()
    assert f'value="{open_.pk}"' in page and "閉じた学区" not in page

    old_hand = volunteer(closed, full_name="古株 三郎")
    client.force_login(old_hand)
    page = client.get("/me/profile/").content.decode()
    assert "閉じた学区" in page and "開いた学区" in page


def test_association_page_form_offers_open_districts_only(client):
    from cms.models import DistrictIndexPage, HomePage

    index = HomePage.objects.get().add_child(instance=DistrictIndexPage(title="地域協議会"))
    open_ = DistrictFactory(code="open", name="開いた学区")
    closed = DistrictFactory(code="closed", name="閉じた学区", is_active=False)
    signed_in_back_office(client, UserFactory(is_superuser=True, is_staff=True))
    page = client.get(f"/admin/pages/add/cms/districtassociationpage/{index.pk}/")
    offered = options(page.content.decode(), "district")
    assert str(open_.pk) in offered and str(closed.pk) not in offered
