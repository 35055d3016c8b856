"""Vouchers: exchanged for points, redeemed at a shop, voided, expired.

Each voucher ends exactly once: its closing transaction (redemption, void or expiry)
has the key ``voucher:<pk>:close`` and the voucher row is locked first (lock order in
:mod:`points.ledger.locks`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, User
from core.errors import NotPermitted
from points import codes
from points.exceptions import (
    ExchangeClosed,
    ExchangeLimitReached,
    InvalidVoucherCount,
    ReasonRequired,
)
from points.ledger.locks import lock_row
from points.ledger.posting import Lines, post
from points.models import (
    Account,
    AccountKind,
    ExchangeSettings,
    Shop,
    ShopMembership,
    Transaction,
    TransactionKind,
    Voucher,
    fiscal_year_bounds,
)
from points.selectors import shop_assert_staff, voucher_assert_usable, voucher_find
from points.services.accounts import shop_accounts, system_account, wallet_for
from points.services.postings import transaction_post


@transaction.atomic
def voucher_exchange(
    *, user: User, count: int, idempotency_key: str, actor: User | None = None
) -> tuple[Transaction, list[Voucher]]:
    """Turn ``count`` vouchers' worth of points into vouchers, in one transaction:
    points move wallet → voucher liability and the vouchers are created together.

    Replaying the same key returns the same transaction and vouchers.
    Raises :class:`InvalidVoucherCount`, :class:`ExchangeClosed`,
    :class:`ExchangeLimitReached`, :class:`InsufficientPoints`,
    :class:`IdempotencyConflict`.
    """
    config = ExchangeSettings.load()
    if count < 1 or count > 100:
        raise InvalidVoucherCount(field="count")
    today = timezone.localdate()
    if not config.open_in(today.month):
        raise ExchangeClosed(months=config.exchange_months)
    points = count * config.voucher_points
    wallet, liability = wallet_for(user), system_account(AccountKind.VOUCHER_LIABILITY)

    def build(locked: dict[int, Account]) -> tuple[Lines, dict[str, Any]]:
        if config.yearly_limit_points is not None:
            used = (
                Voucher.objects.filter(
                    owner=user, issued_at__date__gte=fiscal_year_bounds(today)[0]
                ).aggregate(total=Sum("points"))["total"]
                or 0
            )
            if used + points > config.yearly_limit_points:
                raise ExchangeLimitReached(
                    field="count", available=max(0, config.yearly_limit_points - used)
                )
        return [(wallet.pk, -points), (liability.pk, points)], {}

    txn = post(
        kind=TransactionKind.EXCHANGE,
        idempotency_key=idempotency_key,
        content={"user": user.pk, "count": count, "voucher_points": config.voucher_points},
        account_ids=[wallet.pk, liability.pk],
        build=build,
        actor=actor,
        reference=f"exchange:{user.pk}",
    )
    vouchers = list(txn.vouchers.order_by("pk"))
    if not vouchers:
        vouchers = _vouchers_create(txn, user, count, config, today)
    return txn, vouchers


def _vouchers_create(
    txn: Transaction, user: User, count: int, config: ExchangeSettings, today: dt.date
) -> list[Voucher]:
    expires_on = today + dt.timedelta(days=config.valid_days)
    vouchers = []
    for _ in range(count):
        code = codes.generate()
        vouchers.append(
            Voucher.objects.create(
                owner=user,
                code_digest=codes.digest(code),
                code_sealed=codes.seal(code),
                points=config.voucher_points,
                face_value_yen=config.face_value_yen,
                expires_on=expires_on,
                exchange=txn,
            )
        )
    return vouchers


def voucher_redeem(*, typed_code: str, shop: Shop, staff: User) -> Voucher:
    """Accept a voucher at ``shop``: exactly once, whatever the concurrency.

    The voucher row is locked first (then the ledger accounts, in key order), so of
    many simultaneous attempts one succeeds and the rest see it used. Points move
    voucher liability → the shop's receivable.

    Raises what :func:`points.selectors.voucher_check` raises.
    """
    shop_assert_staff(shop, staff)
    found = voucher_find(typed_code)
    with transaction.atomic():
        # Locked without select_related: a row locked after waiting is re-read by
        # PostgreSQL, but a joined row is not, so the shop must be loaded after the lock.
        voucher = lock_row(Voucher, found.pk)
        voucher_assert_usable(voucher, timezone.localdate())
        liability = system_account(AccountKind.VOUCHER_LIABILITY)
        receivable, _ = shop_accounts(shop)
        txn = transaction_post(
            kind=TransactionKind.REDEEM,
            idempotency_key=f"voucher:{voucher.pk}:close",
            lines=[(liability, -voucher.points), (receivable, voucher.points)],
            actor=staff,
            reference=f"voucher:{voucher.pk}",
        )
        voucher.status = Voucher.Status.REDEEMED
        voucher.redeemed_at = timezone.now()
        voucher.shop = shop
        voucher.redeemed_by = staff
        voucher.settled_by = txn
        voucher.save(update_fields=["status", "redeemed_at", "shop", "redeemed_by", "settled_by"])
    return voucher


@transaction.atomic
def shop_choice_remember(*, staff: User, shop: Shop) -> None:
    """Remember ``shop`` as the one ``staff`` chose at the counter: it is pre-selected
    on their next visit. One row updated, so concurrent choices cannot conflict (the
    latest wins). Does nothing if ``staff`` does not work at ``shop``."""
    ShopMembership.objects.filter(user=staff, shop=shop).update(chosen_at=timezone.now())


def _voucher_return(voucher: Voucher, status: str, actor: User | None, reason: str) -> Voucher:
    """Close ``voucher`` (locked by the caller) with ``status``: its points return from
    the voucher liability to the scheme."""
    liability = system_account(AccountKind.VOUCHER_LIABILITY)
    issuance = system_account(AccountKind.ISSUANCE)
    txn = transaction_post(
        kind=TransactionKind.VOUCHER_RETURN,
        idempotency_key=f"voucher:{voucher.pk}:close",
        lines=[(liability, -voucher.points), (issuance, voucher.points)],
        actor=actor,
        reference=f"voucher:{voucher.pk}",
        memo=reason,
    )
    voucher.status = status
    voucher.settled_by = txn
    voucher.void_reason = reason if status == Voucher.Status.VOID else ""
    voucher.save(update_fields=["status", "settled_by", "void_reason"])
    return voucher


@transaction.atomic
def voucher_void(*, voucher: Voucher, reason: str, actor: User) -> Voucher:
    """Cancel an unused voucher (lost, issued by mistake); its value returns to the
    scheme. Raises :class:`NotPermitted`, :class:`ReasonRequired` and the errors of
    an unusable voucher."""
    if not actor.acts_as(Role.CITY_STAFF):
        raise NotPermitted()
    if not (reason or "").strip():
        raise ReasonRequired(field="reason")
    locked = lock_row(Voucher, voucher.pk)
    voucher_assert_usable(locked, dt.date.min)
    return _voucher_return(locked, Voucher.Status.VOID, actor, reason.strip())


def vouchers_expire_due(*, as_of: dt.date | None = None) -> int:
    """Expire unused vouchers whose validity ended before ``as_of`` (default today,
    Asia/Tokyo) and return their value to the scheme. Idempotent; each voucher is its
    own transaction. Returns how many expired."""
    as_of = as_of or timezone.localdate()
    due = Voucher.objects.filter(status=Voucher.Status.ISSUED, expires_on__lt=as_of)
    expired = 0
    for pk in due.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            voucher = lock_row(Voucher, pk)
            if voucher.status != Voucher.Status.ISSUED:
                continue  # used or voided meanwhile
            _voucher_return(voucher, Voucher.Status.EXPIRED, None, "")
            expired += 1
    return expired
