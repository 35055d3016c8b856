"""Database helpers shared by the apps: savepoints, and reads from a streaming replica."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from contextvars import ContextVar
from typing import TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction

T = TypeVar("T")


def savepoint_if_nested() -> AbstractContextManager:
    """``atomic()`` inside a transaction, nothing in autocommit mode.

    For a block that is **one SQL statement**: PostgreSQL and SQLite make a single
    statement atomic by themselves, so outside a transaction ``atomic()`` would only add
    the BEGIN and COMMIT round trips. Inside one, the savepoint is still needed so that
    a failing statement (a unique violation the caller turns into a domain error)
    leaves the caller's transaction usable.
    """
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


# --- Reads from a streaming replica -------------------------------------------------
#
# With DATABASE_REPLICA_URL set (config.settings), the ``replica`` alias is a PostgreSQL
# hot standby. Nothing reads from it by default: ReplicaRouter sends reads there only
# inside an explicit ``replica_reads()`` scope, which the report views and exports
# (ReplicaReadsMixin) and anonymous public pages (core.middleware.ReplicaReadsMiddleware)
# open. Everything else, every write, every read in a transaction and a signed-in
# person's own pages (read-your-writes) stays on the primary. README, "Production and
# scale-out", says what goes where.

REPLICA = "replica"

# Who is signed in and what they may do is always read from the primary: a session just
# created, a permission just revoked or an authenticator just removed must count at
# once, not after the replica has replayed it.
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "account", "mfa"})

_in_scope: ContextVar[bool] = ContextVar("replica_reads", default=False)
# time.monotonic() before which the replica is not tried again (per process).
_replica_down_until = 0.0

logger = logging.getLogger(__name__)


def _replica_usable() -> bool:
    """May this scope read from the replica? Only when one is configured and enabled, no
    transaction is open on the primary (its reads must see its own writes) and the
    replica answers.

    The check is one ``SELECT 1`` on the kept connection (Django's connection health
    check, done here instead of at the first query) or, without one, a connection
    attempt bounded by ``connect_timeout``. A failure is remembered for
    ``REPLICA_RETRY_SECONDS``, so a replica that is down costs one attempt per process
    per period and every request meanwhile reads from the primary."""
    global _replica_down_until
    if not settings.REPLICA_READS or REPLICA not in connections.settings:
        return False
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return False
    if time.monotonic() < _replica_down_until:
        return False
    replica = connections[REPLICA]
    try:
        if replica.connection is not None and not replica.is_usable():
            replica.close()
        replica.ensure_connection()
    except DatabaseError as exc:
        _replica_down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        logger.warning("replica unavailable, reading from the primary: %s", exc)
        with suppress(DatabaseError):
            replica.close()
        return False
    replica.health_check_done = True  # just checked: Django need not ping it again
    return True


@contextmanager
def replica_reads() -> Iterator[bool]:
    """Reads inside this block (context manager or decorator) go to the replica, when
    one is usable (see :func:`_replica_usable`); yields whether they do. Writes still go
    to the primary, and so does every read inside a ``transaction.atomic`` block.

    Only for reads that tolerate replication lag (usually well under a second): reports,
    exports and pages that show nobody their own recent writes."""
    token = _in_scope.set(_replica_usable())
    try:
        yield _in_scope.get()
    finally:
        _in_scope.reset(token)


def replica_reads_iter(iterable: Iterable[T]) -> Iterator[T]:
    """``iterable`` (a streamed response's content) consumed item by item inside
    :func:`replica_reads`: streaming responses are read after the view has returned."""
    iterator = iter(iterable)
    while True:
        with replica_reads():
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def replica_reads_when_anonymous(view):
    """Marks a function view whose anonymous GETs may read from the replica (a public
    feed): :class:`core.middleware.ReplicaReadsMiddleware` opens the scope for it."""
    view.replica_reads_when_anonymous = True
    return view


class ReplicaRouter:
    """Reads go to the replica only inside :func:`replica_reads` (and never for the
    apps in ``PRIMARY_ONLY_APPS``, nor inside a transaction opened in the scope);
    everything else goes to the primary. Returning ``default`` explicitly (not ``None``)
    also keeps an object read from the replica from sending its related lookups there
    once the scope has ended."""

    def db_for_read(self, model, **hints) -> str:
        if (
            _in_scope.get()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database: the replica is a copy of the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMixin:
    """For a class-based view whose GET reads may come from the replica (reports and
    their exports): the view, its template (rendered here, inside the scope, instead
    of by the handler afterwards) and a streamed export all read inside
    :func:`replica_reads`. POSTs stay on the primary."""

    def reads_from_replica(self, request) -> bool:
        return request.method in ("GET", "HEAD")

    def dispatch(self, request, *args, **kwargs):
        if not self.reads_from_replica(request):
            return super().dispatch(request, *args, **kwargs)
        with replica_reads():
            response = super().dispatch(request, *args, **kwargs)
            render = getattr(response, "render", None)
            if callable(render) and not getattr(response, "is_rendered", True):
                response = render()
        if response.streaming:
            response.streaming_content = replica_reads_iter(response.streaming_content)
        return response
