"""Reads for places, cards and activities."""

from django.db.models import QuerySet

from accounts.models import User
from volunteers.models import Activity, Place


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
