"""Expiry of points: what is past its validity moves to the expired account."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from points.ledger.posting import Lines, post
from points.models import Account, AccountKind, Transaction, TransactionKind
from points.selectors import expirable_points
from points.services.accounts import system_account


class _NothingToExpire(Exception):
    pass


def wallet_expire(*, wallet: Account, as_of: dt.date) -> Transaction | None:
    """Move points whose validity ended before ``as_of`` to the expired account.

    Idempotent: the key is the wallet and the date, and a second run finds nothing
    left to expire. Returns None when nothing expired.
    """
    expired_account = system_account(AccountKind.EXPIRED)
    key = f"expire:{wallet.pk}:{as_of.isoformat()}"

    def build(locked: dict[int, Account]) -> tuple[Lines, dict[str, Any]]:
        amount = expirable_points(locked[wallet.pk], as_of)
        if amount == 0:
            raise _NothingToExpire()
        return [(wallet.pk, -amount), (expired_account.pk, amount)], {}

    try:
        return post(
            kind=TransactionKind.EXPIRE,
            idempotency_key=key,
            content={"wallet": wallet.pk, "as_of": as_of.isoformat()},
            account_ids=[wallet.pk, expired_account.pk],
            build=build,
            reference=f"expire:{as_of.isoformat()}",
        )
    except _NothingToExpire:
        return None


def points_expire_due(*, as_of: dt.date | None = None) -> int:
    """Expire every wallet holding points that expired before ``as_of`` (default:
    today in Asia/Tokyo). Each wallet is its own transaction. Returns how many wallets
    had points expired; running it twice expires nothing more."""
    as_of = as_of or timezone.localdate()
    lots = Transaction.objects.filter(
        kind=TransactionKind.EARN,
        expires_on__lt=as_of,
        entries__account=OuterRef("pk"),
    )
    wallets = Account.objects.filter(kind=AccountKind.WALLET, balance__gt=0).filter(Exists(lots))
    expired = 0
    for wallet in wallets.iterator():
        key = f"expire:{wallet.pk}:{as_of.isoformat()}"
        already = Transaction.objects.filter(idempotency_key=key).exists()
        if wallet_expire(wallet=wallet, as_of=as_of) is not None and not already:
            expired += 1
    return expired
