"""Every write on the points ledger.

Guarantees, for every posting service here:

* **Balanced and atomic**: entries sum to zero and are written together with the
  cached balances in one database transaction (PostgreSQL also enforces this at commit).
* **Exactly once**: each call carries an ``idempotency_key``. The same key with the same
  content returns the original :class:`~points.models.Transaction`; the same key with
  different content raises :class:`~points.exceptions.IdempotencyConflict`. The content
  includes the actor and the memo (see ``request_fingerprint``).
* **Serialised per account**: the touched accounts are locked in primary-key order
  (``SELECT … FOR NO KEY UPDATE``; the issuance account last, see ``lock_accounts``)
  before balances are read, so concurrent postings neither overdraw a wallet nor
  deadlock.
* **Never negative**: only the scheme's issuance account may go below zero; anything
  else raises :class:`~points.exceptions.InsufficientPoints`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from accounts.models import Role, User
from core.db import savepoint_if_nested
from core.errors import NotPermitted
from points import codes
from points.exceptions import (
    AlreadyReversed,
    CapReached,
    ExchangeClosed,
    ExchangeLimitReached,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidVoucherCount,
    MonthNotOver,
    NotReversible,
    ReasonRequired,
    RuleNotApplicable,
    UnbalancedTransaction,
    VoucherAlreadyRedeemed,
    VoucherExpired,
    VoucherMistyped,
    VoucherUnknown,
    VoucherVoid,
    WrongShop,
)
from points.models import (
    Account,
    AccountKind,
    CapReason,
    EarningRule,
    Entry,
    ExchangeSettings,
    SettlementStatement,
    Shop,
    ShopMembership,
    Transaction,
    TransactionKind,
    Voucher,
    fiscal_year_bounds,
)
from points.selectors import month_bounds

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


def _wallet_and_issuance(user: User) -> tuple[Account, Account]:
    """The user's wallet and the issuance account: one query when both exist (every
    award needs the two), else created as :func:`wallet_for` and
    :func:`system_account` do."""
    found = {
        account.kind: account
        for account in Account.objects.filter(
            Q(kind=AccountKind.WALLET, owner=user)
            | Q(code=SYSTEM_ACCOUNTS[AccountKind.ISSUANCE][0])
        )
    }
    wallet = found.get(AccountKind.WALLET) or wallet_for(user)
    issuance = found.get(AccountKind.ISSUANCE) or system_account(AccountKind.ISSUANCE)
    return wallet, issuance


# --- The posting core ---------------------------------------------------------------


def fingerprint(content: dict[str, Any]) -> str:
    """Digest of what a request asks for, to tell a replay from a conflicting reuse."""
    return hashlib.sha256(
        json.dumps(content, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


def request_fingerprint(content_digest: str, *, actor_id: int | None, memo: str) -> str:
    """The stored fingerprint: the content's digest together with who asked and the
    memo. Both are part of what was asked to be recorded, so a key reused by someone
    else or with another memo is a client bug and a conflict, not a silent replay of
    the original. Built on the content's digest so that migration 0006 could bring
    the rows stored before from their own columns (``actor_id``, ``memo``)."""
    return fingerprint({"content": content_digest, "actor": actor_id, "memo": memo})


def _digest(kind: TransactionKind, content: dict[str, Any], actor: User | None, memo: str) -> str:
    return request_fingerprint(
        fingerprint({"kind": kind, **content}),
        actor_id=actor.pk if actor is not None else None,
        memo=memo,
    )


def lock_accounts(account_ids: Iterable[int]) -> dict[int, Account]:
    """Lock the accounts in primary-key order and return them with current balances.

    The one place locks are taken (``points_post()`` on PostgreSQL does the same in
    SQL): a fixed global order means two postings that touch the same accounts can
    wait for each other but never deadlock.

    The issuance account is read but **not locked** here. Every award and adjustment
    touches it, so locking it up front serialised all of them system-wide for the
    whole posting. Nothing reads its balance (it is the one account allowed below
    zero), so it only needs the row lock its balance ``UPDATE`` takes, and that update
    is the last statement of every posting: a posting holding the issuance row waits
    for no other account lock afterwards, so the order stays deadlock-free, and the
    cached balance still changes in the same transaction as the entries (the
    ``points_audit`` invariant holds).

    ``FOR NO KEY UPDATE`` rather than ``FOR UPDATE``: it serialises postings on an
    account just the same, but does not conflict with the KEY SHARE lock a foreign key
    check takes, which ``points_post()`` takes (inserting entries) before it locks.
    """
    ids = sorted(set(account_ids))
    # Plain SQL: every posting runs this, and compiling the ORM query cost more than
    # running it. Only what the checks read is loaded; other fields load on access.
    table, marks = Account._meta.db_table, ", ".join(["%s"] * len(ids))
    if connection.features.has_select_for_update:
        sql = (
            f"WITH locked AS (SELECT id, kind, code, balance FROM {table}"  # noqa: S608
            f" WHERE id IN ({marks}) AND kind <> %s ORDER BY id FOR NO KEY UPDATE)"
            f" SELECT * FROM locked UNION ALL SELECT id, kind, code, balance FROM {table}"
            f" WHERE id IN ({marks}) AND kind = %s"
        )
        params = [*ids, AccountKind.ISSUANCE.value, *ids, AccountKind.ISSUANCE.value]
    else:  # SQLite: one writer at a time, no row locks
        sql = f"SELECT id, kind, code, balance FROM {table} WHERE id IN ({marks})"  # noqa: S608
        params = ids
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names = ["id", "kind", "code", "balance"]
    locked = {row[0]: Account.from_db(connection.alias, names, row) for row in rows}
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


def _insert_transaction(txn: Transaction) -> bool:
    """Insert ``txn`` unless its idempotency key is taken; False (and ``txn`` unsaved)
    when it is. ``ON CONFLICT DO NOTHING`` waits for a concurrent insert of the same
    key to commit or roll back, so a False is always followed by a visible original."""
    if not connection.features.can_return_columns_from_insert:  # SQLite < 3.35
        if Transaction.objects.filter(idempotency_key=txn.idempotency_key).exists():
            return False
        txn.save(force_insert=True)
        return True
    fields = [f for f in Transaction._meta.concrete_fields if not f.primary_key]
    sql = (
        f"INSERT INTO {Transaction._meta.db_table} ({', '.join(f.column for f in fields)})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(fields))})"
        " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
    )
    params = [f.get_db_prep_save(f.pre_save(txn, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    txn.pk, txn._state.adding, txn._state.db = row[0], False, connection.alias
    return True


def _post(
    *,
    kind: TransactionKind,
    idempotency_key: str,
    content: dict[str, Any],
    account_ids: Iterable[int],
    build: Builder | None = None,
    lines: Lines | None = None,
    actor: User | None = None,
    reference: str = "",
    memo: str = "",
) -> Transaction:
    """Post ``lines``, or what ``build`` returns under the locks, exactly once.

    Fixed lines on PostgreSQL go to :func:`_post_in_database` (one round trip); a
    builder, and every posting on SQLite, runs the steps below in Python. Both do the
    same steps in the same order with the same outcomes (``test_sql_path`` holds them
    to it).
    """
    digest = _digest(kind, content, actor, memo)
    if build is None and posts_in_database():
        txn = Transaction(
            kind=kind,
            idempotency_key=idempotency_key,
            fingerprint=digest,
            actor=actor,
            reference=reference,
            memo=memo,
        )
        return _post_in_database(txn, lines)
    try:
        with transaction.atomic():
            locked = lock_accounts(account_ids)
            details: dict[str, Any] = {}
            if build is not None:
                # A builder reads the ledger (limits, what is left to expire), so a
                # replay must be caught before it runs. Checked after the locks: a
                # concurrent post with this key has committed by now if it touched the
                # same accounts, and READ COMMITTED sees it.
                existing = _replay(idempotency_key, digest)
                if existing is not None:
                    return existing
                lines, details = build(locked)
            txn = Transaction(
                kind=kind,
                idempotency_key=idempotency_key,
                fingerprint=digest,
                actor=actor,
                reference=reference,
                memo=memo,
                **details,
            )
            if not _insert_transaction(txn):
                # The key is taken: a replay (or a conflict), never a second posting.
                # Static lines get here without the separate replay query.
                return _replay(idempotency_key, digest)
            _check_lines(lines, locked)  # raising rolls the insert back
            _insert_entries(txn.pk, lines)
            _store_balances(lines, locked)
            return txn
    except IntegrityError:
        # Same key posted concurrently on other accounts: the loser lands here.
        existing = _replay(idempotency_key, digest)
        if existing is None:
            raise
        return existing


def posts_in_database() -> bool:
    """Whether fixed-line postings use ``points_post()`` (PostgreSQL, migration 0004)."""
    return connection.vendor == "postgresql"


# SQLSTATEs raised by points_post() (migration 0004) for the ledger's domain errors;
# points_award_post() (0005) adds IK005 for CapReached.
LEDGER_SQLSTATES = ("IK001", "IK002", "IK003", "IK004")


def _post_in_database(txn: Transaction, lines: Lines) -> Transaction:
    """Post ``txn`` (unsaved) with ``lines`` through ``points_post()``: one statement.

    Why: a posting from Python costs five or more round trips (lock, insert, entries,
    balances, plus BEGIN/COMMIT), and the account locks are held across all of them;
    in one statement the locks are held for the database's own work only, which is
    what makes a hot wallet cheap. Outside a transaction the statement commits by
    itself (no BEGIN/COMMIT round trips); inside one it runs in a savepoint, so a
    refused posting leaves the caller's transaction usable, as ``atomic()`` does on the
    Python path.

    Same guarantees and errors as the Python path: the replay of a key returns the
    stored transaction, and ``IdempotencyConflict``, ``UnbalancedTransaction``,
    ``InsufficientPoints`` and ``Account.DoesNotExist`` are raised for the same cases.
    """
    params = [
        _transaction_record(txn),
        _bigint_array(account_id for account_id, _ in lines),
        _bigint_array(amount for _, amount in lines),
    ]
    sql = "SELECT * FROM points_post(%s::jsonb, %s::bigint[], %s::bigint[])"
    try:
        with savepoint_if_nested(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            transaction_id, replayed = cursor.fetchone()
    except DatabaseError as exc:
        _raise_ledger_error(exc, txn)
    if replayed:
        return Transaction.objects.get(pk=transaction_id)
    txn.pk, txn._state.adding, txn._state.db = transaction_id, False, connection.alias
    return txn


@functools.cache
def _transaction_columns() -> tuple[tuple[str, str], ...]:
    """(column, attribute) of every ``points_transaction`` column ``points_post()``
    writes: all but the id."""
    return tuple(
        (f.column, f.attname) for f in Transaction._meta.concrete_fields if not f.primary_key
    )


def _transaction_record(txn: Transaction) -> str:
    """``txn`` as the JSON object ``points_post()`` reads with ``jsonb_populate_record``.

    The attributes as they are: every column is text, a number, a date, an aware
    datetime or NULL, which is what the fields' own database conversion would give on
    PostgreSQL too, at a third of its cost on every posting (``bench_ledger``). Dates
    and datetimes are written in ISO 8601 (with the offset), which PostgreSQL reads
    back exactly (``test_sql_path`` compares every stored column); a naive datetime is
    taken in the current time zone, as the field itself would.
    """
    return json.dumps(
        {column: getattr(txn, attname) for column, attname in _transaction_columns()},
        default=_json_date,
    )


def _json_date(value: dt.date) -> str:
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.isoformat()


def _bigint_array(values: Iterable[int]) -> str:
    """A ``bigint[]`` literal: cheaper than letting psycopg adapt a Python list."""
    return "{" + ",".join(str(int(value)) for value in values) + "}"


def _award_in_database(
    txn: Transaction,
    *,
    wallet: Account,
    issuance: Account,
    caps: list[tuple[CapReason, int | None, tuple[dt.date, dt.date]]],
    allow_partial: bool,
) -> Transaction:
    """The locked part of :func:`points_award` through ``points_award_post()``
    (migration 0005): the build step of the Python path (replay under the wallet lock,
    the limits in order, ``CapReached``) and the posting, in one statement.

    ``caps``: (reason, limit or None, (first, last) activity dates), checked in order.
    """
    limits = [
        {"reason": reason.value, "cap": cap, "first": first.isoformat(), "last": last.isoformat()}
        for reason, cap, (first, last) in caps
        if cap is not None
    ]
    params = [
        _transaction_record(txn),
        wallet.pk,
        issuance.pk,
        txn.rule.cap_group,
        json.dumps(limits),
    ]
    sql = "SELECT * FROM points_award_post(%s::jsonb, %s, %s, %s, %s::jsonb, %s)"
    try:
        with savepoint_if_nested(), connection.cursor() as cursor:
            cursor.execute(sql, [*params, allow_partial])
            transaction_id, replayed, capped, reason = cursor.fetchone()
    except DatabaseError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == "IK005":
            raise CapReached(**json.loads(exc.__cause__.diag.message_detail)) from None
        _raise_ledger_error(exc, txn)
    if replayed:
        return Transaction.objects.get(pk=transaction_id)
    txn.capped_points, txn.cap_reason = capped, reason
    txn.pk, txn._state.adding, txn._state.db = transaction_id, False, connection.alias
    return txn


def _raise_ledger_error(exc: DatabaseError, txn: Transaction) -> None:
    """Re-raise a ``points_post()`` error as the Python path's domain error."""
    state = getattr(exc.__cause__, "sqlstate", None)
    if state not in LEDGER_SQLSTATES:
        raise exc
    if state == "IK001":
        raise UnbalancedTransaction() from None
    if state == "IK002":
        raise InsufficientPoints(**json.loads(exc.__cause__.diag.message_detail)) from None
    if state == "IK003":
        raise IdempotencyConflict(idempotency_key=txn.idempotency_key) from None
    raise Account.DoesNotExist(str(exc.__cause__.diag.message_primary)) from None


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


def _insert_entries(transaction_id: int, lines: Lines) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Entry._meta.db_table} (transaction_id, account_id, amount) VALUES "  # noqa: S608
            + ", ".join(["(%s, %s, %s)"] * len(lines)),
            [
                value
                for account_id, amount in lines
                for value in (transaction_id, account_id, amount)
            ],
        )


def _store_balances(lines: Lines, locked: dict[int, Account]) -> None:
    deltas: dict[int, int] = {}
    for account_id, amount in lines:
        deltas[account_id] = deltas.get(account_id, 0) + amount
    for account_id, delta in deltas.items():
        locked[account_id].balance += delta
    # Plain SQL for the same reason as lock_accounts; one statement for all accounts.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Account._meta.db_table} SET balance = balance + CASE id "  # noqa: S608
            + " ".join(["WHEN %s THEN %s"] * len(deltas))
            + f" END WHERE id IN ({', '.join(['%s'] * len(deltas))})",
            [value for item in deltas.items() for value in item] + list(deltas),
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
    points = counted * rule.points // 60
    if points == 0:  # shorter than one rounding unit: nothing to credit
        raise RuleNotApplicable(
            reason="too_short", minimum_minutes=rule.rounding_minutes, field="duration_minutes"
        )
    return points


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
    content = {
        "user": user.pk,
        "rule": rule.pk,
        "date": activity_date.isoformat(),
        "minutes": duration_minutes,
        "reference": reference,
    }
    try:
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
    except RuleNotApplicable:
        # A retry returns the original even if the rule or the person changed since.
        # Looked up only when a check fails: a passing retry is caught under the locks
        # (``_post``), so the usual award saves this query.
        existing = _replay(idempotency_key, _digest(TransactionKind.EARN, content, actor, memo))
        if existing is not None:
            return existing
        raise
    wallet, issuance = _wallet_and_issuance(user)
    if posts_in_database():
        return _award_in_database(
            Transaction(
                kind=TransactionKind.EARN,
                idempotency_key=idempotency_key,
                fingerprint=_digest(TransactionKind.EARN, content, actor, memo),
                actor=actor,
                reference=reference,
                memo=memo,
                rule=rule,
                activity_date=activity_date,
                requested_points=requested,
                expires_on=rule.expiry_for(activity_date),
            ),
            wallet=wallet,
            issuance=issuance,
            caps=[
                (CapReason.DAILY, rule.daily_cap, (activity_date, activity_date)),
                (CapReason.YEARLY, rule.yearly_cap, rule.year_bounds(activity_date)),
            ],
            allow_partial=allow_partial,
        )

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
        content=content,
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

    The wallet's postings are replayed in the order they were made, as lots:

    * an inflow is a lot valid until its transaction's ``expires_on`` (earning rules
      set it; adjustments, transfers in and earns without a rule never expire);
    * an outflow uses the lots that exist at that moment, soonest-expiring first
      (points that never expire last), so a spend never eats into points earned after
      it, and an expiry run uses exactly the lots it found expired;
    * a reversal undoes its original's effect on the lots: reversing an inflow takes
      back what is left of that inflow's own lot first, reversing an outflow (a spend
      refunded, an expiry returned) gives back the very lots it used, with their dates.

    What is left of the lots that expired before ``as_of`` is the answer. Must be called
    with the wallet locked (no posting may land while the lots are replayed).
    Postings are ordered by transaction id: two postings to one wallet made within
    the same instant may be replayed in either order.
    """
    rows = (
        Entry.objects.filter(account=wallet)
        .order_by("transaction_id", "id")
        .values_list(
            "transaction_id", "amount", "transaction__expires_on", "transaction__reverses_id"
        )
    )
    never = dt.date.max
    lots: dict[int, list] = {}  # lot id (the transaction that made it) -> [expiry, left]
    used: dict[int, list[tuple[int, int]]] = {}  # outflow's transaction -> (lot, points)

    def add(lot_id: int, expires_on: dt.date, amount: int) -> None:
        lot = lots.setdefault(lot_id, [expires_on, 0])
        lot[1] += amount

    for transaction_id, amount, expires_on, reverses_id in rows:
        if amount > 0:
            restored = used.pop(reverses_id, []) if reverses_id else []
            for lot_id, points in restored:
                add(lot_id, lots[lot_id][0], points)
                amount -= points
            if amount > 0:  # an inflow of its own (or more than the original used)
                add(transaction_id, expires_on or never, amount)
            continue
        wanted, taken = -amount, []
        order = sorted(lots, key=lambda lot_id: (lots[lot_id][0], lot_id))
        if reverses_id in lots:  # taking back an inflow: its own lot first
            order.remove(reverses_id)
            order.insert(0, reverses_id)
        for lot_id in order:
            if wanted == 0:
                break
            take = min(wanted, lots[lot_id][1])
            if take:
                lots[lot_id][1] -= take
                wanted -= take
                taken.append((lot_id, take))
        used[transaction_id] = taken
    expired = sum(left for expires_on, left in lots.values() if expires_on < as_of)
    return max(0, min(wallet.balance, expired))


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
    expired = 0
    for wallet in wallets.iterator():
        key = f"expire:{wallet.pk}:{as_of.isoformat()}"
        already = Transaction.objects.filter(idempotency_key=key).exists()
        if wallet_expire(wallet=wallet, as_of=as_of) is not None and not already:
            expired += 1
    return expired


# --- Shops, vouchers and settlement -------------------------------------------------


def shop_accounts(shop: Shop) -> tuple[Account, Account]:
    """The shop's receivable (redeemed, not yet paid) and settled accounts."""
    receivable, _ = Account.objects.get_or_create(
        code=f"shop-{shop.pk}-receivable",
        defaults={"kind": AccountKind.SHOP_RECEIVABLE, "name": f"{shop.name} 未精算"},
    )
    settled, _ = Account.objects.get_or_create(
        code=f"shop-{shop.pk}-settled",
        defaults={"kind": AccountKind.SHOP_SETTLED, "name": f"{shop.name} 精算済"},
    )
    return receivable, settled


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

    txn = _post(
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
        expires_on = today + dt.timedelta(days=config.valid_days)
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
    return txn, vouchers


def voucher_find(typed_code: str) -> Voucher:
    """The voucher a typed or scanned code refers to.

    Raises :class:`VoucherMistyped` (a typo the check character caught) or
    :class:`VoucherUnknown` (well-formed but no such voucher, or not a code at all).
    """
    try:
        canonical = codes.normalize(typed_code)
    except codes.MistypedCode as exc:
        raise VoucherMistyped(field="code") from exc
    except codes.MalformedCode as exc:
        raise VoucherUnknown(field="code") from exc
    voucher = Voucher.objects.select_related("shop").filter(code_digest=codes.digest(canonical))
    found = voucher.first()
    if found is None:
        raise VoucherUnknown(field="code")
    return found


def _check_usable(voucher: Voucher, today: dt.date) -> None:
    if voucher.status == Voucher.Status.REDEEMED:
        raise VoucherAlreadyRedeemed(
            redeemed_at=timezone.localtime(voucher.redeemed_at).strftime("%Y-%m-%d %H:%M"),
            shop=voucher.shop.name,
        )
    if voucher.status == Voucher.Status.VOID:
        raise VoucherVoid()
    if voucher.status == Voucher.Status.EXPIRED or voucher.expires_on < today:
        raise VoucherExpired(expires_on=voucher.expires_on.isoformat())


def voucher_check(*, typed_code: str, shop: Shop, staff: User) -> Voucher:
    """What a shop sees before confirming: the voucher, if it can be used here now.

    Raises what :func:`voucher_find` raises, :class:`WrongShop`,
    :class:`VoucherAlreadyRedeemed`, :class:`VoucherVoid`, :class:`VoucherExpired`.
    """
    _check_shop(shop, staff)
    voucher = voucher_find(typed_code)
    _check_usable(voucher, timezone.localdate())
    return voucher


def _check_shop(shop: Shop, staff: User) -> None:
    if not shop.active:
        raise WrongShop(reason="shop_inactive")
    if not ShopMembership.objects.filter(user=staff, shop=shop).exists():
        raise WrongShop(reason="not_staff_of_shop")


def voucher_redeem(*, typed_code: str, shop: Shop, staff: User) -> Voucher:
    """Accept a voucher at ``shop``: exactly once, whatever the concurrency.

    The voucher row is locked first (then the ledger accounts, in key order), so of
    many simultaneous attempts one succeeds and the rest see it used. Points move
    voucher liability → the shop's receivable.

    Raises what :func:`voucher_check` raises.
    """
    _check_shop(shop, staff)
    found = voucher_find(typed_code)
    with transaction.atomic():
        # No select_related: a row locked after waiting is re-read by PostgreSQL, but a
        # joined row is not, so the shop must be loaded after the lock.
        voucher = Voucher.objects.select_for_update().get(pk=found.pk)
        _check_usable(voucher, timezone.localdate())
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


def _voucher_return(voucher: Voucher, status: str, actor: User | None, reason: str) -> Voucher:
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
    locked = Voucher.objects.select_for_update().get(pk=voucher.pk)
    _check_usable(locked, dt.date.min)
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
            voucher = Voucher.objects.select_for_update().get(pk=pk)
            if voucher.status != Voucher.Status.ISSUED:
                continue  # used or voided meanwhile
            _voucher_return(voucher, Voucher.Status.EXPIRED, None, "")
            expired += 1
    return expired


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
    statement, _ = SettlementStatement.objects.select_for_update().get_or_create(
        shop=shop, month=month
    )
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
    """Generate ``month``'s statement for every shop with redemptions in it."""
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
    statement = SettlementStatement.objects.select_for_update().get(pk=statement.pk)
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
