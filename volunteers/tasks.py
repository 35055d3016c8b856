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
from volunteers.notifications import notify_once
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
    """Notify the offer's volunteer of ``kind`` once, if the offer is still in
    ``status`` when the task runs (it may have changed since it was queued)."""

    def find():
        offer = _offer(offer_id)
        if offer is None or offer.status != status:
            return None
        return offer.volunteer, kind, offer.request

    return notify_once(key=f"{kind}:offer:{offer_id}", find=find)


@shared_task(name="volunteers.notify_offer")
def notify_offer(offer_id: int) -> int:
    return _notify_offer_still(offer_id, Offer.Status.OPEN, "offer")


@shared_task(name="volunteers.notify_offer_taken")
def notify_offer_taken(offer_id: int) -> int:
    def find():
        offer = _offer(offer_id)
        return (offer.volunteer, "taken", offer.request) if offer else None

    return notify_once(key=f"taken:offer:{offer_id}", find=find)


@shared_task(name="volunteers.notify_offer_withdrawn")
def notify_offer_withdrawn(offer_id: int) -> int:
    """The request behind an offer was cancelled: the volunteer need not answer."""
    return _notify_offer_still(offer_id, Offer.Status.WITHDRAWN, "cancelled")


@shared_task(name="volunteers.notify_assigned")
def notify_assigned(assignment_id: int) -> int:
    def find():
        assignment = _assignment(assignment_id)
        if assignment is None or not assignment.live:  # cancelled before the task ran
            return None
        return assignment.volunteer, "assigned", assignment.request

    return notify_once(key=f"assigned:assignment:{assignment_id}", find=find)


@shared_task(name="volunteers.notify_cancelled")
def notify_cancelled(assignment_id: int) -> int:
    def find():
        assignment = _assignment(assignment_id)
        return (assignment.volunteer, "cancelled", assignment.request) if assignment else None

    return notify_once(key=f"cancelled:assignment:{assignment_id}", find=find)


@shared_task(name="volunteers.send_reminders")
def send_reminders(now: str | None = None) -> int:
    """Queue a reminder for each volunteer of tomorrow's live assignments not yet
    reminded (beat: hourly 17:00-21:00, so an assignment made during the evening is
    reminded too). Returns how many it queued. A reminder queued twice (two runs while
    the first still retries) is still sent once: see :func:`send_reminder`.

    The centre's closed days need no rule here: intake refuses them and standing
    requests skip them, so the only assignments on a closed day were booked before
    the closure was entered. Those are still reminded (the volunteer promised the
    resident); the board lists them for a coordinator to settle, and cancelling one
    tells the volunteer."""
    at = dt.datetime.fromisoformat(now) if now else timezone.now()
    tomorrow = timezone.localtime(at).date() + dt.timedelta(days=1)
    due = list(assignments_due_reminder(tomorrow))
    for pk in due:
        send_reminder.delay(pk)
    return len(due)


@shared_task(name="volunteers.send_reminder")
def send_reminder(assignment_id: int) -> int:
    """Remind one volunteer of tomorrow's assignment: claim, send, then mark
    ``reminded_at`` (a crash before the mark sends it again; none loses it)."""
    from volunteers.services.help_requests import assignment_reminder_mark

    def find():
        assignment = _assignment(assignment_id)
        if assignment is None or not assignment.live or assignment.reminded_at is not None:
            return None
        return assignment.volunteer, "reminder", assignment.request

    return notify_once(
        key=f"reminder:assignment:{assignment_id}",
        find=find,
        mark=lambda: assignment_reminder_mark(assignment_id=assignment_id, at=timezone.now()),
    )


@shared_task(name="volunteers.refresh_insurance_dates")
def refresh_insurance_dates() -> int:
    """Derive again the insurance dates of volunteers enrolled for this or the coming
    fiscal year, so a new year's enrolment takes effect on 1 April (beat: nightly).
    Idempotent; returns how many dates changed."""
    from volunteers.services.insurance import insurance_valid_until_refresh

    return insurance_valid_until_refresh()


@shared_task(name="volunteers.generate_standing_requests")
def generate_standing_requests() -> int:
    """Create standing requests' occurrences ahead (beat: daily). Idempotent."""
    from volunteers.services.standing import standing_requests_generate

    return standing_requests_generate(days=settings.STANDING_REQUESTS_DAYS_AHEAD)


@shared_task(name="volunteers.personal_data_retention")
def personal_data_retention() -> int:
    """Anonymise residents and volunteers whose retention period after leaving has
    ended (beat: nightly). Idempotent; returns how many people were anonymised."""
    from volunteers.services.personal_data import retention_run

    result = retention_run()
    return result.residents + result.volunteers
