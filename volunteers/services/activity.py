"""Writes for the activity log: check-in and check-out (by scan or by a
coordinator's paper entry), forgotten check-outs closed by rule, and the review of
flagged activities.

Presence before points: a self check-in (the volunteer's phone at the poster) is
credited only once presence is proven the way its place chose (``Place.presence``):
host staff confirm it (until then it waits as ``awaiting``, see
``volunteers.services.presence``), or the scan carries the code the place's kiosk shows
now, or host staff scan the volunteer's card (self check-in refused).

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
    BirthDateStillUnknown,
    InvalidActivityTimes,
    NotCheckedIn,
    NotHost,
    NotReevaluable,
    NotReviewable,
    NotVolunteer,
    TrainingStillMissing,
)
from volunteers.locks import activities_lock, activity_lock, activity_lock_latest
from volunteers.models import Activity, Place
from volunteers.rules import coordinator_check
from volunteers.selectors.activity import (
    REEVALUABLE_REASONS,
    awaiting_confirmation,
    awaiting_expired,
    forgotten_after,
    open_activity,
)
from volunteers.selectors.places import scan_resolve
from volunteers.selectors.training import (
    TRAINING_REASON,
    training_attended,
    training_requirement_met,
)
from volunteers.services.presence import presence_check

#: A check-out scanned again within this time is a replay, answered with the same result.
REPLAY_WINDOW = dt.timedelta(minutes=10)

#: A check-in scanned again this soon (a double tap, a retried request) answers like the
#: first (the same open activity, "check_in"); it never checks out. Leaving within it
#: means waiting: an activity that short earns nothing anyway.
CHECK_IN_REPEAT_WINDOW = dt.timedelta(minutes=2)

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


def _awaits_host(activity: Activity) -> bool:
    return (
        activity.method == Activity.Method.SELF
        and activity.place.presence == Place.Presence.HOST
        and activity.presence_confirmed_at is None
    )


def _settle(activity: Activity, *, review_reason: str = "") -> None:
    """Save a closed activity and credit it, or queue it for review, or (a self
    check-in at a place whose hosts confirm presence, not yet confirmed) let it wait
    for the host."""
    reason = review_reason or _review_reason(activity)
    if reason:
        activity.status = Activity.Status.REVIEW
        activity.review_reason = reason
        activity.save()
        return
    if _awaits_host(activity):
        activity.status = Activity.Status.AWAITING
        activity.save()
        return
    _credit(activity)


def _credit(activity: Activity) -> None:
    """Ask the ledger for the credit, or record why there is none. A rule that
    requires training is checked here, before the ledger is asked (the ledger knows
    nothing of training): without an attended session the activity earns nothing yet
    (``training_required``), and a coordinator can credit it after the training
    (:func:`activity_reevaluate`)."""
    rule = activity.place.earning_rule
    if not training_requirement_met(activity.volunteer, rule):
        activity.status = Activity.Status.NO_POINTS
        activity.review_reason = TRAINING_REASON
        activity.save()
        return
    try:
        activity.transaction = points_award(
            user=activity.volunteer,
            rule=rule,
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


def scan_toggle(
    *, token: str, user: User, place: Place | None = None, kiosk_code: str = ""
) -> tuple[str, Activity]:
    """What a scan does: check in, or check out if already in here.

    A self scan first proves presence as its place requires (``kiosk_code``: the code
    the place's kiosk shows now). A check-in scanned again within
    :data:`CHECK_IN_REPEAT_WINDOW` answers ("check_in", the same activity), also when
    the scans race: it never checks out.

    A place poster scanned by a volunteer acts for that volunteer; a volunteer card
    scanned by host staff acts for the card's owner at the staff's place (``place``
    chooses when the staff hosts several). Only volunteers are checked in.

    Returns ("check_in" | "check_out" | "closed_for_review", activity):
    ``closed_for_review`` answers the first scan at a place after the volunteer's
    activity there was closed as a forgotten check-out (see
    :data:`CLOSURE_NOTICE_WINDOW`); nothing new is opened by that scan.
    Raises :class:`InvalidScan`, :class:`NotHost`, :class:`NotVolunteer`,
    :class:`AlreadyCheckedIn` (for host staff without naming the other place),
    :class:`SelfCheckInClosed`, :class:`InvalidKioskCode`.
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
    if method == Activity.Method.SELF:
        presence_check(place=where, user=user, kiosk_code=kiosk_code)
    now = timezone.now()
    current, latest = _open_and_latest_closed(volunteer, where, now)
    if current is not None:
        if current.place_id == where.pk:
            if now - current.started_at < CHECK_IN_REPEAT_WINDOW:
                return "check_in", current  # the same check-in again
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
    return "check_in", _check_in_once(volunteer=volunteer, place=where, method=method, user=user)


def _check_in_once(*, volunteer: User, place: Place, method: str, user: User) -> Activity:
    """Check in; when a parallel scan of the same check-in won the race, answer with
    its activity (the same check-in), never a second one or a conflict."""
    try:
        return activity_check_in(volunteer=volunteer, place=place, method=method, recorded_by=user)
    except AlreadyCheckedIn:
        current = open_activity(volunteer)
        if (
            current is not None
            and current.place_id == place.pk
            and timezone.now() - current.started_at < CHECK_IN_REPEAT_WINDOW
        ):
            return current
        raise


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


#: A self check-in awaiting its host's confirmation this long after check-out goes to
#: the coordinators' review queue (reason ``unconfirmed``; beat job, hourly).
CONFIRMATION_WAIT = dt.timedelta(hours=24)


@transaction.atomic
def activities_confirm(
    *, place: Place, host: User, activity_ids: list[int] | None = None
) -> list[Activity]:
    """Host staff of ``place`` confirm that volunteers were there: the chosen self
    check-ins awaiting confirmation (all of them when ``activity_ids`` is None).

    A closed one is credited now (exactly once: the activity row is locked and the
    credit's idempotency key is the activity), or queued for review as any activity
    would be; an open one is credited at its check-out. Check-ins already confirmed,
    expired or of another place are left alone, so confirming twice changes nothing.
    Returns the activities confirmed by this call. Raises :class:`NotHost`.
    """
    if not place.hosts.filter(pk=host.pk).exists():
        raise NotHost(NotHost.confirm_message)
    pending = awaiting_confirmation(place)
    if activity_ids is not None:
        pending = pending.filter(pk__in=activity_ids)
    confirmed = []
    now = timezone.now()
    for activity in activities_lock(list(pending.values_list("pk", flat=True))):
        if activity.presence_confirmed_at is not None or activity.status not in (
            Activity.Status.OPEN,
            Activity.Status.AWAITING,
        ):
            continue  # confirmed or closed meanwhile
        activity.presence_confirmed_by, activity.presence_confirmed_at = host, now
        if activity.status == Activity.Status.AWAITING:
            _settle(activity)
        else:
            activity.save(update_fields=["presence_confirmed_by", "presence_confirmed_at"])
        confirmed.append(activity)
    return confirmed


def activities_expire_unconfirmed(*, now: dt.datetime | None = None) -> int:
    """Pass self check-ins no host confirmed within :data:`CONFIRMATION_WAIT` of their
    check-out to the coordinators' review queue. Idempotent."""
    now = now or timezone.now()
    expired = 0
    for pk in list(awaiting_expired(now, CONFIRMATION_WAIT).values_list("pk", flat=True)):
        with transaction.atomic():
            activity = activity_lock(pk)
            if activity.status != Activity.Status.AWAITING:
                continue
            activity.status = Activity.Status.REVIEW
            activity.review_reason = "unconfirmed"
            activity.save(update_fields=["status", "review_reason"])
            expired += 1
    return expired


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
def activity_reevaluate(*, activity: Activity, actor: User) -> Activity:
    """A coordinator applies the earning rule again to an activity that earned nothing
    because the volunteer's birth date was unknown, now that it is recorded, or
    because the rule requires training, now that they attended one: with the
    age on the activity's day, within the daily and yearly limits of that day exactly
    as at check-out (``points_award``). It ends credited, or ``no_points`` with the new
    reason (e.g. ``under_age``).

    Exactly once: the activity row is locked and must still be waiting, and the credit
    keeps the activity's idempotency key, so a double POST or a retry after crediting
    adds nothing. Raises :class:`NotPermitted`, :class:`NotReevaluable`,
    :class:`BirthDateStillUnknown`, :class:`TrainingStillMissing`.
    """
    coordinator_check(actor)
    activity = activity_lock(activity.pk, with_place=True)
    reason = activity.review_reason
    if activity.status != Activity.Status.NO_POINTS or reason not in REEVALUABLE_REASONS:
        raise NotReevaluable()
    if reason == TRAINING_REASON:
        if not training_attended(activity.volunteer):
            raise TrainingStillMissing()
    elif activity.volunteer.birth_date is None:
        raise BirthDateStillUnknown()
    activity.reviewed_by = actor
    activity.review_reason = ""
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
