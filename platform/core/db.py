"""Database helpers shared by the apps' services."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from django.db import connection, transaction


def savepoint_if_nested() -> AbstractContextManager:
    """``atomic()`` inside a transaction, nothing in autocommit mode.

    For a block that is **one SQL statement**: PostgreSQL and SQLite make a single
    statement atomic by themselves, so outside a transaction ``atomic()`` would only add
    the BEGIN and COMMIT round trips. Inside one, the savepoint is still needed so that
    a failing statement (a unique violation the caller turns into a domain error)
    leaves the caller's transaction usable.
    """
    return transaction.atomic() if connection.in_atomic_block else nullcontext()
