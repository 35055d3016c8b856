"""Row locks of the points app, taken here only.

The lock order, written once: a voucher or a settlement statement first (one row,
``lock_row`` or ``lock_or_create``), then the ledger accounts the posting touches in
primary-key order (``lock_accounts``, or ``points_post()`` in SQL), the issuance
account last (only through its balance ``UPDATE``, the last statement of every
posting). Every lock is taken in that order, so two writers can wait for each other
but never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db import connection, models

from points.models import Account, AccountKind

M = TypeVar("M", bound=models.Model)


def lock_row(model: type[M], pk: int) -> M:
    """Lock one row of ``model`` (``FOR UPDATE`` of that table only) and return it as
    it is now. Raises ``model.DoesNotExist``."""
    rows = list(model.objects.filter(pk=pk).order_by("pk").select_for_update(of=("self",)))
    if not rows:
        raise model.DoesNotExist(f"{model.__name__} {pk} does not exist")
    return rows[0]


def lock_or_create(model: type[M], **lookup) -> tuple[M, bool]:
    """``get_or_create`` with the row locked (``FOR UPDATE`` of that table only) as it
    is read; a row it creates is held by the insert. Returns (row, created)."""
    return model.objects.select_for_update(of=("self",)).get_or_create(**lookup)


def lock_accounts(account_ids: Iterable[int]) -> dict[int, Account]:
    """Lock the accounts in primary-key order and return them with current balances.

    The one place account locks are taken in Python (``points_post()`` on PostgreSQL
    does the same in SQL): a fixed global order means two postings that touch the
    same accounts can wait for each other but never deadlock. It is
    ``order_by("pk").select_for_update(no_key=True, of=("self",))`` evaluated at once,
    written in SQL (below).

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

    Raises ``Account.DoesNotExist`` when an id names no account.
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
