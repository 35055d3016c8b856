"""The centre's calendar: which days it is closed, and why.

The rules are :class:`~volunteers.models.CentreClosure` rows, edited by coordinators
and city staff in the back office; national holidays come from ``jpholiday`` (which
follows the Cabinet Office's list, 振替休日 and 国民の休日 included), not from a
hand-kept list. A city with no rule yet is open every day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import jpholiday
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from volunteers.models import CentreClosure, HelpRequest, StandingRequest

_LAST_LOOKUP = dt.date.max - dt.timedelta(days=1)


def _closures() -> list[CentreClosure]:
    return list(CentreClosure.objects.all())


def centre_closed_days(first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """The closed days from ``first`` to ``last`` (both included), each with its
    reason (the holiday's name, or the closure's name). One query, whatever the
    range."""
    closures = _closures()
    closed: dict[dt.date, str] = {}
    # jpholiday looks at the next day (振替休日): the calendar's very last day has none.
    if first < dt.date.max and any(c.kind == CentreClosure.Kind.PUBLIC_HOLIDAYS for c in closures):
        closed.update(dict(jpholiday.between(first, min(last, _LAST_LOOKUP))))
    ruled = [c for c in closures if c.kind != CentreClosure.Kind.PUBLIC_HOLIDAYS]
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        for closure in ruled:
            if closure.covers(day):
                # A yearly or dated closure names the day better than the holiday
                # inside it (元日 is 年末年始 for the centre).
                closed[day] = closure.name or _("Centre closed")
                break
    return dict(sorted(closed.items()))


def centre_closed_reason(day: dt.date) -> str | None:
    """Why the centre is closed on ``day`` (e.g. "成人の日", "年末年始"), or None
    when it is open."""
    return centre_closed_days(day, day).get(day)


def centre_open_on(day: dt.date) -> bool:
    """Is the centre open on ``day``? (Service hours are the help category's.)"""
    return centre_closed_reason(day) is None


@dataclass
class ClosedDay:
    """A closed day ahead as the board shows it: what beat did not generate, and the
    live requests booked on it before the closure was entered (for a coordinator to
    settle: they are neither cancelled nor left unreminded behind anyone's back)."""

    date: dt.date
    reason: str
    standing: list[StandingRequest] = field(default_factory=list)
    requests: list[HelpRequest] = field(default_factory=list)


def closed_days_ahead(today: dt.date | None = None, days: int = 14) -> list[ClosedDay]:
    """The closed days from ``today`` to ``days`` ahead, each with the active standing
    requests that fall on it (and so were skipped) and the requests still live on it."""
    today = today or timezone.localdate()
    closed = centre_closed_days(today, today + dt.timedelta(days=days))
    if not closed:
        return []
    zone = timezone.get_current_timezone()
    out = {day: ClosedDay(day, reason) for day, reason in closed.items()}
    standing = list(
        StandingRequest.objects.filter(active=True, first_date__lte=max(closed))
        .filter(Q(last_date__isnull=True) | Q(last_date__gte=min(closed)))
        .select_related("resident", "category")
    )
    for day, row in out.items():
        row.standing = [
            s
            for s in standing
            if day.weekday() in s.weekdays
            and s.first_date <= day
            and (s.last_date is None or day <= s.last_date)
        ]
    start = dt.datetime.combine(min(closed), dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(max(closed) + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    live = HelpRequest.objects.filter(
        starts_at__gte=start,
        starts_at__lt=end,
        status__in=[
            HelpRequest.Status.REQUESTED,
            HelpRequest.Status.OFFERED,
            HelpRequest.Status.ASSIGNED,
        ],
    ).select_related("resident", "category")
    for request in live:
        row = out.get(timezone.localdate(request.starts_at))
        if row is not None:
            row.requests.append(request)
    return list(out.values())
