"""Writes for the activity log: check-in and check-out (by scan or by a
coordinator's paper entry), forgotten check-outs closed by rule, and the review of
flagged activities.

Every closed activity is credited through ``points.services.earning.points_award`` with the
activity as idempotency key, so a retried request, a replayed scan or a re-run task
never credits twice. The activity row is locked (``volunteers.locks``) before it
changes; the ledger then locks its accounts, always in that order.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Role, User
from core.db import savepoint_if_nested
from points.exceptions import RuleNotApplicable
from points.services.earning import points_award
from volunteers.exceptions import (
    AlreadyCheckedIn,
    InvalidActivityTimes,
    NotCheckedIn,
    NotHost,
    NotReviewable,
    NotVolunteer,
)
from volunteers.locks import activity_lock, activity_lock_latest
from volunteers.models import Activity, Place
from volunteers.rules import coordinator_check
from volunteers.selectors.activity import forgotten_after, open_activity
from volunteers.selectors.places import scan_resolve

#: A check-out scanned again within this time is a replay, answered with the same result.
REPLAY_WINDOW = dt.timedelta(minutes=10)

#: A scan at a place this soon after the volunteer's activity there was closed
#: automatically is taken as the check-out they forgot: they are told, once (and on a
#: replay within :data:`REPLAY_WINDOW`), and not checked in again. The next scan checks in.
CLOSURE_NOTICE_WINDOW = dt.timedelta(hours=12)


def _open_and_latest_closed(
    volunteer: User, place: Place, now: dt.datetime
) -> tuple[Activity | None, Activity | None]:
    """The open activity anywhere and the scanned activity at ``place`` that ended
    most recently within :data:`CLOSURE_NOTICE_WINDOW`, in one query (what a scan
    needs to decide). Paper entries are not scans, so they are left out."""
    rows = list(
        Activity.objects.filter(volunteer=volunteer)
        .filter(
            Q(status=Activity.Status.OPEN)
            | (
                Q(place=place, ended_at__gte=now - CLOSURE_NOTICE_WINDOW)
                & ~Q(method=Activity.Method.COORDINATOR)
            )
        )
        .order_by(F("ended_at").desc(nulls_first=True))
    )
    current = next((a for a in rows if a.status == Activity.Status.OPEN), None)
    latest_closed = next((a for a in rows if a.status != Activity.Status.OPEN), None)
    return current, latest_closed


def _check_volunteer(volunteer: User, *, by_card: bool) -> None:
    if not volunteer.acts_as(Role.VOLUNTEER):
        raise NotVolunteer("card" if by_card else "self")


def activity_check_in(
    *,
    volunteer: User,
    place: Place,
    method: str,
    recorded_by: User,
    at: dt.datetime | None = None,
) -> Activity:
    """Open an activity for a volunteer (only volunteers earn points).

    One open activity per volunteer (a database constraint): a second check-in
    anywhere raises :class:`AlreadyCheckedIn`, also under races. When the open activity
    that blocked the insert is closed before we can name it, the check-in is tried once
    more. Raises :class:`NotVolunteer`, :class:`AlreadyCheckedIn`.
    """
    _check_volunteer(volunteer, by_card=method == Activity.Method.STAFF)
    for _attempt in range(2):
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
            current = open_activity(volunteer)
            if current is not None:
                raise AlreadyCheckedIn(place=str(current.place)) from exc
            conflict = exc
    raise AlreadyCheckedIn() from conflict


def activity_check_out(*, volunteer: User, place: Place, at: dt.datetime | None = None) -> Activity:
    """Close the volunteer's open activity at ``place`` and credit it.

    Exactly once: the activity row is locked, and a check-out that arrives after
    another has closed it returns the closed activity unchanged.
    Raises :class:`NotCheckedIn` when there is nothing to close here.
    """
    with transaction.atomic():
        activity = activity_lock_latest(volunteer, place)
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
    coordinator_check(recorded_by)
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
    chooses when the staff hosts several). Only volunteers are checked in.

    Returns ("check_in" | "check_out" | "closed_for_review", activity):
    ``closed_for_review`` answers the first scan at a place after the volunteer's
    activity there was closed as a forgotten check-out (see
    :data:`CLOSURE_NOTICE_WINDOW`); nothing new is opened by that scan.
    Raises :class:`InvalidScan`, :class:`NotHost`, :class:`NotVolunteer`,
    :class:`AlreadyCheckedIn` (for host staff without naming the other place).
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
    _check_volunteer(volunteer, by_card=method == Activity.Method.STAFF)
    now = timezone.now()
    current, latest = _open_and_latest_closed(volunteer, where, now)
    if current is not None:
        if current.place_id == where.pk:
            return "check_out", activity_check_out(volunteer=volunteer, place=where)
        if method == Activity.Method.STAFF:
            raise AlreadyCheckedIn(AlreadyCheckedIn.elsewhere_message)
        raise AlreadyCheckedIn(place=str(current.place))
    if latest is not None and latest.auto_closed:
        noticed = latest.closure_noticed_at
        if noticed is None or now - noticed < REPLAY_WINDOW:
            if noticed is None:
                Activity.objects.filter(pk=latest.pk, closure_noticed_at__isnull=True).update(
                    closure_noticed_at=now
                )
                latest.closure_noticed_at = now
            return "closed_for_review", latest
    elif latest is not None and now - latest.ended_at < REPLAY_WINDOW:
        return "check_out", latest  # a replayed check-out scan
    return "check_in", activity_check_in(
        volunteer=volunteer, place=where, method=method, recorded_by=user
    )


def activities_close_forgotten(*, now: dt.datetime | None = None) -> int:
    """Close check-ins left open past :func:`forgotten_after` (at that time) and flag
    them for review. Idempotent: closed activities are not open any more."""
    now = now or timezone.now()
    closed = 0
    for pk in Activity.objects.filter(status=Activity.Status.OPEN).values_list("pk", flat=True):
        with transaction.atomic():
            activity = activity_lock(pk, with_place=True)
            if activity.status != Activity.Status.OPEN:
                continue
            ends = forgotten_after(activity)
            if now < ends:
                continue
            activity.ended_at = ends
            activity.auto_closed = True
            _settle(activity, review_reason="forgotten_checkout")
            closed += 1
    return closed


@transaction.atomic
def activity_approve(
    *, activity: Activity, actor: User, ended_at: dt.datetime | None = None
) -> Activity:
    """A coordinator accepts a reviewed activity (optionally correcting the end time)
    and it is credited. A corrected end must be after the check-in, not in the future
    and within the place's longest plausible activity.
    Raises :class:`NotReviewable`, :class:`NotPermitted`, :class:`InvalidActivityTimes`
    (field ``ended_at``)."""
    coordinator_check(actor)
    activity = activity_lock(activity.pk, with_place=True)
    if activity.status != Activity.Status.REVIEW:
        raise NotReviewable()
    if ended_at is not None:
        if ended_at <= activity.started_at or ended_at > timezone.now():
            raise InvalidActivityTimes(field="ended_at")
        longest = activity.place.max_minutes
        if ended_at - activity.started_at > dt.timedelta(minutes=longest):
            raise InvalidActivityTimes(
                InvalidActivityTimes.too_long_message % {"minutes": longest},
                field="ended_at",
                max_minutes=longest,
            )
        activity.ended_at = ended_at
    activity.reviewed_by = actor
    _credit(activity)
    return activity


@transaction.atomic
def activity_reject(*, activity: Activity, actor: User, reason: str = "") -> Activity:
    """A coordinator rejects a reviewed activity: it earns nothing, and ``reason``
    (when given) replaces the reason it was flagged for.
    Raises :class:`NotReviewable`, :class:`NotPermitted`."""
    coordinator_check(actor)
    activity = activity_lock(activity.pk)
    if activity.status != Activity.Status.REVIEW:
        raise NotReviewable()
    activity.status = Activity.Status.REJECTED
    activity.reviewed_by = actor
    activity.review_reason = reason or activity.review_reason
    activity.save()
    return activity
