"""Every date on the pages, exports and emails goes through core.formats: the same
instant reads the same everywhere (2026年11月19日(木) 06:28, in Tokyo), and no other
style leaks (ISO 2026-11-19, 11/19, 6:28, 2026年11月19日6:28, 10:00–11:00, UTC)."""

import csv
import datetime as dt
import io
import re
from types import SimpleNamespace

import openpyxl
import pytest
from django.utils import timezone, translation

from core import formats
from core.exports import XLSX_DATETIME_FORMAT
from points.models import SettlementStatement, Voucher
from points.services.accounts import wallet_for
from points.services.settlement import statement_generate, statement_mark_paid
from points.services.vouchers import voucher_exchange
from tests.factories import UserFactory
from tests.points.support import fund
from tests.points.test_interfaces import signed_in_back_office
from tests.points.test_shops import make_shop, redeem_at
from volunteers.notifications import MESSAGES

pytestmark = pytest.mark.django_db

UTC = dt.UTC
#: The instant every test here shows: 21:28 UTC on Wednesday 18 November is 06:28 on
#: Thursday 19 November in Tokyo.
INSTANT = dt.datetime(2026, 11, 18, 21, 28, tzinfo=UTC)
EXPECTED = "2026年11月19日(木) 06:28"

#: Other ways a date or time could be written; none may appear in what people read.
LEAKS = {
    "ISO date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "slashed date": re.compile(r"(?<![\d/])\d{1,4}/\d{1,2}(?:/\d{1,2})?(?![\d/])"),
    "date glued to a time": re.compile(r"\d+月\d+日\s*\d{1,2}:\d{2}"),
    "date without its weekday": re.compile(r"\d{4}年\d{1,2}月\d{1,2}日(?!\()"),
    "one-digit hour": re.compile(r"(?<![\d:])\d:\d{2}(?!\d)"),
    "time range with a dash": re.compile(r"\d{1,2}:\d{2}\s*[–\-]\s*\d{1,2}:\d{2}"),
    "UTC time of the instant": re.compile(r"(?<!\d)21:28(?!\d)"),
}


def visible_text(html: str) -> str:
    """What a reader sees: no scripts, styles, tags or attribute values (a
    ``<time datetime="2026-11-19">`` is for machines)."""
    html = re.sub(r"(?is)<(script|style|template)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<!--.*?-->", " ", html)
    html = re.sub(r"(?s)<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def assert_formatted(text: str, where: str, expected: str = EXPECTED) -> None:
    assert expected in text, f"{where}: {expected} not found"
    for name, pattern in LEAKS.items():
        found = pattern.findall(text)
        assert not found, f"{where}: {name} {found[:3]}"


@pytest.fixture
def redeemed(volunteer):
    """A voucher redeemed at INSTANT, its month's statement generated and paid at
    INSTANT + 1 day."""
    shop, clerk = make_shop("あおば商店")
    fund(wallet_for(volunteer), 500)
    _, (voucher,) = voucher_exchange(user=volunteer, count=1, idempotency_key="dates")
    Voucher.objects.filter(pk=voucher.pk).update(expires_on=dt.date(2027, 1, 7))
    redeem_at(voucher, shop, clerk, INSTANT)
    statement = statement_generate(shop=shop, month=dt.date(2026, 11, 1))
    city = UserFactory(roles=["city_staff"], is_staff=True)
    statement_mark_paid(statement=statement, actor=city)
    SettlementStatement.objects.filter(pk=statement.pk).update(
        paid_at=INSTANT + dt.timedelta(days=1)
    )
    voucher.refresh_from_db()
    return SimpleNamespace(shop=shop, clerk=clerk, voucher=voucher, statement=statement, city=city)


def test_the_shop_pages_show_the_instant_as_the_module_writes_it(client, redeemed):
    assert formats.datetime(INSTANT) == EXPECTED
    client.force_login(redeemed.clerk)
    for url in ("/shop/history/", f"/shop/statements/{redeemed.statement.pk}/"):
        response = client.get(url)
        assert response.status_code == 200
        assert_formatted(visible_text(response.content.decode()), url)
    listing = visible_text(client.get("/shop/statements/").content.decode())
    assert_formatted(listing, "/shop/statements/", expected=formats.month(INSTANT))
    assert "500円" in listing


def test_the_statement_exports_carry_the_same_instant(client, redeemed):
    client.force_login(redeemed.clerk)
    base = f"/shop/statements/{redeemed.statement.pk}"
    text = client.get(f"{base}/csv/").content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert EXPECTED in cells
    assert_formatted(" ".join(cells), "statement CSV")

    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"{base}/xlsx/").content))
    sheet = workbook.active
    assert sheet.title == formats.month(INSTANT)
    dated = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, dt.datetime)]
    assert [c.value for c in dated] == [timezone.make_naive(INSTANT).replace(second=0)]
    # A date cell Excel sorts, shown in the module's style.
    assert dated[0].number_format == XLSX_DATETIME_FORMAT


def test_the_back_office_lists_inspect_view_and_exports_agree(client, redeemed):
    desk = signed_in_back_office(client, UserFactory(is_superuser=True, is_staff=True))
    pages = {
        "voucher list": "/admin/vouchers/",
        "voucher inspect": f"/admin/vouchers/inspect/{redeemed.voucher.pk}/",
        "ledger": "/admin/points/ledger/",
    }
    for where, url in pages.items():
        response = desk.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        if where == "ledger":  # the ledger shows when each entry was recorded
            assert not LEAKS["ISO date"].findall(text) and not LEAKS["slashed date"].findall(text)
            continue
        assert_formatted(text, where)
    statements = visible_text(desk.get("/admin/points/statements/").content.decode())
    assert formats.month(INSTANT) in statements
    for url in ("/admin/vouchers/?export=csv", "/admin/points/statements/?export=csv"):
        response = desk.get(url)
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        assert not LEAKS["ISO date"].findall(text), (url, text)
        assert not LEAKS["UTC time of the instant"].findall(text), (url, text)
    paid = b"".join(desk.get("/admin/points/statements/?export=csv").streaming_content)
    assert formats.datetime(INSTANT + dt.timedelta(days=1)) in paid.decode("utf-8-sig")
    vouchers_csv = b"".join(desk.get("/admin/vouchers/?export=csv").streaming_content)
    assert EXPECTED in vouchers_csv.decode("utf-8-sig")
    assert formats.date(dt.date(2027, 1, 7)) in vouchers_csv.decode("utf-8-sig")


def test_the_volunteer_sees_the_same_day(client, redeemed, volunteer):
    client.force_login(volunteer)
    text = visible_text(client.get("/me/vouchers/").content.decode())
    assert formats.date(INSTANT) in text
    assert not LEAKS["ISO date"].findall(text) and not LEAKS["slashed date"].findall(text)


def test_emails_write_ranges_as_the_module_does():
    request = SimpleNamespace(
        starts_at=INSTANT,
        ends_at=INSTANT + dt.timedelta(hours=1),
        category=SimpleNamespace(name="買物支援"),
        district=SimpleNamespace(name="中央"),
    )
    subject, body = MESSAGES["offer"]
    with translation.override("ja"):
        text = subject(request) + "\n" + body(request)
        expected = formats.datetime_range(request.starts_at, request.ends_at)
    assert expected == "2026年11月19日(木) 06:28〜07:28"
    assert expected in text
    for name in ("ISO date", "time range with a dash", "UTC time of the instant"):
        assert not LEAKS[name].findall(text.split("http")[0]), name


def test_a_range_across_years_keeps_the_end_year():
    assert (
        formats.datetime_range(INSTANT, dt.date(2027, 1, 7))
        == "2026年11月19日(木) 06:28〜2027年1月7日(木)"
    )
