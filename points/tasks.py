"""Thin Celery tasks for the ledger: they call a service and are safe to run twice.

Services are imported inside each task body, so that services can import tasks by
name (for ``transaction.on_commit``) without an import cycle."""

import datetime as dt

from celery import shared_task
from django.utils import timezone


@shared_task(name="points.expire_points")
def expire_points(as_of: str | None = None) -> int:
    """Expire points whose validity has ended (beat: daily, just after midnight JST)."""
    from points.services.expiry import points_expire_due

    return points_expire_due(as_of=dt.date.fromisoformat(as_of) if as_of else None)


@shared_task(name="points.expire_vouchers")
def expire_vouchers(as_of: str | None = None) -> int:
    """Return the value of unused, expired vouchers to the scheme (beat: daily)."""
    from points.services.vouchers import vouchers_expire_due

    return vouchers_expire_due(as_of=dt.date.fromisoformat(as_of) if as_of else None)


@shared_task(name="points.generate_statements")
def generate_statements(month: str | None = None) -> int:
    """Statements for last month (beat: on the 1st), or for ``month`` (YYYY-MM-DD)."""
    from points.services.settlement import statements_generate_month

    if month:
        target = dt.date.fromisoformat(month)
    else:
        target = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return statements_generate_month(month=target)
