"""The edges of exchange and redemption (points/services/vouchers.py) that the mutation
run found unguarded: the count's bounds (1 and 100 exactly), the yearly limit counted
per person and per fiscal year, the field each refusal names (the form shows the
message next to it), who and what the ledger records, and the shop a clerk chose
remembered for that clerk only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from points.exceptions import (
    ExchangeClosed,
    ExchangeLimitReached,
    InvalidVoucherCount,
    ReasonRequired,
)
from points.ledger.fingerprints import posting_fingerprint
from points.models import (
    ExchangeSettings,
    Shop,
    ShopMembership,
    TransactionKind,
    Voucher,
    fiscal_year_bounds,
)
from points.selectors import shop_default_id, voucher_code
from points.services.accounts import wallet_for
from points.services.vouchers import (
    shop_choice_remember,
    voucher_exchange,
    voucher_redeem,
    voucher_void,
)
from tests.factories import UserFactory
from tests.points.support import fund, new_key

pytestmark = pytest.mark.django_db
TOKYO = timezone.get_default_timezone()


def configure(**changes) -> ExchangeSettings:
    config = ExchangeSettings.load()
    for name, value in changes.items():
        setattr(config, name, value)
    config.save()
    return config


def exchange(user, count=1, **kwargs):
    return voucher_exchange(user=user, count=count, idempotency_key=new_key("ex"), **kwargs)


def test_one_to_a_hundred_vouchers_at_once_and_no_more(volunteer):
    configure(voucher_points=1)
    fund(wallet_for(volunteer), 102)
    for count in (0, -1, 101):
        with pytest.raises(InvalidVoucherCount) as excinfo:
            exchange(volunteer, count)
        assert excinfo.value.as_dict()["fields"] == {"count": [str(excinfo.value.message)]}
    assert Voucher.objects.count() == 0
    _txn, vouchers = exchange(volunteer, 100)
    assert len(vouchers) == 100
    _txn, (single,) = exchange(volunteer, 1)
    assert wallet_for(volunteer).balance == 1


def test_a_closed_exchange_names_the_months_it_is_open(volunteer):
    fund(wallet_for(volunteer), 500)
    this_month = timezone.localdate().month
    months = ",".join(str(m) for m in range(1, 13) if m != this_month)
    configure(exchange_months=months)
    with pytest.raises(ExchangeClosed) as excinfo:
        exchange(volunteer)
    assert excinfo.value.details == {"months": months}


def test_the_yearly_limit_counts_this_persons_vouchers_of_this_fiscal_year(volunteer):
    configure(yearly_limit_points=1000)  # two vouchers of 500 points
    other = UserFactory(full_name="別の 人")
    fund(wallet_for(other), 1000)
    exchange(other, 2)  # someone else's exchange does not use this person's limit
    fund(wallet_for(volunteer), 3000)
    _txn, (first, second) = exchange(volunteer, 2)
    with pytest.raises(ExchangeLimitReached) as excinfo:
        exchange(volunteer, 1)
    assert excinfo.value.as_dict()["fields"] == {"count": [str(excinfo.value.message)]}
    assert excinfo.value.details == {"available": 0}

    year_start = dt.datetime.combine(
        fiscal_year_bounds(timezone.localdate())[0], dt.time(), tzinfo=TOKYO
    )
    # One issued at the first moment of the fiscal year still counts, one issued the
    # moment before belongs to the year before.
    Voucher.objects.filter(pk=first.pk).update(issued_at=year_start - dt.timedelta(microseconds=1))
    Voucher.objects.filter(pk=second.pk).update(issued_at=year_start)
    with pytest.raises(ExchangeLimitReached) as excinfo:
        exchange(volunteer, 2)
    assert excinfo.value.details == {"available": 500}
    exchange(volunteer, 1)


def test_an_exchange_records_who_made_it_for_whom(volunteer, city_staff):
    fund(wallet_for(volunteer), 1000)
    txn, _ = exchange(volunteer, 2, actor=city_staff)
    assert (txn.kind, txn.actor_id, txn.reference) == (
        TransactionKind.EXCHANGE,
        city_staff.pk,
        f"exchange:{volunteer.pk}",
    )
    # The fingerprint is that of the request as documented (who, how many, at what
    # unit), so a retry sent across a release still replays instead of conflicting.
    content = {"user": volunteer.pk, "count": 2, "voucher_points": 500}
    assert txn.fingerprint == posting_fingerprint(TransactionKind.EXCHANGE, content, city_staff, "")
    assert txn.fingerprint != posting_fingerprint(TransactionKind.EXCHANGE, content, None, "")


def test_a_redemption_records_the_clerk_and_the_voucher(volunteer):
    fund(wallet_for(volunteer), 500)
    _txn, (voucher,) = exchange(volunteer)
    shop = Shop.objects.create(name="さくら青果店", address="中央1-2-3")
    clerk = UserFactory(roles=["shop_staff"])
    ShopMembership.objects.create(user=clerk, shop=shop)
    used = voucher_redeem(typed_code=voucher_code(voucher), shop=shop, staff=clerk)
    txn = used.settled_by
    assert (txn.kind, txn.actor_id, txn.reference, txn.idempotency_key) == (
        TransactionKind.REDEEM,
        clerk.pk,
        f"voucher:{voucher.pk}",
        f"voucher:{voucher.pk}:close",
    )


def test_a_void_without_a_reason_points_at_the_reason_field(volunteer, city_staff):
    fund(wallet_for(volunteer), 500)
    _txn, (voucher,) = exchange(volunteer)
    with pytest.raises(ReasonRequired) as excinfo:
        voucher_void(voucher=voucher, reason=" ", actor=city_staff)
    assert excinfo.value.as_dict()["fields"] == {"reason": [str(excinfo.value.message)]}


def test_a_clerks_choice_of_shop_is_remembered_for_that_clerk_only():
    east = Shop.objects.create(name="東店", address="東1-1")
    west = Shop.objects.create(name="西店", address="西1-1")
    anna, ben = UserFactory(roles=["shop_staff"]), UserFactory(roles=["shop_staff"])
    for clerk in (anna, ben):
        for shop in (east, west):
            ShopMembership.objects.create(user=clerk, shop=shop)
    shop_choice_remember(staff=anna, shop=west)
    assert (shop_default_id(anna), shop_default_id(ben)) == (west.pk, None)
    shop_choice_remember(staff=ben, shop=east)
    shop_choice_remember(staff=anna, shop=east)  # later, at the other counter
    shop_choice_remember(staff=ben, shop=west)
    assert (shop_default_id(anna), shop_default_id(ben)) == (east.pk, west.pk)
