"""The monthly payout summary per volunteer (issue 13, item 6): through the back
office's page, its A4 print and its CSV, for coordinators and city staff only."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from accounts.models import User
from tests.factories import DistrictFactory, UserFactory
from tests.points.test_interfaces import signed_in_back_office
from tests.volunteers.aid import TOKYO, category, resident, volunteer
from volunteers.models import HelpRequest
from volunteers.services.help_requests import (
    assignment_confirm,
    assignment_finish,
    assignment_start,
    request_assign,
)

pytestmark = pytest.mark.django_db


def confirmed(coordinator, helper, starts_at, *, minutes, cash, note="", code="shopping"):
    """A confirmed assignment of ``helper`` at ``starts_at`` (written directly: the
    planned window may lie outside service hours, to test the month's edges)."""
    res = resident(DistrictFactory(), full_name="小林 トメ")
    req = HelpRequest.objects.create(
        resident=res,
        category=category(code),
        district=res.district,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
    )
    assignment = request_assign(help_request=req, volunteer=helper, actor=coordinator)
    assignment_start(assignment=assignment, actor=coordinator, at=starts_at)
    assignment_finish(
        assignment=assignment, actor=coordinator, at=starts_at + dt.timedelta(minutes=minutes)
    )
    return assignment_confirm(
        assignment=assignment,
        actor=coordinator,
        cash_received_yen=cash,
        minutes=minutes,
        cash_note=note,
    )


def tokyo(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2030, month, day, hour, minute, tzinfo=TOKYO)


@pytest.fixture
def june(coordinator):
    """Two volunteers' June: 佐藤 with a shortfall, 木村 with an excess; an assignment
    on 1 July at 08:30 in Tokyo (still 30 June in UTC) belongs to July."""
    sato = volunteer(DistrictFactory(), full_name="佐藤 一郎")
    kimura = volunteer(DistrictFactory(), full_name="木村 和子")
    User.objects.filter(pk=sato.pk).update(full_name_kana="サトウ イチロウ")
    User.objects.filter(pk=kimura.pk).update(full_name_kana="キムラ カズコ")
    confirmed(coordinator, sato, tokyo(6, 4, 10), minutes=60, cash=600)
    confirmed(coordinator, sato, tokyo(6, 18, 10), minutes=70, cash=500, note="次回200円")
    confirmed(coordinator, kimura, tokyo(6, 1, 9), minutes=30, cash=400, note="お釣りは寄付")
    confirmed(coordinator, kimura, tokyo(7, 1, 8, 30), minutes=30, cash=300)
    return sato, kimura


def blocks(page: str) -> list[str]:
    parts = page.split('data-testid="payout-volunteer"')[1:]
    return [part.split("</section>")[0] for part in parts]


def test_the_month_lists_each_volunteer_with_fees_cash_and_differences(client, coordinator, june):
    desk = signed_in_back_office(client, coordinator)
    page = desk.get("/admin/aid/payouts/?month=2030-06").content.decode()
    kimura, sato = blocks(page)  # by kana: キムラ before サトウ
    assert "木村 和子" in kimura and "佐藤 一郎" in sato
    assert 'data-testid="fee">1,300円<' in sato and 'data-testid="cash">1,100円<' in sato
    assert 'data-testid="shortfall">200円<' in sato and "次回200円" in sato
    # July's assignment (30 June in UTC) is not in June.
    assert 'data-testid="fee">300円<' in kimura and 'data-testid="excess">100円<' in kimura
    assert "お釣りは寄付" in kimura and "7月1日" not in kimura
    total = page.split('data-testid="payout-total"')[1]
    assert "1,600円" in total and "1,500円" in total
    july = desk.get("/admin/aid/payouts/?month=2030-07").content.decode()
    assert [("木村 和子" in b, "300円" in b) for b in blocks(july)] == [(True, True)]


def test_the_print_keeps_each_volunteer_in_one_block(client, coordinator, june):
    desk = signed_in_back_office(client, coordinator)
    page = desk.get("/admin/aid/payouts/print/?month=2030-06").content.decode()
    assert "2030年6月" in page and len(blocks(page)) == 2
    assert "break-inside: avoid" in page and "size: A4" in page
    assert 'class="site-header"' in page  # the site's layout, hidden by print.css


def test_the_csv_has_a_line_per_assignment_and_totals(client, coordinator, june):
    desk = signed_in_back_office(client, coordinator)
    response = desk.get("/admin/aid/payouts/csv/?month=2030-06")
    assert response["Content-Disposition"] == 'attachment; filename="payouts-2030-06.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    lines = [row for row in rows[1:] if row[1]]
    assert [(r[0], r[1], r[5], r[6], r[7], r[8]) for r in lines] == [
        ("木村 和子", "2030年6月1日(土)", "300", "400", "100", "お釣りは寄付"),
        ("佐藤 一郎", "2030年6月4日(火)", "600", "600", "0", ""),
        ("佐藤 一郎", "2030年6月18日(火)", "700", "500", "-200", "次回200円"),
    ]
    assert rows[-1][0] == "合計" and rows[-1][5:8] == ["1600", "1500", "-100"]


def test_a_bad_month_is_a_field_error_not_a_500(client, coordinator):
    desk = signed_in_back_office(client, coordinator)
    response = desk.get("/admin/aid/payouts/?month=june")
    assert response.status_code == 400
    assert desk.get("/admin/aid/payouts/csv/?month=2030-13").status_code == 400


def test_city_staff_may_read_the_summary(client, coordinator, june):
    staff = signed_in_back_office(client, UserFactory(roles=["city_staff"]))
    assert "佐藤 一郎" in staff.get("/admin/aid/payouts/?month=2030-06").content.decode()


@pytest.mark.parametrize("roles", [["volunteer"], ["shop_staff"], ["district_editor"]])
def test_others_may_not(client, coordinator, june, roles):
    outsider = signed_in_back_office(client, UserFactory(roles=roles))
    for url in ("/admin/aid/payouts/", "/admin/aid/payouts/print/", "/admin/aid/payouts/csv/"):
        response = outsider.get(url + "?month=2030-06")
        assert response.status_code in (302, 403), url
        assert "佐藤 一郎" not in response.content.decode()
