"""Writes for standing requests: generating each one's requests ahead (beat) and
skipping a date."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.errors import DomainError
from volunteers.locks import standing_lock
from volunteers.models import HelpRequest, StandingRequest, StandingRequestSkip
from volunteers.rules import coordinator_check, service_window_check
from volunteers.selectors.calendar import centre_closed_days
from volunteers.services.help_requests import TRANSITIONS, request_cancel

logger = logging.getLogger(__name__)

#: Standing requests read from the database at a time by the generator.
STANDING_CHUNK = 200


def standing_requests_generate(*, today: dt.date | None = None, days: int = 14) -> int:
    """Create the requests of every active standing request for the next ``days``
    days, skipping the dates coordinators marked and the centre's closed days
    (``volunteers.selectors.calendar``): nothing is generated on a public holiday or
    during a closure, and the board lists those dates with the standing requests
    they skipped. Returns how many were created.

    Idempotent per (standing request, Tokyo date): a date that already has a request
    of this standing request, in any state (a cancelled one included), is never
    generated again, whatever the time it was generated for. When a coordinator has
    changed the time (or the length) since, the future requests still *requested*
    (nobody asked yet) are moved to the new time; those already offered or assigned
    keep the time the volunteers were told, for the coordinator to settle. The
    standing request's row is locked, so concurrent runs never both create a date
    (and a unique constraint on (standing, start) backs the same time)."""
    today = today or timezone.localdate()
    created = 0
    closed = set(centre_closed_days(today, today + dt.timedelta(days)))
    standing_list = (
        StandingRequest.objects.filter(active=True, first_date__lte=today + dt.timedelta(days))
        .exclude(last_date__lt=today)
        .select_related("resident", "category")
        .order_by("pk")
    )
    # Streamed in chunks (a server-side cursor on PostgreSQL): memory stays flat
    # however many standing requests the city has; each is its own transaction.
    for standing in standing_list.iterator(chunk_size=STANDING_CHUNK):
        with transaction.atomic():
            # Locked as standing_skip_add locks it: a date skipped meanwhile is
            # either seen here or cancels what this run creates, never missed.
            standing_lock(standing.pk)
            # Stopped meanwhile (the resident left): nothing more for it.
            if not StandingRequest.objects.filter(pk=standing.pk, active=True).exists():
                continue
            skipped = closed | set(
                StandingRequestSkip.objects.filter(standing=standing).values_list("date", flat=True)
            )
            created += _standing_generate_one(standing, today, days, skipped)
    return created


def _standing_generate_one(
    standing: StandingRequest, today: dt.date, days: int, skipped: set[dt.date]
) -> int:
    """Create one standing request's missing dates and move its untouched future
    ones to the current time (its row locked by the caller). Returns how many were
    created."""
    zone = timezone.get_current_timezone()
    generated = _generated_by_date(standing, today, days, zone)
    now = timezone.now()
    rows, moved = [], []
    for day in _standing_dates(standing, today, days, skipped):
        starts_at = dt.datetime.combine(day, standing.starts, tzinfo=zone)
        ends_at = starts_at + dt.timedelta(minutes=standing.duration_minutes)
        try:
            service_window_check(standing.category, starts_at, ends_at)
        except DomainError:
            # Saved before the form checked it, or the category's hours changed
            # since: leave it to a coordinator rather than stop every other one.
            logger.warning("standing request %s is outside service hours", standing.pk)
            return 0
        if day in generated:
            existing = _movable_to(generated[day], starts_at, ends_at, now)
            if existing is not None:
                moved.append(existing)
            continue
        rows.append(_occurrence(standing, starts_at, ends_at))
    for existing in moved:
        # Conditional: an offer made since the read above (request_offer locks the
        # request's row, not the standing one's) keeps the time volunteers were told.
        HelpRequest.objects.filter(pk=existing.pk, status=HelpRequest.Status.REQUESTED).update(
            starts_at=existing.starts_at, ends_at=existing.ends_at
        )
    if not rows:
        return 0
    before = HelpRequest.objects.filter(standing=standing).count()
    HelpRequest.objects.bulk_create(rows, ignore_conflicts=True)
    return HelpRequest.objects.filter(standing=standing).count() - before


def _generated_by_date(
    standing: StandingRequest, today: dt.date, days: int, zone: dt.tzinfo
) -> dict[dt.date, list[HelpRequest]]:
    """The standing request's requests from ``today`` to ``days`` ahead, by Tokyo date."""
    first = dt.datetime.combine(today, dt.time.min, tzinfo=zone)
    generated: dict[dt.date, list[HelpRequest]] = {}
    for existing in HelpRequest.objects.filter(
        standing=standing,
        starts_at__gte=first,
        starts_at__lt=first + dt.timedelta(days=days + 1),
    ):
        generated.setdefault(timezone.localdate(existing.starts_at), []).append(existing)
    return generated


def _standing_dates(
    standing: StandingRequest, today: dt.date, days: int, skipped: set[dt.date]
) -> Iterator[dt.date]:
    """The dates from ``today`` to ``days`` ahead the standing request falls on."""
    for offset in range(days + 1):
        day = today + dt.timedelta(offset)
        if (
            day.weekday() not in standing.weekdays
            or day in skipped
            or day < standing.first_date
            or (standing.last_date and day > standing.last_date)
        ):
            continue
        yield day


def _movable_to(
    same_day: list[HelpRequest], starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime
) -> HelpRequest | None:
    """The date's request set to the new window, when it may move there: nobody asked
    yet, ahead both at its time and at the new one, and at another time; else None.
    Two on one date (possible for dates generated before requests were per date) are
    left to a coordinator: moving both to the same time would break the constraint."""
    if len(same_day) != 1:
        return None
    (existing,) = same_day
    if (
        existing.status == HelpRequest.Status.REQUESTED
        and min(existing.starts_at, starts_at) > now
        and (existing.starts_at, existing.ends_at) != (starts_at, ends_at)
    ):
        existing.starts_at, existing.ends_at = starts_at, ends_at
        return existing
    return None


def _occurrence(
    standing: StandingRequest, starts_at: dt.datetime, ends_at: dt.datetime
) -> HelpRequest:
    """An unsaved request of ``standing`` for one window."""
    return HelpRequest(
        resident=standing.resident,
        category=standing.category,
        district_id=standing.resident.district_id,
        starts_at=starts_at,
        ends_at=ends_at,
        place=standing.place,
        notes=standing.notes,
        channel=HelpRequest.Channel.STANDING,
        standing=standing,
    )


@transaction.atomic
def standing_skip_add(
    *, standing: StandingRequest, date: dt.date, actor: User
) -> StandingRequestSkip:
    """Mark ``date`` as skipped for a standing request. Beat generates requests
    days ahead, so one already generated for that date is cancelled too (offers
    withdrawn; an assigned volunteer is told), unless the work has started.
    Idempotent. Raises :class:`NotPermitted`."""
    coordinator_check(actor)
    standing_lock(standing.pk)
    skip, _ = StandingRequestSkip.objects.get_or_create(standing=standing, date=date)
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(date, dt.time.min, tzinfo=zone)
    generated = HelpRequest.objects.filter(
        standing=standing,
        starts_at__gte=first,
        starts_at__lt=first + dt.timedelta(days=1),
        status__in=TRANSITIONS["cancel"][0],
    )
    for help_request in generated:
        request_cancel(help_request=help_request, actor=actor, reason=gettext("A skipped date"))
    return skip
