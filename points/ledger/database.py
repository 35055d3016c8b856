"""The PostgreSQL path: a posting, or an award under its limits, in one statement.

``points_post()`` and ``points_award_post()`` are installed by migrations (0004, 0005,
0007); their current text is kept readable in ``points/ledger/sql/``. They report the
ledger's domain errors through their own SQLSTATEs, mapped back here to the errors the
Python path raises.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable

from django.db import DatabaseError, connection
from django.utils import timezone

from core.db import savepoint_if_nested
from points.exceptions import (
    CapReached,
    IdempotencyConflict,
    InsufficientPoints,
    UnbalancedTransaction,
)
from points.models import Account, CapReason, Transaction

# SQLSTATEs raised by points_post() for the ledger's domain errors; points_award_post()
# adds IK005 for CapReached.
LEDGER_SQLSTATES = ("IK001", "IK002", "IK003", "IK004")


def posts_in_database() -> bool:
    """Whether fixed-line postings and awards use the database functions (PostgreSQL)."""
    return connection.vendor == "postgresql"


def post_in_database(txn: Transaction, lines: list[tuple[int, int]]) -> Transaction:
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
    statement = "SELECT * FROM points_post(%s::jsonb, %s::bigint[], %s::bigint[])"
    try:
        with savepoint_if_nested(), connection.cursor() as cursor:
            cursor.execute(statement, params)
            transaction_id, replayed = cursor.fetchone()
    except DatabaseError as exc:
        _raise_ledger_error(exc, txn)
    if replayed:
        return Transaction.objects.get(pk=transaction_id)
    txn.pk, txn._state.adding, txn._state.db = transaction_id, False, connection.alias
    return txn


def award_in_database(
    txn: Transaction,
    *,
    wallet: Account,
    issuance: Account,
    caps: list[tuple[CapReason, int | None, tuple[dt.date, dt.date]]],
    allow_partial: bool,
) -> Transaction:
    """The locked part of ``points_award`` through ``points_award_post()``: the build
    step of the Python path (replay under the wallet lock, the limits in order,
    ``CapReached``) and the posting, in one statement.

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
    statement = "SELECT * FROM points_award_post(%s::jsonb, %s, %s, %s, %s::jsonb, %s)"
    try:
        with savepoint_if_nested(), connection.cursor() as cursor:
            cursor.execute(statement, [*params, allow_partial])
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
    PostgreSQL too, at a fraction of its cost (see bench/README.md). Dates and
    datetimes are written in ISO 8601 (with the offset), which PostgreSQL reads back
    exactly (``test_sql_path`` compares every stored column); a naive datetime is
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
