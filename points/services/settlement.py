"""Monthly settlement: each shop's statement, and its payment in the ledger."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import Role, User
from core.errors import NotPermitted
from points.exceptions import MonthNotOver
from points.ledger.locks import lock_or_create, lock_row
from points.models import SettlementStatement, Shop, TransactionKind, Voucher
from points.selectors import month_bounds
from points.services.accounts import shop_accounts
from points.services.postings import transaction_post


@transaction.atomic
def statement_generate(*, shop: Shop, month: dt.date) -> SettlementStatement:
    """Create or refresh the shop's statement for ``month`` (any day in it).

    Deterministic: the redemptions are those whose time falls in the month's
    half-open interval, so generating twice gives the same statement. A paid
    statement is never changed. Raises :class:`MonthNotOver` for the current or a
    future month.
    """
    month = month.replace(day=1)
    start, end = month_bounds(month)
    if end > timezone.now():
        raise MonthNotOver(month=month.isoformat())
    statement, _ = lock_or_create(SettlementStatement, shop=shop, month=month)
    if statement.status == SettlementStatement.Status.PAID:
        return statement
    totals = Voucher.objects.filter(
        shop=shop, status=Voucher.Status.REDEEMED, redeemed_at__gte=start, redeemed_at__lt=end
    ).aggregate(count=Count("pk"), points=Sum("points"), yen=Sum("face_value_yen"))
    statement.voucher_count = totals["count"]
    statement.total_points = totals["points"] or 0
    statement.total_yen = totals["yen"] or 0
    statement.generated_at = timezone.now()
    statement.save(update_fields=["voucher_count", "total_points", "total_yen", "generated_at"])
    return statement


def statements_generate_month(*, month: dt.date) -> int:
    """Generate ``month``'s statement for every shop with redemptions in it; returns
    how many. Raises :class:`MonthNotOver` for the current or a future month."""
    start, end = month_bounds(month)
    shops = Shop.objects.filter(
        redemptions__redeemed_at__gte=start, redemptions__redeemed_at__lt=end
    )
    return sum(1 for shop in shops.distinct() if statement_generate(shop=shop, month=month))


@transaction.atomic
def statement_mark_paid(*, statement: SettlementStatement, actor: User) -> SettlementStatement:
    """Record that the city paid the shop: receivable → settled in the ledger.

    Idempotent (a paid statement is returned as is). Raises :class:`NotPermitted`
    unless ``actor`` is city staff.
    """
    if not actor.acts_as(Role.CITY_STAFF):
        raise NotPermitted()
    statement = statement_generate(shop=statement.shop, month=statement.month)
    statement = lock_row(SettlementStatement, statement.pk)
    if statement.status == SettlementStatement.Status.PAID:
        return statement
    if statement.total_points:
        receivable, settled = shop_accounts(statement.shop)
        statement.payment = transaction_post(
            kind=TransactionKind.SETTLE,
            idempotency_key=f"statement:{statement.pk}:paid",
            lines=[(receivable, -statement.total_points), (settled, statement.total_points)],
            actor=actor,
            reference=f"statement:{statement.pk}",
        )
    statement.status = SettlementStatement.Status.PAID
    statement.paid_at = timezone.now()
    statement.paid_by = actor
    statement.save(update_fields=["status", "paid_at", "paid_by", "payment"])
    return statement
