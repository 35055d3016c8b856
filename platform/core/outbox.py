"""Sending a message at least once and, in practice, once: claim -> send -> mark.

No database transaction is open and no row lock is held while a message goes out (a
mail server that stalls must never hold a lock or a connection's transaction):

1. **claim**: ``cache.add`` of a key naming the message (e.g. ``cms.proposal-received:42``)
   holding the attempt's token, the Celery task id, for ``SEND_CLAIM_SECONDS`` (longer
   than a task's hard time limit, so a live attempt never loses its claim). Another
   attempt with another token gets :class:`SendClaimed`, a transient error: its task
   retries later. The same task redelivered after its worker died carries the same id
   and takes over at once.
2. **prepare** under the claim: read the row afresh; ``None`` when it was sent meanwhile
   or no longer needs sending.
3. **send**, outside any transaction (``EMAIL_TIMEOUT`` bounds SMTP).
4. **mark** sent (a short write of ``*_sent_at``, or a record in the cache for messages
   without a field), then release the claim.

A failure in 3 releases the claim, so the retry goes at once. A crash (``kill -9``,
power loss) or a failed mark (the database gone) between 3 and 4 sends the message
again when the task is redelivered or retried: that is the only case of a duplicate
(at-least-once delivery). Nothing is ever marked sent before it was sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache


class SendClaimed(Exception):
    """Another attempt is sending this message right now (retry later)."""


def _attempt_token() -> str:
    from celery import current_task

    request_id = getattr(getattr(current_task, "request", None), "id", None)
    return request_id or uuid.uuid4().hex


_sending: ContextVar[str | None] = ContextVar("outbox_sending", default=None)


def sending_key() -> str | None:
    """The key of the message being sent right now by :func:`send_once` (None outside
    a send). A channel whose service deduplicates retries (LINE's ``X-Line-Retry-Key``)
    derives its idempotency key from it, so that a retry after a crash between send and
    mark is not delivered twice."""
    return _sending.get()


def sent_memory_key(key: str) -> str:
    return f"outbox:sent:{key}"


def send_once(
    *,
    key: str,
    prepare: Callable[[], Callable[[], int] | None],
    mark: Callable[[], object] | None = None,
) -> int:
    """Run ``prepare`` under a claim on ``key``; if it returns a sender, call it (no
    transaction open), then ``mark`` the message sent. Without ``mark`` the mark is a
    cache record kept ``SENT_MEMORY_SECONDS`` and consulted before ``prepare``.
    Returns what the sender returned (how many sent), 0 when nothing was to send.
    Raises :class:`SendClaimed` while another attempt holds the claim, and whatever
    the sender raises (the claim is then released)."""
    claim = f"outbox:claim:{key}"
    token = _attempt_token()
    taken = cache.add(claim, token, timeout=settings.SEND_CLAIM_SECONDS)
    if not taken and cache.get(claim) != token:  # the same task redelivered takes over
        raise SendClaimed(key)
    try:
        if mark is None and cache.get(sent_memory_key(key)):
            return 0
        sender = prepare()
        if sender is None:
            return 0
        token_var = _sending.set(key)
        try:
            sent = sender()
        finally:
            _sending.reset(token_var)
        if mark is None:
            cache.set(sent_memory_key(key), 1, timeout=settings.SENT_MEMORY_SECONDS)
        else:
            mark()
        return sent
    finally:
        cache.delete(claim)
