"""The posting core: one balanced transaction, exactly once, under the account locks.

Fixed lines on PostgreSQL go to :func:`points.ledger.database.post_in_database` (one
round trip); a builder, and every posting on SQLite, runs the steps below in Python.
Both do the same steps in the same order with the same outcomes
(``tests/points/test_sql_path`` holds them to it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction

from accounts.models import User
from points.exceptions import IdempotencyConflict, InsufficientPoints, UnbalancedTransaction
from points.ledger import database
from points.ledger.fingerprints import posting_fingerprint
from points.ledger.locks import lock_accounts
from points.models import Account, AccountKind, Entry, Transaction, TransactionKind

Lines = list[tuple[int, int]]  # (account id, signed points)
Builder = Callable[[dict[int, Account]], tuple[Lines, dict[str, Any]]]


def replay(key: str, digest: str) -> Transaction | None:
    """The transaction stored under ``key``, or None; raises
    :class:`IdempotencyConflict` when it was stored with another fingerprint."""
    existing = Transaction.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if existing.fingerprint != digest:
        raise IdempotencyConflict(idempotency_key=key)
    return existing


def post(
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

    ``content`` is what the request asks for (its fingerprint tells a replay from a
    conflict). ``build`` receives the locked accounts and returns the lines and extra
    ``Transaction`` fields; it may raise to refuse the posting.

    Raises :class:`UnbalancedTransaction`, :class:`InsufficientPoints`,
    :class:`IdempotencyConflict`, ``Account.DoesNotExist`` and what ``build`` raises.
    """
    fields = {
        "kind": kind,
        "idempotency_key": idempotency_key,
        "fingerprint": posting_fingerprint(kind, content, actor, memo),
        "actor": actor,
        "reference": reference,
        "memo": memo,
    }
    # Looked up on the module (not imported by name) so that tests can send a posting
    # down the Python path by patching ``points.ledger.database.posts_in_database``.
    if build is None and database.posts_in_database():
        return database.post_in_database(Transaction(**fields), lines)
    try:
        with transaction.atomic():
            return _post_locked(fields, account_ids, build, lines)
    except IntegrityError:
        # Same key posted concurrently on other accounts: the loser lands here.
        existing = replay(idempotency_key, fields["fingerprint"])
        if existing is None:
            raise
        return existing


def _post_locked(
    fields: dict[str, Any],
    account_ids: Iterable[int],
    build: Builder | None,
    lines: Lines | None,
) -> Transaction:
    """The Python path's steps, inside the caller's ``atomic()``."""
    locked = lock_accounts(account_ids)
    details: dict[str, Any] = {}
    if build is not None:
        # A builder reads the ledger (limits, what is left to expire), so a replay must
        # be caught before it runs. Checked after the locks: a concurrent post with
        # this key has committed by now if it touched the same accounts, and READ
        # COMMITTED sees it.
        existing = replay(fields["idempotency_key"], fields["fingerprint"])
        if existing is not None:
            return existing
        lines, details = build(locked)
    txn = Transaction(**fields, **details)
    if not _insert_transaction(txn):
        # The key is taken: a replay (or a conflict), never a second posting. Static
        # lines get here without the separate replay query.
        return replay(fields["idempotency_key"], fields["fingerprint"])
    _check_lines(lines, locked)  # raising rolls the insert back
    _insert_entries(txn.pk, lines)
    _store_balances(lines, locked)
    return txn


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
    statement = (
        f"INSERT INTO {Transaction._meta.db_table} ({', '.join(f.column for f in fields)})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(fields))})"
        " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
    )
    params = [f.get_db_prep_save(f.pre_save(txn, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    if row is None:
        return False
    txn.pk, txn._state.adding, txn._state.db = row[0], False, connection.alias
    return True


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
