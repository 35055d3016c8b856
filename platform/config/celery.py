"""The Celery application.

Tasks are thin (take ids, call a service) and configured from Django settings under the
``CELERY_`` namespace. Without ``REDIS_URL`` tasks run eagerly in the calling process,
which is what ``make demo`` uses; ``make worker`` starts a worker with beat.

Every task derives from :class:`core.tasks.ReliableTask` (the app's ``task_cls``, so
``@shared_task`` picks it up too): late acks, requeued when its worker dies, retried
with backoff and jitter on transient errors. The limits and the broker's visibility
timeout are in settings (``CELERY_*``) and README's Celery section.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ikiiki", task_cls="core.tasks:ReliableTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.ping")
def ping(value: str = "pong") -> str:
    """Round-trip check used by health probes and the worker test."""
    return value
