"""Thin Celery tasks for the ledger: they call a service and are safe to run twice."""

import datetime as dt

from celery import shared_task

from points.services import points_expire_due


@shared_task(name="points.expire_points")
def expire_points(as_of: str | None = None) -> int:
    """Expire points whose validity has ended (beat: daily, just after midnight JST)."""
    return points_expire_due(as_of=dt.date.fromisoformat(as_of) if as_of else None)
