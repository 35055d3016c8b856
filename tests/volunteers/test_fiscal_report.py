"""The fiscal-year report and its open data (issue 17, items 1 and 7), on a generated
year of the centre's work: volunteers by age and district, activities and hours,
requests by category, district and month, fees and cash. Every total is checked
against a plain Python sum over the rows made; then the page, its XLSX, its print
and the open-data CSV are read back as each role gets them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter
from dataclasses import dataclass

import openpyxl
import pytest
from django.test import Client

from accounts.validators import age_on
from core.stats import Period
from points.models import Transaction
from tests.factories import DistrictFactory, UserFactory
from tests.points.fiscal_year import TOKYO, at, award, build_points_year
from tests.points.support import EarningRuleFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import resident
from volunteers.models import (
    Activity,
    Assignment,
    HelpCategory,
    HelpRequest,
    Place,
    VolunteerProfile,
)
from volunteers.selectors.fiscal import AGE_BANDS, centre_fiscal

pytestmark = pytest.mark.django_db

SEED = 17
FY = Period.fiscal(2026)
START, END = at(2026, 4, 1, 0), at(2027, 4, 1, 0)
URL = "/admin/reports/annual/"


def inside(moment) -> bool:
    return START <= moment < END


@dataclass
class CentreYear:
    volunteers: list
    residents: list
    coordinator: object


def build_centre_year(seed: int = SEED) -> CentreYear:
    rnd = random.Random(seed)
    districts = [DistrictFactory(name=f"第{n}小学校区") for n in range(1, 4)]
    coordinator = UserFactory(roles=["coordinator"])
    volunteers = []
    for n in range(14):
        user = UserFactory(
            roles=["volunteer"],
            full_name=f"ボランティア{n:02d} 花子",
            email=f"helper{n}@example.jp",
            birth_date=None if n == 13 else dt.date(rnd.randint(1940, 2009), rnd.randint(1, 12), 1),
            date_joined=at(2025, rnd.randint(1, 12), 5),
        )
        VolunteerProfile.objects.create(user=user, home_district=rnd.choice([*districts, None]))
        volunteers.append(user)
    # Off the register for fiscal 2026: left before it, joined after it.
    gone = UserFactory(
        roles=["volunteer"], date_joined=at(2024, 5, 1), birth_date=dt.date(1950, 1, 1)
    )
    VolunteerProfile.objects.create(
        user=gone, home_district=districts[0], left_on=dt.date(2026, 3, 31)
    )
    late = UserFactory(roles=["volunteer"], date_joined=END, birth_date=dt.date(1950, 1, 1))
    VolunteerProfile.objects.create(user=late, home_district=districts[0])
    # Someone turning 20 on the year's last day is 20 (age on 31 March 2027).
    VolunteerProfile.objects.create(
        user=UserFactory(roles=["volunteer"], birth_date=dt.date(2007, 3, 31), date_joined=START),
        home_district=districts[1],
    )

    residents = [resident(rnd.choice(districts), full_name=f"利用者{n} ハル") for n in range(8)]
    categories = list(HelpCategory.objects.filter(active=True))
    statuses = [s for s, _ in HelpRequest.Status.choices]
    moments = [
        at(2026, 3, rnd.randint(1, 31), rnd.randint(9, 15)),  # before the year
        at(2027, 4, rnd.randint(1, 30), rnd.randint(9, 15)),  # after it
        at(2027, 3, 31, 23, 30),  # its last half hour
        at(2027, 4, 1, 0, 0),  # the next year's first moment
    ]
    moments += [
        START + dt.timedelta(days=rnd.randint(0, 364), hours=rnd.randint(9, 15)) for _ in range(150)
    ]
    for moment in moments:
        who = rnd.choice(residents)
        status = rnd.choice(statuses)
        request = HelpRequest.objects.create(
            resident=who,
            category=rnd.choice(categories),
            district=who.district,
            starts_at=moment,
            ends_at=moment + dt.timedelta(minutes=30),
            status=status,
        )
        if status in ("done", "confirmed"):
            minutes = rnd.choice([10, 20, 30, 60])
            fee = minutes * 10
            Assignment.objects.create(
                request=request,
                volunteer=rnd.choice(volunteers),
                status=status,
                starts_at=request.starts_at,
                ends_at=request.ends_at,
                assigned_by=coordinator,
                minutes=minutes if status == "confirmed" else None,
                fee_yen=fee if status == "confirmed" else None,
                cash_received_yen=fee - rnd.choice([0, 0, 0, 100])
                if status == "confirmed"
                else None,
            )

    rule = EarningRuleFactory(name="施設での活動", points=100, rounding_minutes=60, daily_cap=300)
    places = [
        Place.objects.create(
            name=f"{label}{n}", kind=kind, district=rnd.choice(districts), earning_rule=rule
        )
        for n, (label, kind) in enumerate(
            [
                ("みどりの里", "care_facility"),
                ("ひだまりサロン", "salon"),
                ("東公民館", "district_office"),
            ]
        )
    ]
    activity_moments = [at(2027, 3, 31, 23, 0), at(2027, 4, 1, 0, 0), at(2026, 3, 31, 10)]
    activity_moments += [
        START + dt.timedelta(days=rnd.randint(0, 364), hours=10) for _ in range(80)
    ]
    for moment in activity_moments:
        person = rnd.choice(volunteers)
        minutes = rnd.choice([45, 60, 90, 120, 150])
        status = rnd.choice(["credited", "credited", "no_points", "rejected", "review"])
        if status == "credited":
            minutes = max(minutes, 60)  # one rounding unit at least, or nothing credits
        txn = award(person, rule, moment, minutes) if status == "credited" else None
        Activity.objects.create(
            volunteer=person,
            place=rnd.choice(places),
            method=Activity.Method.SELF,
            recorded_by=person,
            started_at=moment,
            ended_at=moment + dt.timedelta(minutes=minutes),
            status=status,
            transaction=txn,
        )
    return CentreYear(volunteers, residents, coordinator)


@pytest.fixture
def centre_year():
    return build_centre_year()


def test_every_centre_total_equals_a_plain_sum_over_the_rows_made(centre_year):
    report = centre_fiscal(FY)

    # Volunteers by district and age band on 31 March 2027.
    expected = Counter()
    for profile in VolunteerProfile.objects.select_related("user", "home_district"):
        user = profile.user
        if user.date_joined >= END or (profile.left_on and profile.left_on < FY.first):
            continue
        age = age_on(user.birth_date, FY.last) if user.birth_date else None
        band = next(
            (
                i
                for i, (low, high) in enumerate(AGE_BANDS)
                if age is not None and low <= age and (high is None or age <= high)
            ),
            None,
        )
        district = profile.home_district.name if profile.home_district else "地区なし"
        expected[district, report.volunteers.columns[band] if band is not None else "不明"] += 1
    assert dict(report.volunteers.cells) == {k: v for k, v in expected.items() if v}
    assert report.volunteers.total == 15  # 14 + the one turning 20; not the two off it
    assert report.volunteers.cell("第2小学校区", "20〜29歳") >= 1

    # Activities and hours by place and kind.
    counted = [
        a
        for a in Activity.objects.select_related("place", "transaction")
        if inside(a.started_at) and a.status != "rejected"
    ]
    assert report.activities_total.activities == len(counted) > 10
    minutes = sum(int((a.ended_at - a.started_at).total_seconds() // 60) for a in counted)
    assert report.activities_total.minutes == minutes
    points = sum(a.points_credited for a in counted)
    assert report.activities_total.points == points > 0
    for f in report.activities_by_place:
        mine = [a for a in counted if a.place.name == f.label]
        assert (f.activities, f.volunteers) == (len(mine), len({a.volunteer_id for a in mine}))
        assert f.minutes == sum(
            int((a.ended_at - a.started_at).total_seconds() // 60) for a in mine
        )
    assert sum(f.activities for f in report.activities_by_kind) == len(counted)
    assert len(report.activities_by_kind) == 3

    # Requests by category, district and month.
    requests = [
        r for r in HelpRequest.objects.select_related("category", "district") if inside(r.starts_at)
    ]
    assert report.requests_total.received == len(requests)
    assert report.requests_total.carried_out == sum(
        r.status in ("done", "confirmed") for r in requests
    )
    assert report.requests_total.cancelled == sum(r.status == "cancelled" for r in requests)
    for line, key in (
        (report.requests_by_category, lambda r: r.category.name),
        (report.requests_by_district, lambda r: r.district.name),
        (report.requests_by_month, lambda r: f"{r.starts_at.astimezone(TOKYO):%Y年%-m月}"),
    ):
        assert {f.label: f.received for f in line if f.received} == Counter(map(key, requests))
    assert [f.label for f in report.requests_by_month][0] == "2026年4月"
    assert report.requests_by_month[-1].received >= 1  # the 23:30 request of 31 March

    # Fees and cash: confirmed assignments of the year.
    confirmed = [
        a
        for a in Assignment.objects.select_related("request__category")
        if a.status == "confirmed" and inside(a.starts_at)
    ]
    assert report.fees_total.assignments == len(confirmed) > 5
    assert report.fees_total.fee_yen == sum(a.fee_yen for a in confirmed)
    assert report.fees_total.cash_yen == sum(a.cash_received_yen for a in confirmed)
    assert report.fees_total.minutes == sum(a.minutes for a in confirmed)
    assert sum(f.fee_yen for f in report.fees_by_month) == report.fees_total.fee_yen
    assert {f.label: f.cash_yen for f in report.fees_by_category} == {
        name: sum(a.cash_received_yen for a in confirmed if a.request.category.name == name)
        for name in {a.request.category.name for a in confirmed}
    }


def test_the_year_s_edges_in_tokyo_time(db):
    who = resident(DistrictFactory())
    category = HelpCategory.objects.filter(active=True).first()
    for moment in (at(2027, 3, 31, 23, 59), at(2027, 4, 1, 0, 0)):
        HelpRequest.objects.create(
            resident=who,
            category=category,
            district=who.district,
            starts_at=moment,
            ends_at=moment + dt.timedelta(minutes=30),
        )
    assert centre_fiscal(Period.fiscal(2026)).requests_total.received == 1
    assert centre_fiscal(Period.fiscal(2027)).requests_total.received == 1
    assert centre_fiscal(Period.fiscal(2026)).requests_by_month[-1].received == 1
    assert centre_fiscal(Period.fiscal(2027)).requests_by_month[0].received == 1


# --- The page, as each role gets it ---------------------------------------------------


def _desk(role):
    return signed_in_back_office(Client(), UserFactory(roles=[role]))


def test_city_staff_see_every_section_with_the_selectors_figures_and_described_charts(centre_year):
    build_points_year(people=centre_year.volunteers[:6])
    desk = _desk("city_staff")
    page = desk.get(f"{URL}?year=2026")
    assert page.status_code == 200
    html = page.content.decode()
    centre = centre_fiscal(FY)
    from points.selectors.fiscal import points_fiscal

    points = points_fiscal(FY)
    assert "令和8年度" in html
    assert f'data-testid="volunteers-total">{centre.volunteers.total}<' in html
    assert f'data-testid="activities-total">{centre.activities_total.activities:,}<' in html
    assert f'data-testid="points-earned">{points.totals.credited:,} pt<' in html
    assert f'data-testid="points-expired">{points.expired:,} pt<' in html
    assert f"{points.liability:,} pt" in html and "未使用の商品券のポイントと一致しています" in html
    # Each chart: an SVG image named by its title and described by its figures.
    for key in (
        "chart-volunteers",
        "chart-requests-month",
        "chart-points-month",
        "chart-fees-month",
    ):
        assert f'aria-labelledby="{key}-title {key}-desc"' in html
        assert f'<title id="{key}-title">' in html and f'<desc id="{key}-desc">' in html
    assert html.count('role="img"') >= 7
    assert "<script" not in html.split('data-chart="chart-volunteers"')[1].split("</figure>")[0]

    # The workbook: one sheet per section, the same totals.
    book = desk.get(f"{URL}xlsx/?year=2026")
    assert book.status_code == 200 and book["Content-Type"].startswith("application/vnd.openxml")
    workbook = openpyxl.load_workbook(io.BytesIO(book.content))
    assert workbook.sheetnames == [
        "登録ボランティア",
        "活動",
        "依頼",
        "利用料と現金",
        "ポイント",
        "商品券",
    ]
    volunteers = list(workbook["登録ボランティア"].values)
    assert volunteers[-1][0] == "合計" and volunteers[-1][-1] == centre.volunteers.total
    requests = list(workbook["依頼"].values)
    assert (
        "合計",
        centre.requests_total.received,
        centre.requests_total.carried_out,
        centre.requests_total.cancelled,
    ) in requests
    fees = list(workbook["利用料と現金"].values)
    assert any(
        row[:5]
        == (
            "合計",
            centre.fees_total.assignments,
            centre.fees_total.minutes,
            centre.fees_total.fee_yen,
            centre.fees_total.cash_yen,
        )
        for row in fees
    )
    vouchers = {row[0]: row[1:] for row in workbook["商品券"].values if row and row[0]}
    assert vouchers["交換"] == (
        points.exchanged.count,
        points.exchanged.points,
        points.exchanged.yen,
    )
    liability_row = [v for k, v in vouchers.items() if k.startswith("期末の商品券引換債務")]
    assert liability_row and liability_row[0][0] == points.liability == points.outstanding.points

    # The print: the same report on the site's print layout.
    printed = desk.get(f"{URL}print/?year=2026").content.decode()
    assert "令和8年度" in printed and 'data-testid="vouchers-table"' in printed
    assert (
        '<link rel="stylesheet" href="/static/core/print.css" media="print">' in printed
        or "print.css" in printed
    )

    # Any period, and a wrong one.
    march = desk.get(f"{URL}?first=2027-03-01&last=2027-03-31").content.decode()
    assert "2027年3月1日" in march
    assert desk.get(f"{URL}?first=2027-03-31&last=2027-03-01").status_code == 400


def test_coordinators_see_the_centre_but_not_the_points_ledger(centre_year):
    desk = _desk("coordinator")
    html = desk.get(f"{URL}?year=2026").content.decode()
    assert 'data-testid="volunteers-total"' in html and 'data-testid="no-points"' in html
    assert 'data-testid="points-earned"' not in html and "chart-points-month" not in html
    assert "open-data-requests" not in html  # open data is published by the city
    book = openpyxl.load_workbook(io.BytesIO(desk.get(f"{URL}xlsx/?year=2026").content))
    assert "ポイント" not in book.sheetnames and "商品券" not in book.sheetnames
    refused = desk.get(f"{URL}open-data/requests/?year=2026")
    assert refused.status_code in (302, 403) and not refused.content.startswith(b"\xef\xbb\xbf")
    # The menu offers it to both roles.
    assert "/admin/reports/annual/" in _desk("city_staff").get("/admin/").content.decode()
    assert "/admin/reports/annual/" in desk.get("/admin/").content.decode()


@pytest.mark.parametrize("role", ["volunteer", "shop_staff", "resident"])
def test_volunteers_shops_and_residents_are_refused(db, role):
    client = Client()
    client.force_login(UserFactory(roles=[role]))
    for url in ("", "xlsx/", "print/", "open-data/requests/"):
        response = client.get(f"{URL}{url}?year=2026")
        assert response.status_code in (302, 403), url
        assert b"volunteers-total" not in response.content


def test_the_dashboard_draws_this_month_as_described_svg(db):
    from django.utils import timezone

    who = resident(DistrictFactory(name="北小学校区"))
    today = timezone.localdate()
    moment = at(today.year, today.month, today.day, 10)
    HelpRequest.objects.create(
        resident=who,
        category=HelpCategory.objects.get(code="shopping"),
        district=who.district,
        starts_at=moment,
        ends_at=moment + dt.timedelta(minutes=30),
    )
    for role in ("coordinator", "city_staff"):
        html = _desk(role).get("/admin/").content.decode()
        assert "/admin/reports/annual/" in html
    assert '/admin/aid/"' not in html  # city staff: no board link (not theirs to open)
    for key in ("dashboard-category", "dashboard-district"):
        assert f'aria-labelledby="{key}-title {key}-desc"' in html
        assert f'<desc id="{key}-desc">' in html
    assert "北小学校区: 1" in html  # the text alternative says each bar's figure


# --- Open data ---------------------------------------------------------------------------


def _csv(desk, table):
    response = desk.get(f"{URL}open-data/{table}/?year=2026")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_open_data_has_no_personal_data_hides_small_counts_and_adds_up_to_the_report(
    centre_year, settings
):
    build_points_year(people=centre_year.volunteers[:6])
    desk = _desk("city_staff")
    tables = {
        slug: _csv(desk, slug)
        for slug in ("volunteers", "activities", "requests", "fees", "points")
    }
    text = "\n".join(",".join(row) for rows in tables.values() for row in rows)
    from accounts.models import User

    for user in User.objects.all():
        assert user.full_name not in text and (not user.email or user.email not in text)
    for who in centre_year.residents:
        assert who.full_name not in text and who.address not in text
    for place in Place.objects.all():
        assert place.name not in text

    report = centre_fiscal(FY)
    requests = tables["requests"]
    assert requests[0] == [
        "年度",
        "年度（和暦）",
        "年月",
        "地区",
        "依頼の種類",
        "依頼件数",
        "実施件数",
        "取消件数",
    ]
    rows = requests[1:]
    assert all(row[0] == "2026" and row[1] == "令和8年度" for row in rows)
    shown = [int(row[5]) for row in rows if row[5] != "X"]
    hidden = [row for row in rows if row[5] == "X"]
    assert hidden and all(n == 0 or n >= 3 for n in shown)
    # The hidden cells are the small ones: their true counts (from the selector's rows)
    # make up the rest of the report's total.
    from volunteers.selectors.fiscal import requests_by_month_district_category

    true = {
        (f"{f.month:%Y-%m}", f.district, f.category): f.received
        for f in requests_by_month_district_category(FY)
    }
    assert all(0 < true[tuple(row[2:5])] < 3 for row in hidden)
    assert (
        sum(shown) + sum(true[tuple(row[2:5])] for row in hidden) == report.requests_total.received
    )

    # Activities: a row with few people hides its hours too.
    for row in tables["activities"][1:]:
        if "X" in row[5:7]:
            assert row[7] == "X"
    fees = tables["fees"][1:]
    assert len(fees) == 12
    assert sum(int(r[6]) for r in fees if r[6] != "X") <= report.fees_total.fee_yen
    volunteers = tables["volunteers"][1:]
    assert (
        sum(int(r[4]) for r in volunteers if r[4] != "X")
        + sum(report.volunteers.cell(r[2], r[3]) for r in volunteers if r[4] == "X")
        == report.volunteers.total
    )

    # The threshold is a setting: at 1, nothing is hidden and the rows add up exactly.
    settings.OPEN_DATA_MIN_COUNT = 1
    settings.OPEN_DATA_SUPPRESSED_MARK = "秘匿"
    requests = _csv(desk, "requests")[1:]
    assert sum(int(row[5]) for row in requests) == report.requests_total.received
    settings.OPEN_DATA_MIN_COUNT = 3
    assert any("秘匿" in row for row in _csv(desk, "requests")[1:])
    assert Transaction.objects.exists()
