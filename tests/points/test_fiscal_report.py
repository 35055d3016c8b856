"""The points side of the fiscal-year report (issue 17, item 1) against a generated
year posted through the real services: every total equals an independent sum over
the rows made, and the vouchers outstanding at 31 March equal the voucher-liability
account summed from its entries up to that moment."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from core.stats import Period
from points.models import Account, AccountKind, Entry, Transaction, TransactionKind, Voucher
from points.selectors.fiscal import liability_at, points_fiscal, vouchers_outstanding_at
from tests.factories import UserFactory
from tests.points.fiscal_year import TOKYO, at, award, build_points_year, exchange, redeem

pytestmark = pytest.mark.django_db

START, END = at(2026, 4, 1, 0), at(2027, 4, 1, 0)


def inside(moment, start=START, end=END) -> bool:
    return start <= moment < end


@pytest.fixture
def year():
    return build_points_year()


def test_every_points_total_equals_a_plain_sum_over_the_ledger(year):
    report = points_fiscal(Period.fiscal(2026))
    entries = list(Entry.objects.select_related("transaction", "account"))
    txns = list(Transaction.objects.all())

    def entry_sum(kind, account_kind, start=START, end=END):
        return sum(
            e.amount
            for e in entries
            if e.transaction.kind == kind
            and e.account.kind == account_kind
            and inside(e.transaction.created_at, start, end)
        )

    earned = entry_sum(TransactionKind.EARN, AccountKind.WALLET)
    assert earned > 5000  # a real year, not an empty one
    assert report.totals.credited == earned
    earns = [t for t in txns if t.kind == TransactionKind.EARN and inside(t.created_at)]
    assert report.totals.awards == len(earns)
    assert report.totals.requested == sum(t.requested_points for t in earns)
    daily = sum(t.capped_points for t in earns if t.cap_reason == "daily")
    yearly = sum(t.capped_points for t in earns if t.cap_reason == "yearly")
    assert daily > 0 and yearly > 0, "the generated year reaches both limits"
    assert (report.totals.capped_daily, report.totals.capped_yearly) == (daily, yearly)
    expired = entry_sum(TransactionKind.EXPIRE, AccountKind.EXPIRED)
    assert expired > 0 and report.expired == expired
    # Per rule and per month, the same sums split.
    for rule in report.by_rule:
        mine = [t for t in earns if t.rule.name == rule.name]
        assert rule.awards == len(mine)
        assert rule.credited == sum(t.requested_points - t.capped_points for t in mine)
    by_month = Counter()
    for e in entries:
        t = e.transaction
        earn = t.kind == TransactionKind.EARN and e.account.kind == AccountKind.WALLET
        if earn and inside(t.created_at):
            by_month[t.created_at.astimezone(TOKYO).strftime("%Y-%m")] += e.amount
    assert {f"{m.month:%Y-%m}": m.earned for m in report.by_month if m.earned} == {
        k: v for k, v in by_month.items() if v
    }
    assert len(report.by_month) == 12
    assert sum(m.exchanged for m in report.by_month) == entry_sum(
        TransactionKind.EXCHANGE, AccountKind.VOUCHER_LIABILITY
    )
    assert sum(m.redeemed for m in report.by_month) == -entry_sum(
        TransactionKind.REDEEM, AccountKind.VOUCHER_LIABILITY
    )
    assert sum(m.expired for m in report.by_month) == expired
    assert sum(m.capped for m in report.by_month) == daily + yearly


def test_vouchers_exchanged_redeemed_expired_and_outstanding_equal_the_vouchers_made(year):
    report = points_fiscal(Period.fiscal(2026))
    vouchers = list(Voucher.objects.select_related("exchange", "settled_by"))

    def figures(chosen):
        return (len(chosen), sum(v.points for v in chosen), sum(v.face_value_yen for v in chosen))

    def as_tuple(f):
        return (f.count, f.points, f.yen)

    exchanged = [v for v in vouchers if inside(v.exchange.created_at)]
    closed = [v for v in vouchers if v.settled_by and inside(v.settled_by.created_at)]
    assert as_tuple(report.exchanged) == figures(exchanged) and exchanged
    for status, got in (
        (Voucher.Status.REDEEMED, report.redeemed),
        (Voucher.Status.EXPIRED, report.vouchers_expired),
    ):
        mine = [v for v in closed if v.status == status]
        assert mine, f"the generated year has {status} vouchers"
        assert as_tuple(got) == figures(mine)
    outstanding = [
        v
        for v in vouchers
        if v.exchange.created_at < END and (v.settled_by is None or v.settled_by.created_at >= END)
    ]
    assert as_tuple(report.outstanding) == figures(outstanding) and outstanding


def test_the_liability_at_31_march_equals_the_ledger_account_summed_to_that_moment(year):
    report = points_fiscal(Period.fiscal(2026))
    liability = Account.objects.get(kind=AccountKind.VOUCHER_LIABILITY)
    by_entries = sum(
        e.amount
        for e in Entry.objects.filter(account=liability).select_related("transaction")
        if e.transaction.created_at < END
    )
    assert report.liability == by_entries > 0
    assert report.liability == report.outstanding.points and report.liability_matches
    # The cached balance is today's: April's redemption (at 00:00) already lowered it.
    assert liability.balance != report.liability
    # At every month end of the year, vouchers and books agree.
    for month in range(4, 16):
        moment = at(2026 + (month - 1) // 12, (month - 1) % 12 + 1, 1, 0)
        assert liability_at(moment) == vouchers_outstanding_at(moment).points, moment


def test_31_march_23_59_jst_is_in_the_year_and_1_april_00_00_is_in_the_next(db):
    person = UserFactory(roles=["volunteer"])
    from tests.points.support import EarningRuleFactory

    rule = EarningRuleFactory(points=500, rounding_minutes=60)
    award(person, rule, at(2027, 3, 31, 23, 59, 59, 999_999), 60)  # 500 pt in 令和8年度
    award(person, rule, at(2027, 4, 1, 0, 0, 0), 120)  # 1,000 pt in 令和9年度
    _txn, (voucher,) = exchange(person, at(2027, 3, 31, 23, 59, 59))
    from points.models import Shop, ShopMembership
    from tests.points.fiscal_year import PointsYear

    shop = Shop.objects.create(name="境目商店", address="中央1")
    clerk = UserFactory(roles=["shop_staff"])
    ShopMembership.objects.create(user=clerk, shop=shop)
    redeem(voucher, PointsYear([person], [rule], shop, clerk), at(2027, 4, 1, 0, 0, 0))

    fy2026, fy2027 = points_fiscal(Period.fiscal(2026)), points_fiscal(Period.fiscal(2027))
    assert (fy2026.totals.credited, fy2027.totals.credited) == (500, 1000)
    assert fy2026.by_month[-1].earned == 500 and fy2027.by_month[0].earned == 1000
    assert (fy2026.exchanged.count, fy2027.exchanged.count) == (1, 0)
    # Still outstanding at the end of 31 March: redeemed a moment after midnight.
    assert (fy2026.outstanding.count, fy2026.liability) == (1, 500)
    assert (fy2026.redeemed.count, fy2027.redeemed.count) == (0, 1)
    assert (fy2027.outstanding.count, fy2027.liability) == (0, 0)
    # Any period: the last day of March alone, and April's first day alone.
    assert (
        points_fiscal(Period.between(dt.date(2027, 3, 31), dt.date(2027, 3, 31))).totals.credited
        == 500
    )
    assert (
        points_fiscal(Period.between(dt.date(2027, 4, 1), dt.date(2027, 4, 1))).totals.credited
        == 1000
    )
