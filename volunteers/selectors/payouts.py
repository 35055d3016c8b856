"""The monthly payout summary: per volunteer, the confirmed assignments of a month
(Asia/Tokyo, by the day of the help), their minutes, the fees due, the cash received
and every shortfall or excess recorded with its reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from accounts.models import User
from volunteers.models import Assignment
from volunteers.selectors.help_requests import month_start


@dataclass
class VolunteerPayout:
    volunteer: User
    assignments: list[Assignment] = field(default_factory=list)
    minutes: int = 0
    fee_yen: int = 0
    cash_yen: int = 0
    shortfall_yen: int = 0
    excess_yen: int = 0

    def add(self, assignment: Assignment) -> None:
        self.assignments.append(assignment)
        self.minutes += assignment.minutes or 0
        self.fee_yen += assignment.fee_yen or 0
        self.cash_yen += assignment.cash_received_yen or 0
        difference = assignment.cash_difference_yen
        # For the templates: what this one assignment fell short by, or exceeded by.
        assignment.short_yen, assignment.over_yen = max(-difference, 0), max(difference, 0)
        self.shortfall_yen += assignment.short_yen
        self.excess_yen += assignment.over_yen

    @property
    def count(self) -> int:
        return len(self.assignments)


@dataclass
class PayoutMonth:
    month: dt.date
    volunteers: list[VolunteerPayout]
    totals: VolunteerPayout
    #: Assignments of the month done but not yet confirmed (not in the summary).
    unconfirmed: int


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``month`` and of the month after, in Asia/Tokyo."""
    first = month_start(month)
    return first, month_start((first + dt.timedelta(days=32)).date())


def payout_month(month: dt.date) -> PayoutMonth:
    """Every confirmed assignment that took place in ``month``, grouped per volunteer
    (by kana), each volunteer's assignments in date order, with totals."""
    first, following = month_bounds(month)
    in_month = Assignment.objects.filter(starts_at__gte=first, starts_at__lt=following)
    rows = (
        in_month.filter(status=Assignment.Status.CONFIRMED)
        .select_related("volunteer", "request__category", "request__district")
        .order_by("volunteer__full_name_kana", "volunteer_id", "starts_at", "pk")
    )
    per_volunteer: dict[int, VolunteerPayout] = {}
    totals = VolunteerPayout(volunteer=None)
    for assignment in rows:
        payout = per_volunteer.setdefault(
            assignment.volunteer_id, VolunteerPayout(volunteer=assignment.volunteer)
        )
        payout.add(assignment)
        totals.add(assignment)
    return PayoutMonth(
        month=first.date(),
        volunteers=list(per_volunteer.values()),
        totals=totals,
        unconfirmed=in_month.filter(status=Assignment.Status.DONE).count(),
    )
