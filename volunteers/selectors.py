"""Reads for places, cards and activities, and for the mutual-aid centre:
matching, the coordinators' board, a volunteer's offers and assignments."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.kana import normalize_kana
from accounts.models import User
from volunteers.models import (
    Activity,
    Assignment,
    AvailabilityException,
    HelpRequest,
    MatchingSlot,
    Offer,
    Place,
    Resident,
    VolunteerProfile,
)


def activities_of(user: User) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(volunteer=user)
        .select_related("place", "transaction")
        .order_by("-started_at", "-pk")
    )


def review_queue() -> QuerySet[Activity]:
    return (
        Activity.objects.filter(status=Activity.Status.REVIEW)
        .select_related("volunteer", "place", "recorded_by")
        .order_by("started_at", "pk")
    )


def places_hosted_by(user: User) -> QuerySet[Place]:
    return Place.objects.filter(hosts=user, active=True).order_by("name")


# --- The mutual-aid centre ------------------------------------------------------------


def month_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, 1, tzinfo=timezone.get_current_timezone())


def eligible_volunteers(help_request: HelpRequest) -> QuerySet[VolunteerProfile]:
    """Volunteers who pass every hard filter for ``help_request``, in SQL:

    * the skill and the district: a matching-index row for (district, category);
    * availability covering the window: a weekly slot on that weekday (unless away
      that date) or a dated extra slot, from before the start to after the end;
    * insurance valid on the day, profile and user active;
    * no live assignment overlapping the window, and not having declined this request.

    The matching index (``MatchingSlot``) is searched by one composite index, so only
    volunteers near the answer are read.
    """
    day, start, end_day, end = _window(help_request)
    keys = [day.weekday(), day.toordinal()]
    if end_day != day:  # over midnight: no slot covers it
        return VolunteerProfile.objects.none()
    away = AvailabilityException.objects.filter(
        profile_id=OuterRef("profile_id"), date=day, available=False
    )
    slots = MatchingSlot.objects.filter(
        district_id=help_request.district_id,
        category_id=help_request.category_id,
        day_key__in=keys,
        starts__lte=start,
        ends__gte=end,
    ).filter(Q(day_key=day.toordinal()) | ~Exists(away))
    booked = Assignment.objects.filter(
        volunteer_id=OuterRef("pk"),
        status__in=Assignment.LIVE,
        starts_at__lt=help_request.ends_at,
        ends_at__gt=help_request.starts_at,
    )
    declined = Offer.objects.filter(
        request_id=help_request.pk, volunteer_id=OuterRef("pk"), status=Offer.Status.DECLINED
    )
    return VolunteerProfile.objects.filter(
        pk__in=slots.values("profile_id"),
        active=True,
        insurance_valid_until__gte=day,
        user__is_active=True,
    ).exclude(Exists(booked) | Exists(declined))


def _window(help_request: HelpRequest):
    start = timezone.localtime(help_request.starts_at)
    end = timezone.localtime(help_request.ends_at)
    return start.date(), start.time(), end.date(), end.time()


def ranked_volunteers(help_request: HelpRequest) -> QuerySet[VolunteerProfile]:
    """:func:`eligible_volunteers` with each weighted preference annotated and a
    total ``score``, best first (ties: older profile first). Weights come from
    ``settings.MATCHING_WEIGHTS``."""
    weights = settings.MATCHING_WEIGHTS
    resident = help_request.resident
    day = timezone.localtime(help_request.starts_at).date()
    first = month_start(day)
    following = month_start((first + dt.timedelta(days=32)).date())
    helped = Exists(
        Assignment.objects.filter(
            volunteer_id=OuterRef("pk"),
            request__resident_id=resident.pk,
            status__in=[Assignment.Status.DONE, Assignment.Status.CONFIRMED],
        )
    )
    load = Coalesce(
        Subquery(
            Assignment.objects.filter(
                volunteer_id=OuterRef("pk"), starts_at__gte=first, starts_at__lt=following
            )
            .exclude(status=Assignment.Status.CANCELLED)
            .order_by()
            .values("volunteer_id")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )

    def flag(condition) -> Case:
        return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())

    same_gender = (
        flag(Q(gender=resident.gender))
        if resident.prefers_same_gender and resident.gender
        else Value(0, output_field=IntegerField())
    )
    car = (
        flag(Q(has_car=True))
        if help_request.category.prefers_car
        else Value(0, output_field=IntegerField())
    )
    continuity = weights["continuity"] + (
        weights["resident_preference"] if resident.prefers_familiar else 0
    )
    # The load is an alias, not a selected column: the subquery then runs once per
    # candidate (inside the score), not twice. Ties on the score go to the older
    # profile; the score already favours the less loaded volunteer.
    return (
        eligible_volunteers(help_request)
        .alias(month_load=load)
        .annotate(
            helped_before=flag(helped),
            same_district=flag(Q(home_district_id=help_request.district_id)),
            same_gender=same_gender,
            car=car,
        )
        .annotate(
            score=ExpressionWrapper(
                F("helped_before") * continuity
                + Value(float(weights["fairness"])) / (F("month_load") + Value(1.0))
                + F("same_district") * weights["same_district"]
                + F("same_gender") * weights["resident_preference"]
                + F("car") * weights["car"],
                output_field=FloatField(),
            )
        )
        .select_related("user")
        .order_by("-score", "pk")
    )


def month_loads(volunteer_ids: list[int], day: dt.date) -> dict[int, int]:
    """Assignments (not cancelled) in the month of ``day`` per volunteer."""
    first = month_start(day)
    following = month_start((first + dt.timedelta(days=32)).date())
    return dict(
        Assignment.objects.filter(
            volunteer_id__in=volunteer_ids, starts_at__gte=first, starts_at__lt=following
        )
        .exclude(status=Assignment.Status.CANCELLED)
        .order_by()
        .values("volunteer_id")
        .annotate(n=Count("pk"))
        .values_list("volunteer_id", "n")
    )


@dataclass(frozen=True)
class Suggestion:
    """One ranked volunteer and why they rank there."""

    volunteer: User
    profile: VolunteerProfile
    score: float
    reasons: list[str]


def suggest(help_request: HelpRequest, *, limit: int = 10) -> list[Suggestion]:
    """The top ``limit`` volunteers for ``help_request`` with the reasons for each
    rank (two queries: the ranking, then this month's load of the ``limit`` found)."""
    weights = settings.MATCHING_WEIGHTS
    resident = help_request.resident
    out = []
    ranked = list(ranked_volunteers(help_request)[:limit])
    loads = month_loads([p.pk for p in ranked], timezone.localtime(help_request.starts_at).date())
    for profile in ranked:
        profile.month_load = loads.get(profile.pk, 0)
        reasons = []
        if profile.helped_before:
            reasons.append(
                _("Has helped this resident before (+%(points)s)")
                % {"points": weights["continuity"]}
            )
            if resident.prefers_familiar:
                reasons.append(
                    _("The resident prefers a familiar helper (+%(points)s)")
                    % {"points": weights["resident_preference"]}
                )
        fairness = weights["fairness"] / (profile.month_load + 1)
        reasons.append(
            ngettext(
                "%(count)s assignment this month (+%(points)s)",
                "%(count)s assignments this month (+%(points)s)",
                profile.month_load,
            )
            % {"count": profile.month_load, "points": f"{fairness:.0f}"}
        )
        if profile.same_district:
            reasons.append(
                _("Lives in the same district (+%(points)s)") % {"points": weights["same_district"]}
            )
        if profile.same_gender:
            reasons.append(
                _("Same gender, as the resident prefers (+%(points)s)")
                % {"points": weights["resident_preference"]}
            )
        if profile.car:
            reasons.append(_("Has a car for this task (+%(points)s)") % {"points": weights["car"]})
        out.append(
            Suggestion(
                volunteer=profile.user, profile=profile, score=profile.score, reasons=reasons
            )
        )
    return out


def upcoming_exceptions(profile: VolunteerProfile) -> QuerySet[AvailabilityException]:
    return AvailabilityException.objects.filter(
        profile=profile, date__gte=timezone.localdate()
    ).order_by("date")


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
    """Residents whose kana (katakana or hiragana), phone number (any format) or
    address contains ``query``."""
    query = (query or "").strip()
    found = Resident.objects.select_related("district")
    if not query:
        return found
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", query) if ch.isdigit())
    condition = Q(full_name__icontains=query) | Q(address__icontains=query)
    kana = normalize_kana(query)
    if kana:
        condition |= Q(full_name_kana__contains=kana)
    if len(digits) >= 3:
        condition |= Q(phone__contains=digits.lstrip("0"))
    return found.filter(condition)


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
