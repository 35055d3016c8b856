"""The base class of every Celery task (set once, as the app's ``task_cls``).

Every task retries on transient errors with exponential backoff and full jitter
(2, 4, 8 ... s, capped at ``retry_backoff_max``); settings make it acknowledge late
and be requeued when its worker dies (``CELERY_TASK_REJECT_ON_WORKER_LOST``). A task
that runs past its soft time limit is retried as well. Tasks therefore run at least
once and must be idempotent: they take ids, call a service, and sends go through
:func:`core.outbox.send_once`.
"""

from __future__ import annotations

import smtplib

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.outbox import SendClaimed

#: Worth another try: the database, Redis or the mail server was away or slow, a
#: soft time limit struck, another attempt was sending the same message. ``OSError``
#: covers connection refusals and resets, socket timeouts and SMTP errors.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    OSError,
    RedisConnectionError,
    RedisTimeoutError,
    SoftTimeLimitExceeded,
    SendClaimed,
)

#: Not worth another try: the mail server refused every recipient (a bad address).
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPRecipientsRefused,)

#: Longest wait between two tries: below the broker's visibility timeout
#: (``CELERY_BROKER_TRANSPORT_OPTIONS``), so a retry waiting in a worker is never
#: handed to a second worker as well.
RETRY_BACKOFF_MAX = 600
#: With full jitter the waits average half their cap: 48 tries span about 3.5 hours
#: (at most about 6.8) before a task gives up and logs its error.
MAX_RETRIES = 48


class ReliableTask(Task):
    autoretry_for = TRANSIENT_ERRORS
    dont_autoretry_for = PERMANENT_ERRORS
    retry_backoff = 2
    retry_backoff_max = RETRY_BACKOFF_MAX
    retry_jitter = True
    max_retries = MAX_RETRIES

    def retry(self, *args, exc=None, **kwargs):
        # Run eagerly (``make demo``, tests) a retry would run again at once, without
        # the wait, up to ``max_retries`` times inside the web request: fail instead.
        if self.request.is_eager and exc is not None:
            raise exc
        return super().retry(*args, exc=exc, **kwargs)
