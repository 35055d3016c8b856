"""Reads of the activity log: a volunteer's activities, the one still open, the
review queue, and when an open activity counts as a forgotten check-out."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from volunteers.models import Activity, Place, TrainingAttendance
from volunteers.selectors.training import TRAINING_REASON


def open_activity(volunteer: User) -> Activity | None:
    """The volunteer's open activity (at most one), with its place."""
    return (
        Activity.objects.select_related("place")
        .filter(volunteer=volunteer, status=Activity.Status.OPEN)
        .first()
    )


def forgotten_after(activity: Activity) -> dt.datetime:
    """When an open activity counts as a forgotten check-out; it is closed at that time.

    Checked in before the place's closing time: that day's closing time. Checked in
    after closing (an evening event) or at a place without a closing time: once the
    place's longest plausible activity (``max_minutes``) has passed since check-in.
    Either way the activity then waits for a coordinator, who can correct the end.
    """
    place = activity.place
    if place.closes_at is not None:
        day = timezone.localtime(activity.started_at).date()
        closing = timezone.make_aware(dt.datetime.combine(day, place.closes_at))
        if closing > activity.started_at:
            return closing
    return activity.started_at + dt.timedelta(minutes=max(place.max_minutes, 1))


def activities_of(user: User) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(volunteer=user)
        .select_related("place", "transaction")
        .order_by("-started_at", "-pk")
    )


#: Why an activity earned nothing that a coordinator may re-evaluate once the missing
#: fact is known: the earning rule has a minimum age and the birth date was unknown.
REEVALUABLE_REASON = "birth_date_unknown"
#: Every such reason: the one above, and a rule requiring training not yet attended.
REEVALUABLE_REASONS = (REEVALUABLE_REASON, TRAINING_REASON)


def reevaluable() -> Q:
    """Activities refused for an unknown birth date whose volunteer has one now, or
    for want of training whose volunteer has attended a session since."""
    return Q(status=Activity.Status.NO_POINTS) & (
        Q(review_reason=REEVALUABLE_REASON, volunteer__birth_date__isnull=False)
        | (
            Q(review_reason=TRAINING_REASON)
            & Exists(
                TrainingAttendance.objects.filter(
                    volunteer_id=OuterRef("volunteer_id"), attended=True
                )
            )
        )
    )


def review_queue() -> QuerySet[Activity]:
    """Activities waiting for a coordinator: flagged ones, and those that can be
    re-evaluated now that the volunteer's birth date is known (:func:`reevaluable`)."""
    return (
        Activity.objects.filter(Q(status=Activity.Status.REVIEW) | reevaluable())
        .select_related("volunteer", "place", "recorded_by")
        .order_by("started_at", "pk")
    )


def awaiting_confirmation(place: Place) -> QuerySet[Activity]:
    """Self check-ins at ``place`` whose presence no host has confirmed yet: open ones
    and closed ones awaiting confirmation (expired ones have gone to review)."""
    return (
        Activity.objects.filter(
            place=place,
            method=Activity.Method.SELF,
            presence_confirmed_at__isnull=True,
            status__in=[Activity.Status.OPEN, Activity.Status.AWAITING],
        )
        .select_related("volunteer")
        .order_by("started_at", "pk")
    )


def awaiting_expired(now: dt.datetime, after: dt.timedelta) -> QuerySet[Activity]:
    """Activities awaiting a host's confirmation that ended more than ``after`` ago."""
    return Activity.objects.filter(
        status=Activity.Status.AWAITING, ended_at__lt=now - after
    ).order_by("pk")
