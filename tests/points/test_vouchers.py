"""Vouchers: codes, exchange, redemption with clear refusals, expiry and void."""

import datetime as dt
import io
import re

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image

from points import codes
from points.exceptions import (
    ExchangeClosed,
    ExchangeLimitReached,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidVoucherCount,
    VoucherAlreadyRedeemed,
    VoucherExpired,
    VoucherMistyped,
    VoucherUnknown,
    VoucherVoid,
    WrongShop,
)
from points.models import AccountKind, ExchangeSettings, Shop, ShopMembership, Voucher
from points.selectors import audit_ledger, voucher_code, wallet_balance
from points.services.accounts import system_account, wallet_for
from points.services.vouchers import (
    voucher_exchange,
    voucher_redeem,
    voucher_void,
    vouchers_expire_due,
)
from qr.render import png
from tests.factories import UserFactory
from tests.points.support import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    shop = Shop.objects.create(name="さくら青果店", address="中央1-2-3")
    return shop


@pytest.fixture
def clerk(shop):
    user = UserFactory(roles=["shop_staff"])
    ShopMembership.objects.create(user=user, shop=shop)
    return user


@pytest.fixture
def funded(volunteer):
    fund(wallet_for(volunteer), 2000)
    return volunteer


def exchange(user, count=1, key="ex-1"):
    return voucher_exchange(user=user, count=count, idempotency_key=key)


# --- Codes --------------------------------------------------------------------------


def test_codes_have_80_random_bits_and_the_display_shape():
    code = codes.generate()
    assert len(code) == 17 and set(code) <= set(codes.ALPHABET)
    assert len(codes.ALPHABET) == 32  # 16 random symbols x 5 bits = 80 bits
    assert not set("ILOU") & set(codes.ALPHABET)
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}-[0-9A-Z]", codes.display(code))
    assert len({codes.generate() for _ in range(2000)}) == 2000


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def test_forgiving_input_is_normalised_to_the_same_code():
    code = "0D20G2B5KQMNGGG1S"
    code = code[:-1] + codes._check_symbol(code[:-1])
    shown = codes.display(code)
    variants = [
        shown,
        shown.lower(),
        shown.replace("-", ""),
        shown.replace("-", " "),
        full_width(shown),
        full_width(shown.lower()).replace("－", "　"),
        shown.replace("0", "O").replace("1", "I"),
        shown.replace("1", "l"),
    ]
    for typed in variants:
        assert codes.normalize(typed) == code, typed


def test_every_single_character_typo_is_caught_as_mistyped():
    code = codes.generate()
    for position in range(len(code)):
        for replacement in codes.ALPHABET:
            if replacement == code[position]:
                continue
            typo = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(codes.MistypedCode):
                codes.normalize(typo)


def test_the_database_holds_no_usable_code(funded):
    _txn, (voucher,) = exchange(funded)
    code = voucher_code(voucher).replace("-", "")
    stored = " ".join(
        str(value) for value in Voucher.objects.filter(pk=voucher.pk).values_list().get()
    )
    assert code not in stored
    assert voucher.code_digest == codes.digest(code)


# --- Exchange -----------------------------------------------------------------------


def test_exchange_moves_points_to_the_liability_with_the_vouchers(funded):
    txn, vouchers = exchange(funded, count=3)
    assert len(vouchers) == 3 and {v.points for v in vouchers} == {500}
    assert {v.face_value_yen for v in vouchers} == {500}
    assert wallet_balance(funded) == 500
    assert system_account(AccountKind.VOUCHER_LIABILITY).balance == 1500
    assert all(v.expires_on == timezone.localdate() + dt.timedelta(days=180) for v in vouchers)
    again_txn, again = exchange(funded, count=3)
    assert again_txn.pk == txn.pk and [v.pk for v in again] == [v.pk for v in vouchers]
    with pytest.raises(IdempotencyConflict):
        exchange(funded, count=2)
    assert audit_ledger().ok


def test_exchange_uses_the_configured_unit_and_value(funded):
    config = ExchangeSettings.load()
    config.voucher_points, config.yen_per_point = 10, 100
    config.save()
    _txn, (voucher,) = exchange(funded)
    assert (voucher.points, voucher.face_value_yen) == (10, 1000)
    assert wallet_balance(funded) == 1990


def test_exchange_refusals(funded, volunteer):
    with pytest.raises(InvalidVoucherCount):
        exchange(funded, count=0)
    with pytest.raises(InsufficientPoints):
        exchange(funded, count=5, key="too-many")
    config = ExchangeSettings.load()
    config.exchange_months = "4,5"
    config.save()
    if timezone.localdate().month not in {4, 5}:
        with pytest.raises(ExchangeClosed):
            exchange(funded, key="closed")
    config.exchange_months = ",".join(str(m) for m in range(1, 13))
    config.yearly_limit_points = 1000
    config.save()
    exchange(funded, count=2, key="first")
    with pytest.raises(ExchangeLimitReached) as excinfo:
        exchange(funded, count=1, key="second")
    assert excinfo.value.details["available"] == 0
    assert wallet_balance(funded) == 1000 and Voucher.objects.count() == 2


# --- Redemption ---------------------------------------------------------------------


def test_redeem_moves_points_to_the_shops_receivable(funded, shop, clerk):
    _txn, (voucher,) = exchange(funded)
    used = voucher_redeem(typed_code=voucher_code(voucher).lower(), shop=shop, staff=clerk)
    assert (used.status, used.shop, used.redeemed_by) == (Voucher.Status.REDEEMED, shop, clerk)
    assert system_account(AccountKind.VOUCHER_LIABILITY).balance == 0
    assert wallet_for(funded).balance == 1500
    from points.services.accounts import shop_accounts

    assert shop_accounts(shop)[0].balance == 500
    assert audit_ledger().ok


def test_each_refusal_is_distinct(funded, shop, clerk):
    _txn, (first, second, third) = exchange(funded, count=3)
    code = voucher_code(first)
    with pytest.raises(VoucherUnknown):
        voucher_redeem(typed_code=codes.display(codes.generate()), shop=shop, staff=clerk)
    with pytest.raises(VoucherUnknown):
        voucher_redeem(typed_code="hello", shop=shop, staff=clerk)
    typo = code[:2] + ("Z" if code[2] != "Z" else "Y") + code[3:]
    with pytest.raises(VoucherMistyped):
        voucher_redeem(typed_code=typo, shop=shop, staff=clerk)

    voucher_redeem(typed_code=code, shop=shop, staff=clerk)
    with pytest.raises(VoucherAlreadyRedeemed) as excinfo:
        voucher_redeem(typed_code=code, shop=shop, staff=clerk)
    assert excinfo.value.details["shop"] == shop.name
    assert excinfo.value.details["redeemed_at"]

    Voucher.objects.filter(pk=second.pk).update(expires_on=timezone.localdate() - dt.timedelta(1))
    with pytest.raises(VoucherExpired):
        voucher_redeem(typed_code=voucher_code(second), shop=shop, staff=clerk)

    voucher_void(voucher=third, reason="紛失の届け出", actor=UserFactory(roles=["city_staff"]))
    with pytest.raises(VoucherVoid):
        voucher_redeem(typed_code=voucher_code(third), shop=shop, staff=clerk)

    other_shop = Shop.objects.create(name="別の店", address="西1-1")
    with pytest.raises(WrongShop):
        voucher_redeem(typed_code=voucher_code(second), shop=other_shop, staff=clerk)
    shop.active = False
    shop.save()
    with pytest.raises(WrongShop):
        voucher_redeem(typed_code=voucher_code(second), shop=shop, staff=clerk)
    assert audit_ledger().ok


def test_expiry_and_void_return_the_value_to_the_scheme(funded):
    _txn, (a, b) = exchange(funded, count=2)
    issuance_before = system_account(AccountKind.ISSUANCE).balance
    as_of = a.expires_on + dt.timedelta(days=1)
    assert vouchers_expire_due(as_of=a.expires_on) == 0
    assert vouchers_expire_due(as_of=as_of) == 2
    assert vouchers_expire_due(as_of=as_of) == 0
    assert set(Voucher.objects.values_list("status", flat=True)) == {Voucher.Status.EXPIRED}
    assert system_account(AccountKind.ISSUANCE).balance == issuance_before + 1000
    assert system_account(AccountKind.VOUCHER_LIABILITY).balance == 0
    assert audit_ledger().ok


def test_qr_png_decodes_with_an_independent_decoder():
    url = "https://ikiiki.example.jp/shop/redeem/0D20-G2B5-KQMN-GGG0-S/"
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png(url))))
    assert [r.text for r in results] == [url]
