"""Rotating VOUCHER_CODE_KEY: codes issued under a retired key still open, new codes use
the new key, and a voucher whose key was removed is shown as unreadable (never a 500)."""

import logging

import pytest
from django.test import Client

from points import codes
from points.models import Voucher
from points.services.accounts import wallet_for
from points.services.vouchers import voucher_exchange
from tests.points.support import fund
from tests.points.test_shops import make_shop

pytestmark = pytest.mark.django_db

OLD, NEW = "o" * 64, "n" * 64


@pytest.fixture
def issued_under_old_key(settings, volunteer):
    settings.VOUCHER_CODE_KEY, settings.VOUCHER_CODE_OLD_KEYS = OLD, []
    fund(wallet_for(volunteer), 5000)
    client = Client()
    client.force_login(volunteer)
    listed = client.get("/api/v1/vouchers/").json()
    assert listed["results"] == []
    voucher_exchange(user=volunteer, count=2, idempotency_key="before-rotation")
    codes_before = {v["id"]: v["code"] for v in client.get("/api/v1/vouchers/").json()["results"]}
    assert len(codes_before) == 2 and all(codes_before.values())
    return client, codes_before


def test_after_rotation_old_codes_still_open_and_redeem(settings, issued_under_old_key):
    owner, codes_before = issued_under_old_key
    settings.VOUCHER_CODE_KEY, settings.VOUCHER_CODE_OLD_KEYS = NEW, [OLD]

    after = {v["id"]: v["code"] for v in owner.get("/api/v1/vouchers/").json()["results"]}
    assert after == codes_before  # the owner still sees the same codes
    shop, clerk = make_shop("あおば商店")
    clerk_client = Client()
    clerk_client.force_login(clerk)
    voucher_id, code = next(iter(codes_before.items()))
    done = clerk_client.post("/shop/redeem/confirm/", {"code": code, "shop": shop.pk})
    assert "商品券を受け付けました" in done.content.decode()
    assert Voucher.objects.get(pk=voucher_id).status == Voucher.Status.REDEEMED

    # A voucher issued now is sealed and looked up under the new key only.
    new_voucher = voucher_exchange(
        user=Voucher.objects.get(pk=voucher_id).owner, count=1, idempotency_key="after-rotation"
    )[1][0]
    assert new_voucher.code_sealed.startswith(codes._keys(NEW)[2] + ":")
    settings.VOUCHER_CODE_OLD_KEYS = []
    shown = {v["id"]: v["code"] for v in owner.get("/api/v1/vouchers/").json()["results"]}
    assert shown[new_voucher.pk] is not None


def test_a_removed_key_leaves_vouchers_unreadable_not_broken(
    settings, issued_under_old_key, caplog
):
    owner, codes_before = issued_under_old_key
    settings.VOUCHER_CODE_KEY, settings.VOUCHER_CODE_OLD_KEYS = NEW, []

    with caplog.at_level(logging.ERROR, logger="points.selectors"):
        api = owner.get("/api/v1/vouchers/")
    assert api.status_code == 200
    assert [v["code"] for v in api.json()["results"]] == [None, None]
    assert "no configured key opens its code" in caplog.text
    page = owner.get("/me/vouchers/")
    assert page.status_code == 200
    assert "この商品券のコードは表示できません" in page.content.decode()
    sheet = owner.get("/me/vouchers/print/")
    assert sheet.status_code == 200 and "<svg" not in sheet.content.decode()
    shop, clerk = make_shop("あおば商店")
    clerk_client = Client()
    clerk_client.force_login(clerk)
    typed = clerk_client.post("/shop/redeem/", {"code": next(iter(codes_before.values()))})
    assert typed.status_code == 200 and "該当する商品券がありません" in typed.content.decode()

    settings.VOUCHER_CODE_OLD_KEYS = [OLD]  # putting the key back recovers them
    again = {v["id"]: v["code"] for v in owner.get("/api/v1/vouchers/").json()["results"]}
    assert again == codes_before


def test_codes_sealed_before_key_ids_still_open(settings):
    settings.VOUCHER_CODE_KEY, settings.VOUCHER_CODE_OLD_KEYS = OLD, []
    code = codes.generate()
    legacy = codes.seal(code).split(":", 1)[1]  # as stored before key ids existed
    assert codes.unseal(legacy) == code
    settings.VOUCHER_CODE_KEY, settings.VOUCHER_CODE_OLD_KEYS = NEW, [OLD]
    assert codes.unseal(legacy) == code
    assert codes.digest(code) in codes.digests(code) and len(codes.digests(code)) == 2
