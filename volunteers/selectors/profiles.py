"""Reads for volunteer profiles and matching: who can take a request (hard
filters), how they rank (weighted preferences) and why, and a volunteer's dated
availability exceptions."""

from __future__ import annotations

import datetime as dt
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

from accounts.models import User
from volunteers.models import (
    Assignment,
    AvailabilityException,
    HelpRequest,
    MatchingSlot,
    Offer,
    VolunteerProfile,
)
from volunteers.selectors.help_requests import month_start


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
    if end_day != day:  # over midnight: no slot covers it
        return VolunteerProfile.objects.none()
    away = AvailabilityException.objects.filter(
        profile_id=OuterRef("profile_id"), date=day, available=False
    )
    slots = _covering(help_request).filter(Q(day_key=day.toordinal()) | ~Exists(away))
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


def _covering(help_request: HelpRequest) -> QuerySet[MatchingSlot]:
    """Matching-index rows of the request's district and skill whose slot covers its
    window on its weekday or its date (days away not yet taken out)."""
    day, start, _, end = _window(help_request)
    return MatchingSlot.objects.filter(
        district_id=help_request.district_id,
        category_id=help_request.category_id,
        day_key__in=[day.weekday(), day.toordinal()],
        starts__lte=start,
        ends__gte=end,
    )


def _window(help_request: HelpRequest):
    start = timezone.localtime(help_request.starts_at)
    end = timezone.localtime(help_request.ends_at)
    return start.date(), start.time(), end.date(), end.time()


def ranked_volunteers(help_request: HelpRequest) -> QuerySet[VolunteerProfile]:
    """:func:`eligible_volunteers` with each weighted preference annotated and a
    total ``score``, best first (ties: older profile first). Weights come from
    ``settings.MATCHING_WEIGHTS``."""
    day = timezone.localtime(help_request.starts_at).date()
    flags = _preference_flags(help_request)
    # The load is an alias, not a selected column: the subquery then runs once per
    # candidate (inside the score), not twice. Ties on the score go to the older
    # profile; the score already favours the less loaded volunteer.
    return (
        eligible_volunteers(help_request)
        .alias(month_load=_month_load(day))
        .annotate(**flags)
        .annotate(score=_score(help_request))
        .select_related("user")
        .order_by("-score", "pk")
    )


def _flag(condition) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _month_load(day: dt.date) -> Coalesce:
    """A candidate's assignments (not cancelled) in the month of ``day``, as a
    subquery on the candidate's row."""
    first = month_start(day)
    following = month_start((first + dt.timedelta(days=32)).date())
    return Coalesce(
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


def _helped(help_request: HelpRequest) -> QuerySet[Assignment]:
    """Assignments done or confirmed for the request's resident (continuity)."""
    return Assignment.objects.filter(
        request__resident_id=help_request.resident_id,
        status__in=[Assignment.Status.DONE, Assignment.Status.CONFIRMED],
    )


def _weighed(help_request: HelpRequest) -> tuple[Q | None, Q | None]:
    """The same-gender and car conditions on a row that has ``gender`` and
    ``has_car`` (a profile or a matching-index row); None where this request does
    not weigh them."""
    resident = help_request.resident
    same_gender = (
        Q(gender=resident.gender) if resident.prefers_same_gender and resident.gender else None
    )
    car = Q(has_car=True) if help_request.category.prefers_car else None
    return same_gender, car


def _preference_flags(help_request: HelpRequest) -> dict[str, Case | Value]:
    """Each weighted preference as a 0/1 column, in the order they are annotated."""
    helped = Exists(_helped(help_request).filter(volunteer_id=OuterRef("pk")))
    same_gender, car = (
        Value(0, output_field=IntegerField()) if condition is None else _flag(condition)
        for condition in _weighed(help_request)
    )
    return {
        "helped_before": _flag(helped),
        "same_district": _flag(Q(home_district_id=help_request.district_id)),
        "same_gender": same_gender,
        "car": car,
    }


def _continuity(help_request: HelpRequest) -> int:
    weights = settings.MATCHING_WEIGHTS
    return weights["continuity"] + (
        weights["resident_preference"] if help_request.resident.prefers_familiar else 0
    )


def _score(help_request: HelpRequest) -> ExpressionWrapper:
    """The weighted sum of the preference columns and the fairness term."""
    weights = settings.MATCHING_WEIGHTS
    continuity = _continuity(help_request)
    return ExpressionWrapper(
        F("helped_before") * continuity
        + Value(float(weights["fairness"])) / (F("month_load") + Value(1.0))
        + F("same_district") * weights["same_district"]
        + F("same_gender") * weights["resident_preference"]
        + F("car") * weights["car"],
        output_field=FloatField(),
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


# The first pass of ``_top`` ranks this many matching-index rows per suggestion
# asked; each further pass eight times as many, until ranking every candidate is as
# cheap (and the number of values in the query stays well within SQLite's limit).
_FIRST_PASS, _GROWTH, _WIDEST_PASS = 4, 8, 5000


def _bounds(help_request: HelpRequest) -> QuerySet[MatchingSlot]:
    """``(bound, profile_id)`` of each matching-index row that could match, best
    first: ``bound`` is what the volunteer scores apart from the fairness term
    (continuity, same district, same gender, car), from the row's own copies and one
    hashed list of the resident's past helpers; read from the index alone."""
    weights = settings.MATCHING_WEIGHTS
    same_gender, car = (
        Value(0) if condition is None else _flag(condition) for condition in _weighed(help_request)
    )
    bound = (
        _flag(Q(profile_id__in=_helped(help_request).values("volunteer_id")))
        * _continuity(help_request)
        + _flag(Q(home=True)) * weights["same_district"]
        + same_gender * weights["resident_preference"]
        + car * weights["car"]
    )
    return (
        _covering(help_request)
        .annotate(bound=ExpressionWrapper(bound, output_field=IntegerField()))
        .order_by("-bound", "profile_id")
        .values_list("bound", "profile_id")
    )


def _top(help_request: HelpRequest, limit: int) -> list[VolunteerProfile]:
    """The first ``limit`` of :func:`ranked_volunteers` (each with this month's
    ``load``), ranking only the best-placed candidates.

    Passes: rank the volunteers of the first ``take`` rows of :func:`_bounds`. Any
    volunteer not ranked yet comes after the last row taken, ``(bound, pk)``: they
    score at most ``bound`` + the fairness weight (no assignment this month) and, on
    an equal score, lose to anyone ranked whose pk is not above ``pk`` (ties go to
    the older profile). So once ``limit`` are found and the last of them does that
    well, nobody later can enter; otherwise take more rows, and in the end rank
    every candidate. The same SQL computes every score, so ties compare exactly."""
    ranked = ranked_volunteers(help_request).annotate(load=F("month_load"))
    bounds = _bounds(help_request)
    fairness = max(settings.MATCHING_WEIGHTS["fairness"], 0)
    take = _FIRST_PASS * limit
    while 0 < take < _WIDEST_PASS:
        rows = list(bounds[:take])
        found = list(ranked.filter(pk__in={pk for _, pk in rows})[:limit])
        if len(rows) < take:  # every candidate ranked
            return found
        bound, last = rows[-1]
        if len(found) == limit and (found[-1].score, -found[-1].pk) >= (bound + fairness, -last):
            return found
        take *= _GROWTH
    return list(ranked[:limit])


def suggest(help_request: HelpRequest, *, limit: int = 10) -> list[Suggestion]:
    """The top ``limit`` volunteers for ``help_request`` with the reasons for each
    rank, as :func:`ranked_volunteers` orders them (usually two queries: the best
    rows of the matching index, then the ranking of their volunteers; see
    :func:`_top`)."""
    weights = settings.MATCHING_WEIGHTS
    resident = help_request.resident
    out = []
    for profile in _top(help_request, limit):
        profile.month_load = profile.load
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
