"""Every row lock the volunteers app takes, and the order it takes them in.

Lock order, for any transaction that holds more than one lock:

    resident → volunteer profile → standing request → help request → assignment →
    points ledger

(a training session is locked alone: its attendance list is written under it.)

(the ledger's accounts are locked by ``points.services`` when a credit is posted,
always last). An activity and a declined offer are each locked alone, before the
ledger (a host confirming several check-ins locks those activities in primary-key
order, then the ledger); offers otherwise change only under their request's lock.

Each helper runs its ``SELECT … FOR UPDATE`` when called (the query is evaluated at
once, never left lazy), locks only its own table's rows (``of=("self",)``: rows
read with it through ``select_related`` stay unlocked) and takes several rows in
primary-key order. A helper that locks one row chosen by meaning (the latest
activity at a place) orders by that meaning instead: one row has no order to keep.
Services take locks only through these helpers.
"""

from __future__ import annotations

from accounts.models import User
from volunteers.models import (
    Activity,
    Assignment,
    HelpRequest,
    Offer,
    Place,
    Resident,
    StandingRequest,
    TrainingSession,
    VolunteerProfile,
)


def resident_lock(resident_id: int) -> Resident:
    """Lock one resident's row and return it fresh (leaving, consent, anonymisation
    serialise on it). Raises ``Resident.DoesNotExist``."""
    return (
        Resident.objects.filter(pk=resident_id)
        .select_related("user")
        .select_for_update(of=("self",))
        .get()
    )


def profile_lock(user: User | int) -> VolunteerProfile | None:
    """Lock the volunteer profile of ``user`` (or of the user with that id, which is
    the profile's primary key); None when they have none."""
    rows = list(
        VolunteerProfile.objects.filter(user=user).order_by("pk").select_for_update(of=("self",))
    )
    return rows[0] if rows else None


def profile_lock_or_create(user: User) -> tuple[VolunteerProfile, bool]:
    """Lock the volunteer profile of ``user``, creating it first if there is none;
    returns (profile, created) as ``get_or_create`` does."""
    return (
        VolunteerProfile.objects.order_by("pk")
        .select_for_update(of=("self",))
        .get_or_create(user=user)
    )


def standing_lock(standing_id: int) -> None:
    """Lock one standing request's row (the generator and skipped dates serialise on it)."""
    list(
        StandingRequest.objects.filter(pk=standing_id)
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def request_lock(request_id: int) -> HelpRequest:
    """Lock a help request and return it fresh, with its category and resident read
    (not locked) in the same query. Raises ``HelpRequest.DoesNotExist``."""
    return (
        HelpRequest.objects.filter(pk=request_id)
        .select_related("category", "resident")
        .order_by("pk")
        .select_for_update(of=("self",))
        .get()
    )


def assignment_lock(assignment_id: int, request_id: int) -> tuple[Assignment, HelpRequest]:
    """Lock an assignment's request, then the assignment (the lock order); return
    both fresh, the assignment with its volunteer read and its request set."""
    help_request = request_lock(request_id)
    assignment = (
        Assignment.objects.filter(pk=assignment_id)
        .select_related("volunteer")
        .order_by("pk")
        .select_for_update(of=("self",))
        .get()
    )
    assignment.request = help_request
    return assignment, help_request


def activity_lock(activity_id: int, *, with_place: bool = False) -> Activity:
    """Lock one activity and return it fresh (its place read too when asked).
    Raises ``Activity.DoesNotExist``."""
    found = Activity.objects.filter(pk=activity_id)
    if with_place:
        found = found.select_related("place")
    return found.order_by("pk").select_for_update(of=("self",)).get()


def activities_lock(activity_ids: list[int]) -> list[Activity]:
    """Lock several activities in primary-key order and return them fresh, each with
    its place and volunteer read (not locked)."""
    return list(
        Activity.objects.filter(pk__in=activity_ids)
        .select_related("place__earning_rule", "volunteer")
        .order_by("pk")
        .select_for_update(of=("self",))
    )


def activity_lock_latest(volunteer: User, place: Place) -> Activity | None:
    """Lock the volunteer's latest activity at ``place`` (by check-in time), if any."""
    return (
        Activity.objects.filter(volunteer=volunteer, place=place)
        .order_by("-started_at")
        .select_for_update(of=("self",))
        .first()
    )


def offer_lock(offer_id: int) -> Offer:
    """Lock one offer and return it fresh. Raises ``Offer.DoesNotExist``."""
    return Offer.objects.filter(pk=offer_id).order_by("pk").select_for_update(of=("self",)).get()


def training_session_lock(session_id: int) -> TrainingSession:
    """Lock a training session (its attendance list is written under it) and return
    it fresh. Raises ``TrainingSession.DoesNotExist``."""
    return (
        TrainingSession.objects.filter(pk=session_id)
        .order_by("pk")
        .select_for_update(of=("self",))
        .get()
    )
