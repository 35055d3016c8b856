"""Paper for volunteers without a phone, printed by Chromium to A4 PDF and read back
from the PDF: every voucher's QR decodes (zxing-cpp, an independent decoder) to that
voucher's URL, each exactly once; every voucher's text stays in its own cell; the points
passbook's text stays in its table cells and inside the printable page."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
import uuid
from collections import Counter

import pdfplumber
import pytest
import zxingcpp
from django.conf import settings
from django.test import Client
from django.utils import timezone

from points.models import Voucher
from points.selectors import voucher_code
from points.services.accounts import wallet_for
from points.services.vouchers import voucher_exchange
from tests.browser.conftest import RESULTS
from tests.factories import UserFactory
from tests.points.support import fund
from tests.points.test_interfaces import signed_in_back_office

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

#: Raster resolution for decoding: an office printer's draft quality.
DPI = 150
MM = 72 / 25.4  # PDF points per millimetre
#: How far (pt) a glyph's box may stick out of its cell: font ascenders, rounding.
SLACK = 0.75


def volunteer_with_vouchers(count: int, *, name: str = "山田 太郎"):
    volunteer = UserFactory(roles=["volunteer"], full_name=name)
    fund(wallet_for(volunteer), 500 * count)
    voucher_exchange(user=volunteer, count=count, idempotency_key=f"paper-{uuid.uuid4()}")
    return volunteer


def open_as(chromium, live_server, client: Client):
    """A browser context carrying ``client``'s session (signed in however it was)."""
    context = chromium.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", base_url=live_server.url
    )
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return context


def print_pdf(context, url: str, name: str) -> bytes:
    page = context.new_page()
    response = page.goto(url)
    assert response.status == 200
    pdf = page.pdf(format="A4", print_background=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.pdf").write_bytes(pdf)
    page.close()
    return pdf


def decoded_urls(pdf: bytes) -> list[tuple[int, str, tuple[float, float]]]:
    """(page, text, centre in PDF points) of every QR code found on the raster."""
    found = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for number, page in enumerate(document.pages):
            image = page.to_image(resolution=DPI).original
            for barcode in zxingcpp.read_barcodes(image):
                corners = barcode.position
                xs = [corners.top_left.x, corners.top_right.x, corners.bottom_left.x]
                ys = [corners.top_left.y, corners.bottom_left.y, corners.top_right.y]
                centre = (sum(xs) / 3 * 72 / DPI, sum(ys) / 3 * 72 / DPI)
                found.append((number, barcode.text, centre))
    return found


def inside(box, x0, top, x1, bottom) -> bool:
    return (
        x0 >= box[0] - SLACK
        and x1 <= box[2] + SLACK
        and top >= box[1] - SLACK
        and bottom <= box[3] + SLACK
    )


def strays(page, boxes) -> list[str]:
    """The characters on ``page`` not wholly inside one of ``boxes`` (x0, top, x1,
    bottom) — text that runs out of its cell, or is cut by the cell's edge."""
    return [
        f"{char['text']}@({char['x0']:.0f},{char['top']:.0f})"
        for char in page.chars
        if char["text"].strip()
        and not any(
            inside(box, char["x0"], char["top"], char["x1"], char["bottom"]) for box in boxes
        )
    ]


#: Cell borders are lines (dashed ones are joined up); a QR code's modules are too
#: short to count as one.
LINES = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 4,
    "edge_min_length": 100,
}


def voucher_cells(page) -> list[tuple[float, float, float, float]]:
    """The cut-out cells of a voucher page: the boxes drawn round each voucher."""
    return [
        cell
        for cell in page.debug_tablefinder(LINES).cells
        if 80 * MM < cell[2] - cell[0] < 100 * MM and 60 * MM < cell[3] - cell[1] < 70 * MM
    ]


def check_voucher_sheet(pdf: bytes, vouchers, live_server) -> None:
    expected = {f"{live_server.url}/shop/redeem/{voucher_code(v)}/": v for v in vouchers}
    found = decoded_urls(pdf)
    assert Counter(text for _page, text, _centre in found) == Counter(list(expected)), (
        f"decoded {len(found)} of {len(expected)}"
    )
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == -(-len(vouchers) // 8)
        for number, page in enumerate(document.pages):
            cells = voucher_cells(page)
            on_page = [(text, centre) for n, text, centre in found if n == number]
            assert len(cells) == len(on_page), (number, cells)
            assert strays(page, cells) == []
            for text, (x, y) in on_page:
                (cell,) = [c for c in cells if c[0] < x < c[2] and c[1] < y < c[3]]
                words = unicodedata.normalize("NFKC", page.crop(cell).extract_text())
                code = voucher_code(expected[text])
                # The code is printed in groups under its own QR, with value, expiry, name.
                assert code in words.replace("\n", ""), (code, words)
                assert "有効期限" in words and "山田" in words
                # 500円: the digits and 円 come from different fonts, whose glyph tops
                # differ at 22pt; read the cell with a looser line tolerance for it.
                loose = page.crop(cell).extract_text(y_tolerance=8)
                assert "500円" in unicodedata.normalize("NFKC", loose).replace("\n", "")


#: A name with no place to break a line: it must wrap inside its cell all the same.
LONG_NAME = "山田 Christopher-Alexander-Montgomery-Wellington-Featherstonehaugh"


@pytest.mark.parametrize(("count", "name"), [(1, "山田 太郎"), (6, LONG_NAME), (30, "山田 花子")])
def test_voucher_sheet_prints_every_qr_readable_and_every_cell_whole(
    chromium, live_server, count, name
):
    volunteer = volunteer_with_vouchers(count, name=name)
    client = Client()
    client.force_login(volunteer)
    context = open_as(chromium, live_server, client)
    pdf = print_pdf(context, "/me/vouchers/print/", f"vouchers-{count}")
    context.close()
    check_voucher_sheet(pdf, Voucher.objects.filter(owner=volunteer), live_server)


def test_coordinators_print_of_a_volunteers_vouchers_reads_the_same(chromium, live_server):
    volunteer = volunteer_with_vouchers(9)
    client = signed_in_back_office(Client(), UserFactory(roles=["coordinator"]))
    context = open_as(chromium, live_server, client)
    pdf = print_pdf(context, f"/admin/points/vouchers/print/{volunteer.pk}/", "vouchers-admin")
    context.close()
    check_voucher_sheet(pdf, Voucher.objects.filter(owner=volunteer), live_server)


def test_passbook_prints_every_word_inside_its_cell_and_reads_at_320px(chromium, live_server):
    """Long place and rule names with nowhere to break, many rows over several pages."""
    from points.models import EarningRule
    from volunteers.models import Place
    from volunteers.services.activity import activity_record

    volunteer = volunteer_with_vouchers(3, name=LONG_NAME)
    rule = EarningRule.objects.create(
        activity_kind="salon", name="SalonSupportKitaShimizuDistrict" * 2, points=100
    )
    place = Place.objects.create(
        name="KitaShimizuCommunityCentreAnnexBuilding2F" * 2,
        kind=Place.Kind.SALON,
        earning_rule=rule,
    )
    coordinator = UserFactory(roles=["coordinator"])
    start = timezone.now() - dt.timedelta(days=60)
    for day in range(45):
        at = start + dt.timedelta(days=day)
        activity_record(
            volunteer=volunteer,
            place=place,
            started_at=at,
            ended_at=at + dt.timedelta(hours=1),
            recorded_by=coordinator,
        )
    client = Client()
    client.force_login(volunteer)
    context = open_as(chromium, live_server, client)
    pdf = print_pdf(context, "/me/points/passbook/", "passbook")
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) >= 2
        for page in document.pages:
            cells = page.debug_tablefinder(LINES).cells
            tables = [table.bbox for table in page.find_tables(LINES)]
            assert tables, page.page_number
            printable = (12 * MM, 12 * MM, page.width - 12 * MM, page.height - 12 * MM)
            assert strays(page, [printable]) == []
            in_tables = [
                c
                for c in page.chars
                if any(inside(t, c["x0"], c["top"], c["x1"], c["bottom"]) for t in tables)
            ]
            assert in_tables
            assert [
                c["text"]
                for c in in_tables
                if not any(inside(b, c["x0"], c["top"], c["x1"], c["bottom"]) for b in cells)
            ] == []
        text = unicodedata.normalize("NFKC", "".join(p.extract_text() for p in document.pages))
        assert "ポイント通帳" in text and "4,500" in text

    phone = context.new_page()
    phone.set_viewport_size({"width": 320, "height": 640})
    phone.goto("/me/points/passbook/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()
