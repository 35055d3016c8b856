"""Every CSV the site serves opens in Excel on Japanese Windows: UTF-8 with a BOM.

The admin exports are found, not listed: every URL whose view exports spreadsheets
(Wagtail's SpreadsheetExportMixin: the project's report and list views, and Wagtail's
own reports) is asked for CSV. The shop statement and the payouts are the project's own
CSV views.
"""

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from wagtail.admin.views.mixins import SpreadsheetExportMixin

from core.exports import BOM_BYTES, csv_response, with_bom
from points.models import Voucher
from points.services.accounts import wallet_for
from points.services.settlement import statement_generate
from points.services.vouchers import voucher_exchange
from tests.factories import UserFactory
from tests.points.support import fund
from tests.points.test_interfaces import signed_in_back_office
from tests.points.test_shops import make_shop, redeem_at

pytestmark = pytest.mark.django_db


def _export_urls(resolver=None, prefix="/") -> list[tuple[str, type]]:
    """(path, view class) of every argument-free URL whose view exports spreadsheets."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _export_urls(pattern, prefix + route.lstrip("^"))
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "view_class", None)
            if (
                view_class
                and issubclass(view_class, SpreadsheetExportMixin)
                and "<" not in route
                and "(?P" not in route
            ):
                path = (prefix + route).replace("^", "").replace("$", "").replace("\\Z", "")
                found.append((path, view_class))
    return found


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_every_admin_csv_export_starts_with_a_bom(client):
    desk = signed_in_back_office(client, UserFactory(is_superuser=True, is_staff=True))
    urls = _export_urls()
    exported = []
    for path, _view_class in urls:
        response = desk.get(path, {"export": "csv"})
        if response.status_code == 200 and "text/csv" not in response["Content-Type"]:
            # Exports of residents' data ask for the reason first (access log).
            response = desk.post(f"{path}?export=csv", {"reason": "確認"})
        if response.status_code != 200 or "text/csv" not in response["Content-Type"]:
            continue  # a list view without list_export has no CSV
        body = _body(response)
        assert body.startswith(BOM_BYTES), path
        assert response["Content-Type"] == "text/csv; charset=utf-8", path
        body.decode("utf-8")
        exported.append(path)
    # The project's exports are among them, and Wagtail's own reports too.
    for path in (
        "/admin/points/ledger/",
        "/admin/points/statements/",
        "/admin/aid/requests/",
        "/admin/vouchers/",
        "/admin/shops/",
        "/admin/proposals/",
        "/admin/reports/locked/",
    ):
        assert path in exported, (path, sorted(exported))
    assert len(exported) >= 10


def test_the_shop_statement_and_payouts_csv_start_with_a_bom(client, volunteer, coordinator):
    shop, clerk = make_shop("あおば商店")
    fund(wallet_for(volunteer), 500)
    _, (voucher,) = voucher_exchange(user=volunteer, count=1, idempotency_key="bom")
    Voucher.objects.update(expires_on=dt.date(2027, 1, 1))
    tokyo = timezone.get_default_timezone()
    redeem_at(voucher, shop, clerk, dt.datetime(2026, 9, 10, 12, tzinfo=tokyo))
    statement = statement_generate(shop=shop, month=dt.date(2026, 9, 1))
    client.force_login(clerk)
    response = client.get(f"/shop/statements/{statement.pk}/csv/")
    assert response.status_code == 200 and response.content.startswith(BOM_BYTES)
    assert response.content.count(BOM_BYTES) == 1

    desk = signed_in_back_office(type(client)(), coordinator)
    payouts = desk.get("/admin/aid/payouts/csv/?month=2026-09")
    assert payouts.status_code == 200 and payouts.content.startswith(BOM_BYTES)


def test_one_helper_for_csv_responses_and_the_middleware_for_the_rest():
    response = csv_response([["氏名", "日時"], ["=1+1", dt.date(2026, 12, 4)]], "x")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff") and body.count("\ufeff") == 1
    assert "'=1+1" in body and "2026年12月4日(金)" in body
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    # A CSV that already has its BOM gets no second one; one without gets it.
    assert with_bom(response).content.count(BOM_BYTES) == 1
    from django.http import HttpResponse, StreamingHttpResponse

    plain = with_bom(HttpResponse("a,b\n", content_type="text/csv"))
    assert plain.content == BOM_BYTES + b"a,b\n"
    streamed = with_bom(StreamingHttpResponse(iter(["", "a,b\n"]), content_type="text/csv"))
    assert b"".join(streamed.streaming_content) == BOM_BYTES + b"a,b\n"
    html = with_bom(HttpResponse("<p>"))
    assert html.content == b"<p>"
