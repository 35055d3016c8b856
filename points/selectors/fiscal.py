"""The points side of the fiscal-year report: what the books say about a period.

Every figure is a grouped aggregate over the ledger (or the voucher table, for counts
of vouchers), dated by its posting (``Transaction.created_at``, Asia/Tokyo): a voucher
is exchanged, redeemed, voided or expired when the ledger moved its points. So the
vouchers outstanding at the end of a period are exactly what the voucher-liability
account holds at that moment, summed from its entries up to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from core.stats import Period, month_of
from points.models import (
    AccountKind,
    CapReason,
    Entry,
    Transaction,
    TransactionKind,
    Voucher,
)


@dataclass
class RuleFigures:
    """Earning under one rule: awards, what was asked, credited and held back."""

    name: str
    awards: int = 0
    requested: int = 0
    credited: int = 0
    capped_daily: int = 0
    capped_yearly: int = 0

    @property
    def capped(self) -> int:
        return self.capped_daily + self.capped_yearly


@dataclass
class MonthFigures:
    month: dt.date
    earned: int = 0
    awards: int = 0
    capped: int = 0
    expired: int = 0
    exchanged: int = 0
    redeemed: int = 0


@dataclass
class VoucherFigures:
    count: int = 0
    points: int = 0
    yen: int = 0


@dataclass
class PointsFiscal:
    period: Period
    by_rule: list[RuleFigures]
    by_month: list[MonthFigures]
    #: Net points into volunteers' wallets per transaction kind (earn +, exchange −, …).
    wallet_flows: dict[str, int]
    expired: int
    exchanged: VoucherFigures
    #: Vouchers closed in the period, by how: redeemed, expired, void.
    closed: dict[str, VoucherFigures]
    outstanding: VoucherFigures
    #: The voucher-liability account's balance at the period's end, from its entries.
    liability: int
    totals: RuleFigures = field(init=False)

    def __post_init__(self):
        totals = RuleFigures(name="")
        for rule in self.by_rule:
            totals.awards += rule.awards
            totals.requested += rule.requested
            totals.credited += rule.credited
            totals.capped_daily += rule.capped_daily
            totals.capped_yearly += rule.capped_yearly
        self.totals = totals

    @property
    def redeemed(self) -> VoucherFigures:
        return self.closed.get(Voucher.Status.REDEEMED, VoucherFigures())

    @property
    def vouchers_expired(self) -> VoucherFigures:
        return self.closed.get(Voucher.Status.EXPIRED, VoucherFigures())

    @property
    def voided(self) -> VoucherFigures:
        return self.closed.get(Voucher.Status.VOID, VoucherFigures())

    @property
    def liability_matches(self) -> bool:
        return self.liability == self.outstanding.points


def _in(period: Period, path: str) -> Q:
    return Q(**{f"{path}__gte": period.starts_at, f"{path}__lt": period.ends_before})


def earning_by_rule(period: Period) -> list[RuleFigures]:
    """Awards of the period per earning rule: one grouped query over the transactions
    (what they asked and what the limits held back) and one over their wallet entries
    (what was credited)."""
    earns = Transaction.objects.filter(_in(period, "created_at"), kind=TransactionKind.EARN)
    rows = (
        earns.values("rule_id", "rule__name")
        .annotate(
            awards=Count("pk"),
            requested=Coalesce(Sum("requested_points"), 0),
            daily=Coalesce(Sum("capped_points", filter=Q(cap_reason=CapReason.DAILY)), 0),
            yearly=Coalesce(Sum("capped_points", filter=Q(cap_reason=CapReason.YEARLY)), 0),
        )
        .order_by("rule__name", "rule_id")
    )
    credited = dict(
        Entry.objects.filter(
            _in(period, "transaction__created_at"),
            transaction__kind=TransactionKind.EARN,
            account__kind=AccountKind.WALLET,
        )
        .values("transaction__rule_id")
        .annotate(total=Sum("amount"))
        .values_list("transaction__rule_id", "total")
    )
    return [
        RuleFigures(
            name=row["rule__name"] or "—",
            awards=row["awards"],
            requested=row["requested"],
            credited=credited.get(row["rule_id"], 0),
            capped_daily=row["daily"],
            capped_yearly=row["yearly"],
        )
        for row in rows
    ]


def points_by_month(period: Period) -> list[MonthFigures]:
    """Month by month: points earned (and awards), held back by the limits, expired,
    exchanged for vouchers and redeemed at shops. Two grouped queries."""
    zone = timezone.get_default_timezone()
    months = {month: MonthFigures(month) for month in period.months()}
    flows = (
        Entry.objects.filter(_in(period, "transaction__created_at"))
        .filter(
            Q(transaction__kind=TransactionKind.EARN, account__kind=AccountKind.WALLET)
            | Q(transaction__kind=TransactionKind.EXPIRE, account__kind=AccountKind.EXPIRED)
            | Q(
                transaction__kind__in=[TransactionKind.EXCHANGE, TransactionKind.REDEEM],
                account__kind=AccountKind.VOUCHER_LIABILITY,
            )
        )
        .annotate(month=TruncMonth("transaction__created_at", tzinfo=zone))
        .values("month", "transaction__kind")
        .annotate(total=Sum("amount"))
    )
    for row in flows:
        figures = months[month_of(row["month"])]
        kind, total = row["transaction__kind"], row["total"] or 0
        if kind == TransactionKind.EARN:
            figures.earned += total
        elif kind == TransactionKind.EXPIRE:
            figures.expired += total
        elif kind == TransactionKind.EXCHANGE:
            figures.exchanged += total
        else:
            figures.redeemed -= total  # the liability goes down by what shops took
    earns = (
        Transaction.objects.filter(_in(period, "created_at"), kind=TransactionKind.EARN)
        .annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values("month")
        .annotate(awards=Count("pk"), capped=Coalesce(Sum("capped_points"), 0))
    )
    for row in earns:
        figures = months[month_of(row["month"])]
        figures.awards, figures.capped = row["awards"], row["capped"]
    return list(months.values())


def _voucher_figures(queryset) -> VoucherFigures:
    totals = queryset.aggregate(
        count=Count("pk"),
        points=Coalesce(Sum("points"), 0),
        yen=Coalesce(Sum("face_value_yen"), 0),
    )
    return VoucherFigures(**totals)


def vouchers_outstanding_at(moment: dt.datetime) -> VoucherFigures:
    """Vouchers exchanged before ``moment`` and not yet closed (redeemed, expired or
    voided) at it: the city's liability at that instant."""
    return _voucher_figures(
        Voucher.objects.filter(exchange__created_at__lt=moment).filter(
            Q(settled_by__isnull=True) | Q(settled_by__created_at__gte=moment)
        )
    )


def liability_at(moment: dt.datetime) -> int:
    """The voucher-liability account's balance at ``moment``, summed from its entries
    (the cached balance is today's, not the period's)."""
    return (
        Entry.objects.filter(
            account__kind=AccountKind.VOUCHER_LIABILITY, transaction__created_at__lt=moment
        ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]
        or 0
    )


def points_fiscal(period: Period) -> PointsFiscal:
    """Everything the fiscal-year report shows about points and vouchers for ``period``."""
    wallet_flows = dict(
        Entry.objects.filter(
            _in(period, "transaction__created_at"), account__kind=AccountKind.WALLET
        )
        .values("transaction__kind")
        .annotate(total=Sum("amount"))
        .values_list("transaction__kind", "total")
    )
    expired = Entry.objects.filter(
        _in(period, "transaction__created_at"),
        account__kind=AccountKind.EXPIRED,
        transaction__kind=TransactionKind.EXPIRE,
    ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    closed = {
        row["status"]: VoucherFigures(row["count"], row["points"], row["yen"])
        for row in Voucher.objects.filter(_in(period, "settled_by__created_at"))
        .values("status")
        .annotate(
            count=Count("pk"),
            points=Coalesce(Sum("points"), 0),
            yen=Coalesce(Sum("face_value_yen"), 0),
        )
        .order_by("status")
    }
    return PointsFiscal(
        period=period,
        by_rule=earning_by_rule(period),
        by_month=points_by_month(period),
        wallet_flows=wallet_flows,
        expired=expired,
        exchanged=_voucher_figures(Voucher.objects.filter(_in(period, "exchange__created_at"))),
        closed=closed,
        outstanding=vouchers_outstanding_at(period.ends_before),
        liability=liability_at(period.ends_before),
    )
