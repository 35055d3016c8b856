"""Writes for places, cards and the activity log.

Every check-out credits points through ``points.services.points_award`` with the
activity as idempotency key, so a retried request, a replayed scan or a re-run task
never credits twice. Activity rows are locked (``SELECT … FOR UPDATE``) before they
change; the ledger then locks its accounts, always in that order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Role, User
from core.db import savepoint_if_nested
from core.errors import NotPermitted
from points import codes
from points.exceptions import RuleNotApplicable
from points.services import points_award
from qr import tokens
from volunteers.exceptions import (
    AlreadyCheckedIn,
    InvalidActivityTimes,
    InvalidScan,
    NotCheckedIn,
    NotHost,
    NotReviewable,
)
from volunteers.models import Activity, Place, VolunteerCard

# --- Posters and cards --------------------------------------------------------------


def place_token(place: Place) -> str:
    return tokens.make("place", place.pk, place.qr_version)


def card_for(user: User) -> VolunteerCard:
    card, _ = VolunteerCard.objects.get_or_create(user=user)
    return card


def card_token(card: VolunteerCard) -> str:
    return tokens.make("card", card.user_id, card.version)


@transaction.atomic
def place_reprint(*, place: Place) -> Place:
    """Revoke every printed poster of ``place``; print the new one after this."""
    Place.objects.filter(pk=place.pk).update(qr_version=F("qr_version") + 1)
    place.refresh_from_db(fields=["qr_version"])
    return place


@transaction.atomic
def card_reissue(*, user: User) -> VolunteerCard:
    """Revoke the volunteer's old card (lost, damaged) and return the new one."""
    card = card_for(user)
    VolunteerCard.objects.filter(pk=card.pk).update(
        version=F("version") + 1, issued_at=timezone.now()
    )
    card.refresh_from_db()
    return card


@dataclass(frozen=True)
class ScanTarget:
    """What a scanned token points at: a place's poster or a volunteer's card."""

    place: Place | None = None
    volunteer: User | None = None


def scan_resolve(token: str) -> ScanTarget:
    """Check a scanned token and return what it points at.

    Raises :class:`InvalidScan` with reason ``voucher`` (a shop voucher's code),
    ``tampered``, ``revoked`` (an old print), ``unknown`` or ``inactive``.
    """
    try:
        codes.normalize(token)
    except ValueError:
        pass
    else:
        raise InvalidScan("voucher")
    try:
        found = tokens.identify(token)
    except tokens.BadToken as error:
        raise InvalidScan(error.reason) from error
    if found.purpose == "place":
        place = Place.objects.select_related("earning_rule").filter(pk=found.object_id).first()
        if place is None:
            raise InvalidScan("unknown")
        if found.version != place.qr_version:
            raise InvalidScan("revoked")
        if not place.active:
            raise InvalidScan("inactive")
        return ScanTarget(place=place)
    card = VolunteerCard.objects.select_related("user").filter(user_id=found.object_id).first()
    if card is None:
        raise InvalidScan("unknown")
    if found.version != card.version:
        raise InvalidScan("revoked")
    return ScanTarget(volunteer=card.user)


# --- Check-in and check-out ---------------------------------------------------------


#: A check-out scanned again within this time is a replay, answered with the same result.
REPLAY_WINDOW = dt.timedelta(minutes=10)


def open_activity(volunteer: User) -> Activity | None:
    return Activity.objects.filter(volunteer=volunteer, status=Activity.Status.OPEN).first()


def _open_and_recently_closed(
    volunteer: User, place: Place
) -> tuple[Activity | None, Activity | None]:
    """The open activity anywhere and the activity at ``place`` that ended within
    :data:`REPLAY_WINDOW`, in one query (what a scan needs to decide)."""
    rows = list(
        Activity.objects.filter(volunteer=volunteer)
        .filter(
            Q(status=Activity.Status.OPEN)
            | Q(place=place, ended_at__gte=timezone.now() - REPLAY_WINDOW, auto_closed=False)
        )
        .order_by(F("ended_at").desc(nulls_first=True))
    )
    current = next((a for a in rows if a.status == Activity.Status.OPEN), None)
    just_closed = next((a for a in rows if a.status != Activity.Status.OPEN), None)
    return current, just_closed


def activity_check_in(
    *,
    volunteer: User,
    place: Place,
    method: str,
    recorded_by: User,
    at: dt.datetime | None = None,
) -> Activity:
    """Open an activity. One open activity per volunteer (a database constraint):
    a second check-in anywhere raises :class:`AlreadyCheckedIn`, also under races."""
    try:
        with savepoint_if_nested():  # one INSERT: no BEGIN/COMMIT round trips needed
            return Activity.objects.create(
                volunteer=volunteer,
                place=place,
                method=method,
                recorded_by=recorded_by,
                started_at=at or timezone.now(),
            )
    except IntegrityError as exc:
        raise AlreadyCheckedIn(place=str(open_activity(volunteer).place)) from exc


def activity_check_out(*, volunteer: User, place: Place, at: dt.datetime | None = None) -> Activity:
    """Close the volunteer's open activity at ``place`` and credit it.

    Exactly once: the activity row is locked, and a check-out that arrives after
    another has closed it returns the closed activity unchanged.
    Raises :class:`NotCheckedIn` when there is nothing to close here.
    """
    with transaction.atomic():
        activity = (
            Activity.objects.select_for_update()
            .filter(volunteer=volunteer, place=place)
            .order_by("-started_at")
            .first()
        )
        if activity is None:
            raise NotCheckedIn()
        # The same rows the caller holds (the filter matched them): no lazy loads later.
        activity.place, activity.volunteer = place, volunteer
        if activity.recorded_by_id == volunteer.pk:
            activity.recorded_by = volunteer
        if activity.status != Activity.Status.OPEN:
            if activity.ended_at and (at or timezone.now()) - activity.ended_at < REPLAY_WINDOW:
                return activity  # the same check-out again (double tap, retry)
            raise NotCheckedIn()
        activity.ended_at = max(at or timezone.now(), activity.started_at)
        _settle(activity)
        return activity


def _review_reason(activity: Activity) -> str:
    if activity.duration_minutes > activity.place.max_minutes:
        return "too_long"
    overlapping = (
        Activity.objects.filter(
            volunteer_id=activity.volunteer_id,
            started_at__lt=activity.ended_at,
            ended_at__gt=activity.started_at,
        )
        .exclude(pk=activity.pk)
        .exclude(status=Activity.Status.REJECTED)
    )
    if overlapping.exists():
        return "overlap"
    return ""


def _settle(activity: Activity, *, review_reason: str = "") -> None:
    """Save a closed activity and credit it, or queue it for review."""
    reason = review_reason or _review_reason(activity)
    if reason:
        activity.status = Activity.Status.REVIEW
        activity.review_reason = reason
        activity.save()
        return
    _credit(activity)


def _credit(activity: Activity) -> None:
    try:
        activity.transaction = points_award(
            user=activity.volunteer,
            rule=activity.place.earning_rule,
            activity_date=timezone.localtime(activity.started_at).date(),
            duration_minutes=activity.duration_minutes,
            idempotency_key=f"activity:{activity.pk}",
            actor=activity.recorded_by,
            reference=f"activity:{activity.pk}",
        )
        activity.status = Activity.Status.CREDITED
    except RuleNotApplicable as error:
        activity.status = Activity.Status.NO_POINTS
        activity.review_reason = error.details.get("reason", "")
    activity.save()


@transaction.atomic
def activity_record(
    *,
    volunteer: User,
    place: Place,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    recorded_by: User,
) -> Activity:
    """A coordinator enters an activity from a paper sign-in sheet (actor recorded).
    Raises :class:`NotPermitted` or :class:`InvalidActivityTimes`."""
    if not recorded_by.acts_as(Role.COORDINATOR):
        raise NotPermitted()
    if ended_at <= started_at or ended_at > timezone.now():
        raise InvalidActivityTimes(field="ended_at")
    activity = Activity.objects.create(
        volunteer=volunteer,
        place=place,
        method=Activity.Method.COORDINATOR,
        recorded_by=recorded_by,
        started_at=started_at,
        ended_at=ended_at,
        status=Activity.Status.REVIEW,  # not open: never blocks a live check-in
    )
    _settle(activity)
    return activity


def scan_toggle(*, token: str, user: User, place: Place | None = None) -> tuple[str, Activity]:
    """What a scan does: check in, or check out if already in here.

    A place poster scanned by a volunteer acts for that volunteer; a volunteer card
    scanned by host staff acts for the card's owner at the staff's place (``place``
    chooses when the staff hosts several). Returns ("check_in" | "check_out", activity).
    Raises :class:`InvalidScan`, :class:`NotHost`, :class:`AlreadyCheckedIn`.
    """
    target = scan_resolve(token)
    if target.place is not None:
        volunteer, where, method = user, target.place, Activity.Method.SELF
    else:
        hosted = Place.objects.filter(hosts=user, active=True)
        where = hosted.filter(pk=place.pk).first() if place else None
        if where is None:
            where = hosted.first() if hosted.count() == 1 else None
        if where is None:
            raise NotHost(field="place")
        volunteer, method = target.volunteer, Activity.Method.STAFF
    current, just_closed = _open_and_recently_closed(volunteer, where)
    if current is not None and current.place_id == where.pk:
        return "check_out", activity_check_out(volunteer=volunteer, place=where)
    if current is None and just_closed is not None:  # a replayed check-out scan
        return "check_out", just_closed
    return "check_in", activity_check_in(
        volunteer=volunteer, place=where, method=method, recorded_by=user
    )


# --- Review -------------------------------------------------------------------------


def activities_close_forgotten(*, now: dt.datetime | None = None) -> int:
    """Close check-ins left open past their place's closing time (at that time) and
    flag them for review. Idempotent: closed activities are not open any more."""
    now = now or timezone.now()
    closed = 0
    for pk in Activity.objects.filter(status=Activity.Status.OPEN).values_list("pk", flat=True):
        with transaction.atomic():
            activity = Activity.objects.select_for_update().select_related("place").get(pk=pk)
            if activity.status != Activity.Status.OPEN:
                continue
            day = timezone.localtime(activity.started_at).date()
            closing = timezone.make_aware(dt.datetime.combine(day, activity.place.closes_at))
            if closing <= activity.started_at:
                closing = activity.started_at
            if now < closing:
                continue
            activity.ended_at = closing
            activity.auto_closed = True
            _settle(activity, review_reason="forgotten_checkout")
            closed += 1
    return closed


def _reviewer_check(actor: User) -> None:
    if not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()


@transaction.atomic
def activity_approve(
    *, activity: Activity, actor: User, ended_at: dt.datetime | None = None
) -> Activity:
    """A coordinator accepts a reviewed activity (optionally correcting the end time)
    and it is credited. Raises :class:`NotReviewable`, :class:`NotPermitted`."""
    _reviewer_check(actor)
    activity = Activity.objects.select_for_update().select_related("place").get(pk=activity.pk)
    if activity.status != Activity.Status.REVIEW:
        raise NotReviewable()
    if ended_at is not None:
        if ended_at <= activity.started_at:
            raise InvalidActivityTimes(field="ended_at")
        activity.ended_at = ended_at
    activity.reviewed_by = actor
    _credit(activity)
    return activity


@transaction.atomic
def activity_reject(*, activity: Activity, actor: User, reason: str = "") -> Activity:
    _reviewer_check(actor)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status != Activity.Status.REVIEW:
        raise NotReviewable()
    activity.status = Activity.Status.REJECTED
    activity.reviewed_by = actor
    activity.review_reason = reason or activity.review_reason
    activity.save()
    return activity
