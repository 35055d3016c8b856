"""Reads for the mutual-aid centre's requests: the coordinators' board, a
volunteer's offers and assignments, reminders due, resident search and the
month's counts."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.kana import name_search_q
from accounts.models import User
from volunteers.models import Assignment, HelpRequest, Offer, Resident


def resident_of(user: User) -> Resident | None:
    """The resident record a coordinator linked to this account, if any."""
    return Resident.objects.filter(user=user).first()


def month_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, 1, tzinfo=timezone.get_current_timezone())


def requests_board(day: dt.date | None = None) -> QuerySet[HelpRequest]:
    """Today's board: requests still needing a volunteer first (soonest first), then
    the day's assigned and running ones; past unmatched requests stay on top."""
    day = day or timezone.localdate()
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    last = first + dt.timedelta(days=1)
    unmatched = Q(status__in=[HelpRequest.Status.REQUESTED, HelpRequest.Status.OFFERED])
    today = Q(starts_at__gte=first, starts_at__lt=last)
    waiting = Q(status=HelpRequest.Status.DONE)
    return (
        HelpRequest.objects.filter(unmatched | today | waiting)
        .exclude(starts_at__gte=last + dt.timedelta(days=7))
        .annotate(
            unmatched=Case(
                When(unmatched, then=Value(0)),
                When(waiting, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .select_related("resident", "category", "district", "assignment__volunteer")
        .order_by("unmatched", "starts_at", "pk")
    )


def offers_for(user: User) -> QuerySet[Offer]:
    """A volunteer's open offers (district, task and time only are shown)."""
    return (
        Offer.objects.filter(
            volunteer=user,
            status=Offer.Status.OPEN,
            request__status__in=[HelpRequest.Status.REQUESTED, HelpRequest.Status.OFFERED],
        )
        .select_related("request__category", "request__district")
        .order_by("request__starts_at", "pk")
    )


def assignments_for(user: User) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(volunteer=user)
        .select_related("request__category", "request__district")
        .order_by("-starts_at", "-pk")
    )


def upcoming_assignments_for(user: User) -> QuerySet[Assignment]:
    """A volunteer's live assignments still ahead (or under way), soonest first."""
    return (
        assignments_for(user)
        .filter(status__in=Assignment.LIVE)
        .filter(Q(status=Assignment.Status.IN_PROGRESS) | Q(ends_at__gte=timezone.now()))
        .order_by("starts_at", "pk")
    )


def assignments_due_reminder(day: dt.date) -> QuerySet[Assignment]:
    """Ids of live assignments starting on ``day`` (Tokyo) not yet reminded."""
    first = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
    return Assignment.objects.filter(
        status__in=Assignment.LIVE,
        starts_at__gte=first,
        starts_at__lt=first + dt.timedelta(days=1),
        reminded_at__isnull=True,
    ).values_list("pk", flat=True)


def residents_search(query: str) -> QuerySet[Resident]:
    """Residents whose name or kana (katakana, hiragana or half-width; see
    :func:`accounts.kana.name_search_q`), phone number (any format) or address
    contains ``query``."""
    query = (query or "").strip()
    found = Resident.objects.select_related("district")
    if not query:
        return found
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", query) if ch.isdigit())
    condition = name_search_q(query, others=("address",))
    if len(digits) >= 3:
        condition |= Q(phone__contains=digits.lstrip("0"))
    return found.filter(condition)


def requests_of_resident(user: User) -> QuerySet[HelpRequest]:
    """The help requests of the resident record linked to ``user`` (none if there is
    no such record), newest first: what the resident sees under /me/requests/."""
    return (
        HelpRequest.objects.filter(resident__user=user, resident__user__isnull=False)
        .select_related("category", "district", "assignment__volunteer")
        .order_by("-starts_at", "-pk")
    )


def monthly_counts(day: dt.date | None = None) -> dict[str, list[tuple[str, int]]]:
    """This month's requests (not cancelled) counted by category and by district."""
    day = day or timezone.localdate()
    first = month_start(day)
    following = month_start((first + dt.timedelta(days=32)).date())
    month = HelpRequest.objects.filter(starts_at__gte=first, starts_at__lt=following).exclude(
        status=HelpRequest.Status.CANCELLED
    )
    by_category = (
        month.values("category__name", "category__sort_order")
        .annotate(n=Count("pk"))
        .order_by("category__sort_order")
    )
    by_district = (
        month.values("district__name", "district__sort_order")
        .annotate(n=Count("pk"))
        .order_by("district__sort_order")
    )
    return {
        "category": [(row["category__name"], row["n"]) for row in by_category],
        "district": [(row["district__name"], row["n"]) for row in by_district],
    }
