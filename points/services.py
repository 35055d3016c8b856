"""Every write on the points ledger.

Guarantees, for every posting service here:

* **Balanced and atomic**: entries sum to zero and are written together with the
  cached balances in one database transaction (PostgreSQL also enforces this at commit).
* **Exactly once**: each call carries an ``idempotency_key``. The same key with the same
  content returns the original :class:`~points.models.Transaction`; the same key with
  different content raises :class:`~points.exceptions.IdempotencyConflict`.
* **Serialised per account**: the touched accounts are locked in primary-key order
  (``SELECT … FOR UPDATE``) before balances are read, so concurrent postings neither
  overdraw a wallet nor deadlock.
* **Never negative**: only the scheme's issuance account may go below zero; anything
  else raises :class:`~points.exceptions.InsufficientPoints`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Case, Exists, OuterRef, Q, Sum, Value, When
from django.utils import timezone

from accounts.models import Role, User
from core.errors import NotPermitted
from points.exceptions import (
    AlreadyReversed,
    CapReached,
    IdempotencyConflict,
    InsufficientPoints,
    NotReversible,
    ReasonRequired,
    RuleNotApplicable,
    UnbalancedTransaction,
)
from points.models import (
    Account,
    AccountKind,
    CapReason,
    EarningRule,
    Entry,
    Transaction,
    TransactionKind,
)

Lines = list[tuple[int, int]]  # (account id, signed points)
Builder = Callable[[dict[int, Account]], tuple[Lines, dict[str, Any]]]

SYSTEM_ACCOUNTS = {
    AccountKind.ISSUANCE: ("issuance", "いきいきポイント発行"),
    AccountKind.VOUCHER_LIABILITY: ("voucher-liability", "商品券引換済ポイント"),
    AccountKind.EXPIRED: ("expired", "失効ポイント"),
}


# --- Accounts -----------------------------------------------------------------------


def system_account(kind: AccountKind) -> Account:
    """The scheme-wide account of ``kind`` (created on first use)."""
    code, name = SYSTEM_ACCOUNTS[kind]
    account, _ = Account.objects.get_or_create(code=code, defaults={"kind": kind, "name": name})
    return account


def wallet_for(user: User) -> Account:
    """The user's points wallet (created on first use; safe under concurrency)."""
    account, _ = Account.objects.get_or_create(
        owner=user,
        kind=AccountKind.WALLET,
        defaults={"code": f"wallet-{user.pk}", "name": f"{user} のポイント"},
    )
    return account


# --- The posting core ---------------------------------------------------------------


def fingerprint(content: dict[str, Any]) -> str:
    """Digest of what a request asks for, to tell a replay from a conflicting reuse."""
    return hashlib.sha256(
        json.dumps(content, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


def lock_accounts(account_ids: Iterable[int]) -> dict[int, Account]:
    """Lock the accounts in primary-key order and return them with current balances.

    The one place locks are taken: a fixed global order means two postings that touch
    the same accounts can wait for each other but never deadlock.
    """
    ids = sorted(set(account_ids))
    locked = {
        a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    if len(locked) != len(ids):
        raise Account.DoesNotExist(f"unknown account ids: {set(ids) - set(locked)}")
    return locked


def _replay(key: str, digest: str) -> Transaction | None:
    existing = Transaction.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if existing.fingerprint != digest:
        raise IdempotencyConflict(idempotency_key=key)
    return existing


def _post(
    *,
    kind: TransactionKind,
    idempotency_key: str,
    content: dict[str, Any],
    account_ids: Iterable[int],
    build: Builder,
    actor: User | None = None,
    reference: str = "",
    memo: str = "",
) -> Transaction:
    digest = fingerprint({"kind": kind, **content})
    try:
        with transaction.atomic():
            locked = lock_accounts(account_ids)
            # Checked after the locks: a concurrent post with this key has committed
            # by now if it touched the same accounts, and READ COMMITTED sees it.
            existing = _replay(idempotency_key, digest)
            if existing is not None:
                return existing
            lines, details = build(locked)
            _check_lines(lines, locked)
            txn = Transaction.objects.create(
                kind=kind,
                idempotency_key=idempotency_key,
                fingerprint=digest,
                actor=actor,
                reference=reference,
                memo=memo,
                **details,
            )
            Entry.objects.bulk_create(
                Entry(transaction=txn, account_id=account_id, amount=amount)
                for account_id, amount in lines
            )
            _store_balances(lines, locked)
            return txn
    except IntegrityError:
        # Same key posted concurrently on other accounts: the loser lands here.
        existing = _replay(idempotency_key, digest)
        if existing is None:
            raise
        return existing


def _check_lines(lines: Lines, locked: dict[int, Account]) -> None:
    if sum(amount for _, amount in lines) != 0:
        raise UnbalancedTransaction()
    deltas: dict[int, int] = {}
    for account_id, amount in lines:
        deltas[account_id] = deltas.get(account_id, 0) + amount
    for account_id, delta in deltas.items():
        account = locked[account_id]
        if account.kind != AccountKind.ISSUANCE and account.balance + delta < 0:
            raise InsufficientPoints(
                account=account.code, balance=account.balance, requested=-delta
            )


def _store_balances(lines: Lines, locked: dict[int, Account]) -> None:
    deltas: dict[int, int] = {}
    for account_id, amount in lines:
        deltas[account_id] = deltas.get(account_id, 0) + amount
    for account_id, delta in deltas.items():
        locked[account_id].balance += delta
    Account.objects.filter(pk__in=deltas).update(
        balance=Case(
            *(When(pk=pk, then=Value(locked[pk].balance)) for pk in deltas),
            default="balance",
            output_field=BigIntegerField(),
        )
    )


# --- Public services ----------------------------------------------------------------


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
    return _post(
        kind=kind,
        idempotency_key=idempotency_key,
        content={"lines": sorted(plain), "reference": reference},
        account_ids=[pk for pk, _ in plain],
        build=lambda locked: (plain, {}),
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
    """Move ``amount`` (> 0) points from ``source`` to ``destination``."""
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


def award_points_for(rule: EarningRule, duration_minutes: int) -> int:
    """Points an activity of ``duration_minutes`` earns under ``rule``, before limits.

    Raises :class:`RuleNotApplicable` when the activity is shorter than the minimum.
    """
    if duration_minutes < max(rule.min_minutes, 1):
        raise RuleNotApplicable(
            reason="too_short", minimum_minutes=rule.min_minutes, field="duration_minutes"
        )
    if rule.basis == EarningRule.Basis.PER_VISIT:
        return rule.points
    counted = duration_minutes // rule.rounding_minutes * rule.rounding_minutes
    return counted * rule.points // 60


def earned_between(wallet: Account, rule: EarningRule, first: dt.date, last: dt.date) -> int:
    """Points credited to ``wallet`` under rules of ``rule``'s limit group between two
    activity dates (inclusive), not counting reversed awards."""
    total = Entry.objects.filter(
        account=wallet,
        transaction__kind=TransactionKind.EARN,
        transaction__rule__cap_group=rule.cap_group,
        transaction__activity_date__range=(first, last),
        transaction__reversed_by__isnull=True,
    ).aggregate(total=Sum("amount"))["total"]
    return total or 0


def points_award(
    *,
    user: User,
    rule: EarningRule,
    activity_date: dt.date,
    duration_minutes: int,
    idempotency_key: str,
    actor: User | None = None,
    reference: str = "",
    memo: str = "",
    allow_partial: bool = True,
) -> Transaction:
    """Credit ``user`` for an activity under ``rule``, within the daily and yearly limits.

    The limits are checked while the wallet is locked, so concurrent awards cannot
    exceed them. What the limits hold back is recorded on the transaction
    (``capped_points``, ``cap_reason``) so the volunteer can see why; a fully capped
    award is recorded with zero points. With ``allow_partial=False`` a capped award
    raises :class:`CapReached` instead and nothing is written.

    Raises :class:`RuleNotApplicable` (inactive rule, too short, under age or birth
    date unknown), :class:`CapReached`, :class:`IdempotencyConflict`.
    """
    if not rule.active:
        raise RuleNotApplicable(reason="inactive_rule")
    requested = award_points_for(rule, duration_minutes)
    if rule.min_age is not None:
        age = user.age_on(activity_date)
        if age is None or age < rule.min_age:
            raise RuleNotApplicable(
                reason="under_age" if age is not None else "birth_date_unknown",
                minimum_age=rule.min_age,
            )
    wallet = wallet_for(user)
    issuance = system_account(AccountKind.ISSUANCE)

    def build(locked: dict[int, Account]) -> tuple[Lines, dict[str, Any]]:
        credit, reason = requested, CapReason.NONE
        if rule.daily_cap is not None:
            room = max(
                0, rule.daily_cap - earned_between(wallet, rule, activity_date, activity_date)
            )
            if room < credit:
                credit, reason = room, CapReason.DAILY
        if rule.yearly_cap is not None:
            room = max(
                0, rule.yearly_cap - earned_between(wallet, rule, *rule.year_bounds(activity_date))
            )
            if room < credit:
                credit, reason = room, CapReason.YEARLY
        if credit < requested and not allow_partial:
            raise CapReached(cap=reason.value, requested=requested, available=credit)
        details = {
            "rule": rule,
            "activity_date": activity_date,
            "requested_points": requested,
            "capped_points": requested - credit,
            "cap_reason": reason,
            "expires_on": rule.expiry_for(activity_date),
        }
        return [(wallet.pk, credit), (issuance.pk, -credit)], details

    return _post(
        kind=TransactionKind.EARN,
        idempotency_key=idempotency_key,
        content={
            "user": user.pk,
            "rule": rule.pk,
            "date": activity_date.isoformat(),
            "minutes": duration_minutes,
            "reference": reference,
        },
        account_ids=[wallet.pk, issuance.pk],
        build=build,
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
    if not (actor.is_superuser or actor.has_role(Role.CITY_STAFF)):
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

    return _post(
        kind=TransactionKind.REVERSAL,
        idempotency_key=key,
        content={"reverses": original.pk},
        account_ids=[account_id for account_id, _ in legs],
        build=build,
        actor=actor,
        reference=f"reverse:{original.pk}",
        memo=memo,
    )


def expirable_points(wallet: Account, as_of: dt.date) -> int:
    """Points in ``wallet`` whose validity ended before ``as_of``.

    Points are used first-expiring-first: outflows consume the lots that expire
    soonest, and points without an expiry date (adjustments, refunds) last. So what is
    left of the expired lots is what they earned minus everything that has gone out.
    Must be called with the wallet locked (it reads the balance).
    """
    earned = Entry.objects.filter(
        account=wallet,
        transaction__kind=TransactionKind.EARN,
        transaction__reversed_by__isnull=True,
    )
    totals = earned.aggregate(
        all=Sum("amount"),
        expired=Sum("amount", filter=Q(transaction__expires_on__lt=as_of)),
    )
    other_inflows = (
        Entry.objects.filter(account=wallet, amount__gt=0)
        .exclude(transaction__kind=TransactionKind.EARN)
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )
    outflows = (totals["all"] or 0) + other_inflows - wallet.balance
    return max(0, min(wallet.balance, (totals["expired"] or 0) - outflows))


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
        return _post(
            kind=TransactionKind.EXPIRE,
            idempotency_key=key,
            content={"wallet": wallet.pk, "as_of": as_of.isoformat()},
            account_ids=[wallet.pk, expired_account.pk],
            build=build,
            reference=f"expire:{as_of.isoformat()}",
        )
    except _NothingToExpire:
        return None


class _NothingToExpire(Exception):
    pass


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
    return sum(1 for wallet in wallets.iterator() if wallet_expire(wallet=wallet, as_of=as_of))
