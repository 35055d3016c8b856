"""Generic postings: fixed lines, transfers, manual adjustments and reversals.

Each is one balanced transaction, exactly once per ``idempotency_key``, with the
guarantees of :mod:`points.ledger`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accounts.models import Role, User
from core.errors import NotPermitted
from points.exceptions import AlreadyReversed, NotReversible, ReasonRequired
from points.ledger.posting import Lines, post
from points.models import Account, AccountKind, Transaction, TransactionKind
from points.services.accounts import system_account, wallet_for


def transaction_post(
    *,
    kind: TransactionKind,
    idempotency_key: str,
    lines: Sequence[tuple[Account, int]],
    actor: User | None = None,
    reference: str = "",
    memo: str = "",
) -> Transaction:
    """Post ``lines`` (account, signed points) as one balanced transaction.

    Raises :class:`UnbalancedTransaction`, :class:`InsufficientPoints` or
    :class:`IdempotencyConflict`.
    """
    plain = [(account.pk, int(amount)) for account, amount in lines]
    return post(
        kind=kind,
        idempotency_key=idempotency_key,
        content={"lines": sorted(plain), "reference": reference},
        account_ids=[pk for pk, _ in plain],
        lines=plain,
        actor=actor,
        reference=reference,
        memo=memo,
    )


def points_transfer(
    *,
    source: Account,
    destination: Account,
    amount: int,
    idempotency_key: str,
    kind: TransactionKind = TransactionKind.TRANSFER,
    actor: User | None = None,
    reference: str = "",
    memo: str = "",
) -> Transaction:
    """Move ``amount`` (> 0) points from ``source`` to ``destination``.

    Raises ``ValueError`` for an amount that is not positive, and what
    :func:`transaction_post` raises.
    """
    if amount <= 0:
        raise ValueError("amount must be positive")
    return transaction_post(
        kind=kind,
        idempotency_key=idempotency_key,
        lines=[(source, -amount), (destination, amount)],
        actor=actor,
        reference=reference,
        memo=memo,
    )


def points_adjust(
    *,
    user: User,
    amount: int,
    reason: str,
    actor: User,
    idempotency_key: str,
) -> Transaction:
    """A manual correction by city staff: credit (``amount`` > 0) or debit a wallet.

    Raises :class:`NotPermitted` unless ``actor`` is city staff, :class:`ReasonRequired`
    for a blank reason, :class:`InsufficientPoints` for a debit beyond the balance.
    """
    if not actor.acts_as(Role.CITY_STAFF):
        raise NotPermitted()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(field="reason")
    if amount == 0:
        raise ValueError("amount must not be zero")
    wallet, issuance = wallet_for(user), system_account(AccountKind.ISSUANCE)
    return transaction_post(
        kind=TransactionKind.ADJUST,
        idempotency_key=idempotency_key,
        lines=[(wallet, amount), (issuance, -amount)],
        actor=actor,
        memo=reason,
        reference=f"adjust:{user.pk}",
    )


def transaction_reverse(
    *,
    original: Transaction,
    idempotency_key: str | None = None,
    actor: User | None = None,
    memo: str = "",
) -> Transaction:
    """Post the mirror image of ``original``, linked to it (``reverses``).

    A transaction is reversed at most once (the link is unique); reversing the same
    transaction again with the same key returns the first reversal.

    Raises :class:`NotReversible` for a reversal, :class:`AlreadyReversed`,
    :class:`InsufficientPoints` when the points were already used.
    """
    if original.kind == TransactionKind.REVERSAL:
        raise NotReversible()
    key = idempotency_key or f"reverse:{original.pk}"
    legs = list(original.entries.values_list("account_id", "amount"))
    mirrored = [(account_id, -amount) for account_id, amount in legs]

    def build(locked: dict[int, Account]) -> tuple[Lines, dict[str, Any]]:
        if Transaction.objects.filter(reverses=original).exists():
            raise AlreadyReversed()
        return mirrored, {"reverses": original}

    return post(
        kind=TransactionKind.REVERSAL,
        idempotency_key=key,
        content={"reverses": original.pk},
        account_ids=[account_id for account_id, _ in legs],
        build=build,
        actor=actor,
        reference=f"reverse:{original.pk}",
        memo=memo,
    )
