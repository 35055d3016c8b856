"""Reads of insurance enrolments and training: a year's enrolment list, the April
renewal round's candidates, a volunteer's own record, and whether an earning rule's
training requirement is met."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from core.japanese_search import text_search_q
from points.models import EarningRule
from volunteers.models import (
    InsuranceEnrolment,
    TrainingAttendance,
    TrainingSession,
    VolunteerProfile,
)

#: Why an activity under a rule that requires training earned nothing.
TRAINING_REASON = "training_required"


def training_attended(user: User) -> bool:
    """Has ``user`` attended a training session that has started by now? (A tick on a
    session still to come, e.g. one moved to a later date after it was recorded,
    does not count until it starts.)"""
    return TrainingAttendance.objects.filter(
        volunteer=user, attended=True, session__starts_at__lte=timezone.now()
    ).exists()


def training_requirement_met(user: User, rule: EarningRule) -> bool:
    """May an activity of ``user`` under ``rule`` be credited as far as training goes?
    Checked when the credit is asked for (at check-out, confirmation or review), so
    an activity logged before the training can be credited after it."""
    return not rule.requires_training or training_attended(user)


def enrolments_of_year(fiscal_year: int) -> QuerySet[InsuranceEnrolment]:
    """The year's enrolments in force, by kana: the list sent to the insurer."""
    return (
        InsuranceEnrolment.objects.filter(
            fiscal_year=fiscal_year, status=InsuranceEnrolment.Status.ENROLLED
        )
        .select_related("volunteer", "recorded_by")
        .order_by("volunteer__full_name_kana", "volunteer_id")
    )


def renewal_candidates(fiscal_year: int) -> QuerySet[InsuranceEnrolment]:
    """The April renewal round for ``fiscal_year``: last year's enrolments in force of
    volunteers still active (profile and account, details not erased) who have no
    enrolment row for the new year yet (one cancelled for the new year was a
    decision, so it is not offered again)."""
    new_year = InsuranceEnrolment.objects.filter(
        volunteer_id=OuterRef("volunteer_id"), fiscal_year=fiscal_year
    )
    active = VolunteerProfile.objects.filter(
        user_id=OuterRef("volunteer_id"), active=True, anonymised_at__isnull=True
    )
    return (
        enrolments_of_year(fiscal_year - 1)
        .filter(volunteer__is_active=True)
        .filter(Exists(active))
        .exclude(Exists(new_year))
    )


def enrolments_of(user: User) -> QuerySet[InsuranceEnrolment]:
    return InsuranceEnrolment.objects.filter(volunteer=user).order_by("-fiscal_year")


def trainings_of(user: User) -> QuerySet[TrainingAttendance]:
    """The sessions ``user`` attended, latest first."""
    return (
        TrainingAttendance.objects.filter(volunteer=user, attended=True)
        .select_related("session")
        .order_by("-session__starts_at")
    )


def sessions_with_counts() -> QuerySet[TrainingSession]:
    return TrainingSession.objects.annotate(
        attended_count=Count("attendances", filter=Q(attendances__attended=True))
    )


def attendance_candidates(session: TrainingSession, query: str = "") -> list[tuple[User, bool]]:
    """Volunteers to tick on a session's attendance page, by kana, each with whether
    they are recorded as attended: active volunteers (or, with ``query``, those whose
    name or kana matches it in any script), and everyone already recorded."""
    attended = set(session.attendances.filter(attended=True).values_list("volunteer_id", flat=True))
    profiles = VolunteerProfile.objects.filter(anonymised_at__isnull=True, user__is_active=True)
    if query.strip():
        profiles = profiles.filter(
            text_search_q(query, ["user__full_name", "user__full_name_kana"])
        )
    else:
        profiles = profiles.filter(Q(active=True) | Q(user_id__in=attended))
    users = User.objects.filter(pk__in=profiles.values("user_id")).order_by("full_name_kana", "pk")
    return [(user, user.pk in attended) for user in users]
