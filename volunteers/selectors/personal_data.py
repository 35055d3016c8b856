"""Reading what the centre holds about one person (APPI, issue #19): what still needs
their details (so they cannot be erased yet), who is due for anonymisation, and the
search city staff use to find the person who asked for disclosure or erasure."""

from __future__ import annotations

import calendar
import datetime as dt

from django.db.models import F, QuerySet
from django.utils.translation import ngettext

from accounts.kana import name_search_q
from accounts.models import User
from volunteers.models import (
    Activity,
    Assignment,
    HelpRequest,
    PersonalDataSettings,
    Resident,
    VolunteerProfile,
)
from volunteers.selectors.help_requests import residents_search

#: Requests still being handled: someone may yet need to visit, be told or be paid.
OPEN_REQUEST_STATUSES = (
    HelpRequest.Status.REQUESTED,
    HelpRequest.Status.OFFERED,
    HelpRequest.Status.ASSIGNED,
    HelpRequest.Status.IN_PROGRESS,
    HelpRequest.Status.DONE,
)
#: Requests that nobody has been offered yet: leaving the service cancels them.
UNOFFERED_STATUSES = (HelpRequest.Status.REQUESTED,)
#: Assignments whose fee or points are not settled yet.
UNSETTLED_ASSIGNMENT_STATUSES = (
    Assignment.Status.ASSIGNED,
    Assignment.Status.IN_PROGRESS,
    Assignment.Status.DONE,
)
#: Activities whose points are not decided yet.
UNDECIDED_ACTIVITY_STATUSES = (
    Activity.Status.OPEN,
    Activity.Status.AWAITING,
    Activity.Status.REVIEW,
)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (negative goes back); a day missing in
    the target month becomes its last day (31 January + 1 month = 28/29 February)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def owed_by_resident(resident: Resident) -> QuerySet[Assignment]:
    """Confirmed help whose cash fell short of the fee, not yet paid."""
    return Assignment.objects.filter(
        request__resident=resident,
        status=Assignment.Status.CONFIRMED,
        owed_settled_at__isnull=True,
        cash_received_yen__lt=F("fee_yen"),
    )


def resident_open_requests(resident: Resident, statuses=OPEN_REQUEST_STATUSES):
    return HelpRequest.objects.filter(resident=resident, status__in=statuses)


def resident_erasure_blockers(resident: Resident, *, money: bool = True) -> list[str]:
    """Why the resident's details are still needed (empty when they may be erased):
    requests still being handled (other than those nobody was offered, which leaving
    cancels), or (unless ``money`` is false: leaving is allowed with money owed)
    money they still owe."""
    reasons = []
    open_count = resident_open_requests(resident).exclude(status__in=UNOFFERED_STATUSES).count()
    if open_count:
        reasons.append(
            ngettext(
                "%(count)d request is still being handled: finish or cancel it first.",
                "%(count)d requests are still being handled: finish or cancel them first.",
                open_count,
            )
            % {"count": open_count}
        )
    owed = owed_by_resident(resident).count() if money else 0
    if owed:
        reasons.append(
            ngettext(
                "The resident still owes money for %(count)d visit: record it paid first.",
                "The resident still owes money for %(count)d visits: record them paid first.",
                owed,
            )
            % {"count": owed}
        )
    return reasons


def volunteer_erasure_blockers(user: User) -> list[str]:
    """Why the volunteer's details are still needed (empty when they may be erased):
    help assigned to them that is not confirmed yet (a fee, points or a payout to
    settle), or an activity whose points are not decided."""
    reasons = []
    unsettled = Assignment.objects.filter(
        volunteer=user, status__in=UNSETTLED_ASSIGNMENT_STATUSES
    ).count()
    if unsettled:
        reasons.append(
            ngettext(
                "%(count)d assignment is not confirmed yet: confirm or cancel it first.",
                "%(count)d assignments are not confirmed yet: confirm or cancel them first.",
                unsettled,
            )
            % {"count": unsettled}
        )
    undecided = Activity.objects.filter(
        volunteer=user, status__in=UNDECIDED_ACTIVITY_STATUSES
    ).count()
    if undecided:
        reasons.append(
            ngettext(
                "%(count)d activity is still open or awaiting review: decide it first.",
                "%(count)d activities are still open or awaiting review: decide them first.",
                undecided,
            )
            % {"count": undecided}
        )
    return reasons


def retention_due(today: dt.date) -> tuple[QuerySet[Resident], QuerySet[VolunteerProfile]]:
    """Residents and volunteers whose retention period (``PersonalDataSettings``,
    counted in months from the day they left) has ended by ``today`` and who are not
    anonymised yet, oldest departure first."""
    config = PersonalDataSettings.load()
    residents = Resident.objects.filter(
        left_on__isnull=False,
        anonymised_at__isnull=True,
        left_on__lte=add_months(today, -config.resident_retention_months),
    ).order_by("left_on", "pk")
    volunteers = VolunteerProfile.objects.filter(
        left_on__isnull=False,
        anonymised_at__isnull=True,
        left_on__lte=add_months(today, -config.volunteer_retention_months),
    ).order_by("left_on", "pk")
    return residents, volunteers


def erasure_date(left_on: dt.date | None, *, resident: bool) -> dt.date | None:
    """The day the nightly job will anonymise someone who left on ``left_on``."""
    if left_on is None:
        return None
    config = PersonalDataSettings.load()
    months = config.resident_retention_months if resident else config.volunteer_retention_months
    return add_months(left_on, months)


def people_search(query: str, *, limit: int = 20) -> tuple[list[Resident], list[User]]:
    """Residents (by name, kana, phone or address) and volunteers (by name, kana or
    email) matching ``query``, for the
    city staff's disclosure and erasure page (at most ``limit`` of each). Anonymised
    people are not found: nothing is left to disclose."""
    query = query.strip()
    if len(query) < 2:
        return [], []
    residents = list(
        residents_search(query)
        .filter(anonymised_at__isnull=True)
        .select_related("district")
        .order_by("full_name_kana", "pk")[:limit]
    )
    volunteers = list(
        User.objects.filter(volunteer_profile__isnull=False)
        .filter(name_search_q(query, others=("email",)))
        .filter(volunteer_profile__anonymised_at__isnull=True)
        .select_related("volunteer_profile__home_district")
        .order_by("full_name_kana", "pk")[:limit]
    )
    return residents, volunteers
