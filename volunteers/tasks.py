"""Thin Celery tasks: the activity log's beat job, and the mutual-aid centre's
notifications and beat jobs. Each takes ids and is safe to run twice.

The services queue these tasks by name after commit, so this module imports the
services inside each task body, never at the top: no import cycle."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from volunteers.models import Assignment, Offer
from volunteers.notifications import notify
from volunteers.selectors.help_requests import assignments_due_reminder


@shared_task(name="volunteers.close_forgotten_checkouts")
def close_forgotten_checkouts() -> int:
    """Close check-ins left open past closing time and flag them (beat: every 30 min)."""
    from volunteers.services.activity import activities_close_forgotten

    return activities_close_forgotten()


@shared_task(name="volunteers.expire_unconfirmed_checkins")
def expire_unconfirmed_checkins() -> int:
    """Pass self check-ins no host confirmed in time to the coordinators' review queue
    (beat: hourly)."""
    from volunteers.services.activity import activities_expire_unconfirmed

    return activities_expire_unconfirmed()


@shared_task(name="volunteers.purge_scan_receipts")
def purge_scan_receipts() -> int:
    """Delete scan receipts past their retry window (beat: hourly)."""
    from volunteers.services.scans import scan_receipts_purge

    return scan_receipts_purge()


def _offer(pk: int) -> Offer | None:
    return (
        Offer.objects.select_related("volunteer", "request__category", "request__district")
        .filter(pk=pk)
        .first()
    )


def _assignment(pk: int) -> Assignment | None:
    return (
        Assignment.objects.select_related("volunteer", "request__category", "request__district")
        .filter(pk=pk)
        .first()
    )


def _notify_offer_still(offer_id: int, status: Offer.Status, kind: str) -> int:
    """Notify the offer's volunteer of ``kind`` if the offer is still in ``status``
    when the task runs (it may have changed since it was queued)."""
    offer = _offer(offer_id)
    if offer is None or offer.status != status:
        return 0
    return notify(offer.volunteer, kind, offer.request)


@shared_task(name="volunteers.notify_offer")
def notify_offer(offer_id: int) -> int:
    return _notify_offer_still(offer_id, Offer.Status.OPEN, "offer")


@shared_task(name="volunteers.notify_offer_taken")
def notify_offer_taken(offer_id: int) -> int:
    offer = _offer(offer_id)
    return notify(offer.volunteer, "taken", offer.request) if offer else 0


@shared_task(name="volunteers.notify_offer_withdrawn")
def notify_offer_withdrawn(offer_id: int) -> int:
    """The request behind an offer was cancelled: the volunteer need not answer."""
    return _notify_offer_still(offer_id, Offer.Status.WITHDRAWN, "cancelled")


@shared_task(name="volunteers.notify_assigned")
def notify_assigned(assignment_id: int) -> int:
    assignment = _assignment(assignment_id)
    if assignment is None or not assignment.live:  # cancelled before the task ran
        return 0
    return notify(assignment.volunteer, "assigned", assignment.request)


@shared_task(name="volunteers.notify_cancelled")
def notify_cancelled(assignment_id: int) -> int:
    assignment = _assignment(assignment_id)
    return notify(assignment.volunteer, "cancelled", assignment.request) if assignment else 0


@shared_task(name="volunteers.send_reminders")
def send_reminders(now: str | None = None) -> int:
    """Remind the volunteers of tomorrow's live assignments (beat: hourly 17:00-21:00,
    so an assignment made during the evening is reminded too). Each assignment is
    reminded once (``reminded_at`` is claimed before sending)."""
    from volunteers.services.help_requests import assignment_reminder_claim

    at = dt.datetime.fromisoformat(now) if now else timezone.now()
    tomorrow = timezone.localtime(at).date() + dt.timedelta(days=1)
    sent = 0
    for pk in list(assignments_due_reminder(tomorrow)):
        if assignment_reminder_claim(assignment_id=pk, at=at):
            assignment = _assignment(pk)
            sent += notify(assignment.volunteer, "reminder", assignment.request)
    return sent


@shared_task(name="volunteers.generate_standing_requests")
def generate_standing_requests() -> int:
    """Create standing requests' occurrences ahead (beat: daily). Idempotent."""
    from volunteers.services.standing import standing_requests_generate

    return standing_requests_generate(days=settings.STANDING_REQUESTS_DAYS_AHEAD)
