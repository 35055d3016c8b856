"""The points passbook (ポイント通帳): a volunteer's own at /me/points/passbook/, and any
volunteer's printed by a coordinator from the back office. Through the pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import formats
from points.models import EarningRule, Voucher
from points.selectors import passbook_of, voucher_code
from points.services.accounts import wallet_for
from points.services.vouchers import voucher_exchange
from tests.factories import UserFactory
from tests.points.support import fund
from tests.points.test_interfaces import signed_in_back_office
from volunteers.models import Place
from volunteers.services.activity import activity_record

pytestmark = pytest.mark.django_db
TOKYO = timezone.get_default_timezone()


@pytest.fixture
def place():
    rule = EarningRule.objects.create(
        activity_kind="salon", name="サロン運営協力", basis=EarningRule.Basis.PER_HOUR, points=100
    )
    return Place.objects.create(
        name="いきいきサロン桜ヶ丘", kind=Place.Kind.SALON, earning_rule=rule
    )


def record(volunteer, place, start: dt.datetime, hours: int = 2):
    """An activity entered by a coordinator from a paper sign-in sheet (credited)."""
    return activity_record(
        volunteer=volunteer,
        place=place,
        started_at=start,
        ended_at=start + dt.timedelta(hours=hours),
        recorded_by=UserFactory(roles=["coordinator"]),
    )


def rows(html: str) -> list[list[str]]:
    """The passbook's entry rows as lists of cell texts."""
    table = html.split('class="passbook-table passbook-entries"')[1].split("</table>")[0]
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    ]


def test_volunteer_reads_balance_entries_places_and_vouchers(client, volunteer, place):
    # 00:30 in Tokyo on 1 December is still 30 November in UTC.
    record(volunteer, place, dt.datetime(2025, 12, 1, 0, 30, tzinfo=TOKYO))
    record(volunteer, place, dt.datetime(2025, 12, 3, 10, 0, tzinfo=TOKYO), hours=3)
    fund(wallet_for(volunteer), 500)
    _txn, (voucher,) = voucher_exchange(user=volunteer, count=1, idempotency_key="pb")
    client.force_login(volunteer)

    assert "/me/points/passbook/" in client.get("/me/points/").content.decode()
    response = client.get("/me/points/passbook/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "ポイント通帳" in html and '<strong data-testid="balance">500</strong>' in html
    today = timezone.localdate()
    assert rows(html) == [
        ["2025年12月1日(月)", "サロン運営協力 場所：いきいきサロン桜ヶ丘", "+200", "200"],
        ["2025年12月3日(水)", "サロン運営協力 場所：いきいきサロン桜ヶ丘", "+300", "500"],
        [formats.date(today), "手動調整", "+500", "1,000"],
        [formats.date(today), "商品券に交換", "-500", "500"],
    ]
    code = voucher_code(voucher)
    assert code not in html  # the passbook never shows a usable code
    assert f"****-****-****-{code[-6:]}" in html
    assert "500円" in html and "未使用" in html
    assert formats.date(voucher.expires_on) in html


def test_passbook_reads_in_a_fixed_number_of_queries(client, volunteer, place):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/me/points/passbook/").status_code == 200
        return len(captured)

    client.force_login(volunteer)
    record(volunteer, place, dt.datetime(2025, 12, 1, 9, tzinfo=TOKYO))
    fund(wallet_for(volunteer), 1000)
    voucher_exchange(user=volunteer, count=1, idempotency_key="q1")
    few = queries()
    for day in range(2, 12):
        record(volunteer, place, dt.datetime(2025, 12, day, 9, tzinfo=TOKYO))
    voucher_exchange(user=volunteer, count=3, idempotency_key="q2")
    assert queries() == few


def test_long_history_carries_the_earlier_balance_forward(volunteer, place):
    for day in range(1, 6):
        record(volunteer, place, dt.datetime(2025, 12, day, 9, tzinfo=TOKYO))
    book = passbook_of(volunteer, limit=2)
    assert book.earlier_entries and book.balance == 1000
    assert book.carried_forward == 600
    assert [e.running_balance for e in book.entries] == [800, 1000]
    assert all(e.place == place for e in book.entries)


def test_coordinator_prints_a_volunteers_passbook_from_their_page(client, volunteer, place):
    record(volunteer, place, dt.datetime(2025, 12, 1, 9, tzinfo=TOKYO))
    signed_in_back_office(client, UserFactory(roles=["coordinator"]))
    page = client.get(f"/admin/aid/volunteers/{volunteer.pk}/").content.decode()
    assert f"/admin/points/passbook/{volunteer.pk}/" in page
    response = client.get(f"/admin/points/passbook/{volunteer.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert volunteer.full_name in html and '<strong data-testid="balance">200</strong>' in html
    assert "いきいきサロン桜ヶ丘" in html
    assert client.get("/admin/points/passbook/999999/").status_code == 404


@pytest.mark.parametrize("role", ["volunteer", "shop_staff", "city_staff"])
def test_only_coordinators_open_anothers_passbook(client, volunteer, place, role):
    record(volunteer, place, dt.datetime(2025, 12, 1, 9, tzinfo=TOKYO))
    other = UserFactory(roles=[role], full_name="佐藤 次郎")
    signed_in_back_office(client, other)
    refused = client.get(f"/admin/points/passbook/{volunteer.pk}/")
    # Wagtail sends back-office users it refuses to the dashboard, others get a 403.
    assert refused.status_code == 403 or refused["Location"] == "/admin/"
    # Their own passbook is only ever their own.
    html = client.get("/me/points/passbook/").content.decode()
    assert "佐藤 次郎" in html and volunteer.full_name not in html
    assert "いきいきサロン桜ヶ丘" not in html


def test_passbook_needs_sign_in(client):
    response = client.get("/me/points/passbook/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/admin/points/passbook/1/").status_code == 302  # to sign in


def test_empty_passbook(client, volunteer):
    client.force_login(volunteer)
    html = client.get("/me/points/passbook/").content.decode()
    assert '<strong data-testid="balance">0</strong>' in html
    assert Voucher.objects.count() == 0 and "まだ商品券はありません" in html
