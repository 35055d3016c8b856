"""Thin Celery tasks for the activity log."""

from celery import shared_task

from volunteers.services import activities_close_forgotten


@shared_task(name="volunteers.close_forgotten_checkouts")
def close_forgotten_checkouts() -> int:
    """Close check-ins left open past closing time and flag them (beat: every 30 min)."""
    return activities_close_forgotten()
