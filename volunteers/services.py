"""Writes for places, cards and the activity log.

Every check-out credits points through ``points.services.points_award`` with the
activity as idempotency key, so a retried request, a replayed scan or a re-run task
never credits twice. Activity rows are locked (``SELECT … FOR UPDATE``) before they
change; the ledger then locks its accounts, always in that order.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import District, Role, User
from core.db import savepoint_if_nested
from core.errors import DomainError, NotPermitted
from points import codes
from points.exceptions import RuleNotApplicable
from points.services import points_award
from qr import tokens
from volunteers.exceptions import (
    AlreadyCheckedIn,
    InvalidActivityTimes,
    InvalidAmount,
    InvalidScan,
    InvalidTransition,
    InvalidWindow,
    NotCheckedIn,
    NothingToOffer,
    NotHost,
    NotReviewable,
    NotVolunteer,
    OfferClosed,
    OfferTaken,
    OutsideServiceHours,
    VolunteerBusy,
    VolunteerUnavailable,
)
from volunteers.models import (
    Activity,
    Assignment,
    AvailabilityException,
    HelpCategory,
    HelpRequest,
    MatchingSlot,
    Offer,
    Place,
    Resident,
    ResidentAccessLog,
    StandingRequest,
    StandingRequestSkip,
    VolunteerCard,
    VolunteerProfile,
    WeeklyAvailability,
)

logger = logging.getLogger(__name__)

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
def card_reissue(*, user: User, actor: User) -> VolunteerCard:
    """Revoke the volunteer's old card (lost, damaged) and return the new one; from
    then on only the new card's code is accepted. Coordinators only.
    Raises :class:`NotPermitted`, :class:`NotVolunteer`."""
    if not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()
    if not user.acts_as(Role.VOLUNTEER):
        raise NotVolunteer("card")
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

#: A scan at a place this soon after the volunteer's activity there was closed
#: automatically is taken as the check-out they forgot: they are told, once (and on a
#: replay within :data:`REPLAY_WINDOW`), and not checked in again. The next scan checks in.
CLOSURE_NOTICE_WINDOW = dt.timedelta(hours=12)


def open_activity(volunteer: User) -> Activity | None:
    return (
        Activity.objects.select_related("place")
        .filter(volunteer=volunteer, status=Activity.Status.OPEN)
        .first()
    )


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


# --- Review -------------------------------------------------------------------------


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


def activities_close_forgotten(*, now: dt.datetime | None = None) -> int:
    """Close check-ins left open past :func:`forgotten_after` (at that time) and flag
    them for review. Idempotent: closed activities are not open any more."""
    now = now or timezone.now()
    closed = 0
    for pk in Activity.objects.filter(status=Activity.Status.OPEN).values_list("pk", flat=True):
        with transaction.atomic():
            activity = Activity.objects.select_for_update().select_related("place").get(pk=pk)
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


def _reviewer_check(actor: User) -> None:
    if not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()


@transaction.atomic
def activity_approve(
    *, activity: Activity, actor: User, ended_at: dt.datetime | None = None
) -> Activity:
    """A coordinator accepts a reviewed activity (optionally correcting the end time)
    and it is credited. A corrected end must be after the check-in, not in the future
    and within the place's longest plausible activity.
    Raises :class:`NotReviewable`, :class:`NotPermitted`, :class:`InvalidActivityTimes`
    (field ``ended_at``)."""
    _reviewer_check(actor)
    activity = Activity.objects.select_for_update().select_related("place").get(pk=activity.pk)
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
    _reviewer_check(actor)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status != Activity.Status.REVIEW:
        raise NotReviewable()
    activity.status = Activity.Status.REJECTED
    activity.reviewed_by = actor
    activity.review_reason = reason or activity.review_reason
    activity.save()
    return activity


# --- The mutual-aid centre: requests, offers, assignments ---------------------------
#
# The request's status is the lifecycle; the assignment mirrors it once there is one.
# Every step below names the states it may start from (TRANSITIONS) and re-reads the
# request under a row lock before checking, so two clicks or two volunteers can never
# both succeed. Locks are taken volunteer profile first, then the request.

S = HelpRequest.Status
A = Assignment.Status

#: step → (allowed predecessor states of the request, resulting state)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "offer": (frozenset({S.REQUESTED, S.OFFERED}), S.OFFERED),
    "assign": (frozenset({S.REQUESTED, S.OFFERED}), S.ASSIGNED),
    "start": (frozenset({S.ASSIGNED}), S.IN_PROGRESS),
    "finish": (frozenset({S.IN_PROGRESS}), S.DONE),
    "confirm": (frozenset({S.DONE}), S.CONFIRMED),
    "cancel": (frozenset({S.REQUESTED, S.OFFERED, S.ASSIGNED}), S.CANCELLED),
    "no_show": (frozenset({S.ASSIGNED}), S.NO_SHOW),
}


def _after_commit(task_name: str, *args) -> None:
    """Queue a notification task once the surrounding transaction has committed."""

    def send():
        from volunteers import tasks

        getattr(tasks, task_name).delay(*args)

    transaction.on_commit(send)


def _step(help_request: HelpRequest, step: str) -> str:
    """Check ``step`` is allowed from the request's current state; return the next one."""
    allowed, target = TRANSITIONS[step]
    if help_request.status not in allowed:
        raise InvalidTransition(step=step, status=help_request.status)
    return target


def _lock_request(help_request: HelpRequest) -> HelpRequest:
    return (
        HelpRequest.objects.select_for_update(of=("self",))
        .select_related("category", "resident")
        .get(pk=help_request.pk)
    )


def _coordinator_check(actor: User) -> None:
    if not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()


def _local_window(starts_at: dt.datetime, ends_at: dt.datetime):
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    return start.date(), start.time(), end.date(), end.time()


@transaction.atomic
def request_receive(
    *,
    actor: User,
    resident: Resident,
    category: HelpCategory,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    channel: str = HelpRequest.Channel.PHONE,
    place: str = "",
    notes: str = "",
    standing: StandingRequest | None = None,
) -> HelpRequest:
    """Record a request taken by a coordinator (phone, visit, online).

    Raises :class:`InvalidWindow` (end not after start, or over midnight),
    :class:`OutsideServiceHours` (outside the category's hours), :class:`NotPermitted`.
    """
    _coordinator_check(actor)
    _check_window(category, starts_at, ends_at)
    return HelpRequest.objects.create(
        resident=resident,
        category=category,
        district_id=resident.district_id,
        starts_at=starts_at,
        ends_at=ends_at,
        channel=channel,
        place=place,
        notes=notes,
        standing=standing,
        received_by=actor,
    )


def _check_window(category: HelpCategory, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidWindow(field="ends_at")
    first_day, start, last_day, end = _local_window(starts_at, ends_at)
    if first_day != last_day:
        raise InvalidWindow(field="ends_at")
    if start < category.service_starts or end > category.service_ends:
        raise OutsideServiceHours(
            field="starts_at",
            starts=category.service_starts.strftime("%H:%M"),
            ends=category.service_ends.strftime("%H:%M"),
        )


@transaction.atomic
def request_offer(*, help_request: HelpRequest, volunteers: list[User], actor: User) -> list[Offer]:
    """Offer the request to one or several volunteers; each is told (after commit).

    Offering again to someone already asked does nothing for them. Only people with
    a volunteer profile can be offered help to do: anyone else among ``volunteers``
    refuses the whole offer (nothing is sent). Allowed from *requested* and
    *offered*. Raises :class:`InvalidTransition`, :class:`NothingToOffer`,
    :class:`VolunteerUnavailable`, :class:`NotPermitted`.
    """
    _coordinator_check(actor)
    if not volunteers:
        raise NothingToOffer(field="volunteers")
    with_profile = set(
        VolunteerProfile.objects.filter(user__in=volunteers).values_list("user_id", flat=True)
    )
    if any(v.pk not in with_profile for v in volunteers):
        raise VolunteerUnavailable(field="volunteers")
    help_request = _lock_request(help_request)
    help_request.status = _step(help_request, "offer")
    help_request.save(update_fields=["status"])
    asked = set(Offer.objects.filter(request=help_request).values_list("volunteer_id", flat=True))
    offers = Offer.objects.bulk_create(
        [Offer(request=help_request, volunteer=v) for v in volunteers if v.pk not in asked]
    )
    for offer in offers:
        _after_commit("notify_offer", offer.pk)
    return offers


def _eligible_profile(volunteer: User, help_request: HelpRequest) -> VolunteerProfile:
    """Lock the volunteer's profile and check they can take the request now.
    Raises :class:`VolunteerUnavailable` or :class:`VolunteerBusy`."""
    profile = VolunteerProfile.objects.select_for_update().filter(user=volunteer).first()
    day = timezone.localtime(help_request.starts_at).date()
    if (
        profile is None
        or not profile.active
        or not volunteer.is_active
        or profile.insurance_valid_until is None
        or profile.insurance_valid_until < day
    ):
        raise VolunteerUnavailable()
    busy = Assignment.objects.filter(
        volunteer=volunteer,
        status__in=Assignment.LIVE,
        starts_at__lt=help_request.ends_at,
        ends_at__gt=help_request.starts_at,
    ).exclude(request=help_request)
    if busy.exists():
        raise VolunteerBusy()
    return profile


def _assign(help_request: HelpRequest, volunteer: User, actor: User) -> Assignment:
    """Create the assignment (the request is locked by the caller), close the other
    offers and tell their volunteers it is taken."""
    help_request.status = _step(help_request, "assign")
    help_request.save(update_fields=["status"])
    assignment = Assignment.objects.create(
        request=help_request,
        volunteer=volunteer,
        starts_at=help_request.starts_at,
        ends_at=help_request.ends_at,
        assigned_by=actor,
    )
    now = timezone.now()
    Offer.objects.filter(request=help_request, volunteer=volunteer).update(
        status=Offer.Status.ACCEPTED, answered_at=now
    )
    others = list(
        Offer.objects.filter(request=help_request, status=Offer.Status.OPEN).values_list(
            "pk", flat=True
        )
    )
    Offer.objects.filter(pk__in=others).update(status=Offer.Status.TAKEN)
    for pk in others:
        _after_commit("notify_offer_taken", pk)
    _after_commit("notify_assigned", assignment.pk)
    return assignment


@transaction.atomic
def offer_accept(*, offer: Offer, volunteer: User) -> Assignment:
    """The volunteer takes the offered request. Exactly once: the first acceptance
    wins (the request row is locked and an assignment is unique per request); later
    ones raise :class:`OfferTaken`.

    Raises :class:`NotPermitted` (not their offer), :class:`OfferClosed` (declined or
    withdrawn), :class:`OfferTaken`, :class:`VolunteerBusy`, :class:`VolunteerUnavailable`.
    """
    if offer.volunteer_id != volunteer.pk:
        raise NotPermitted()
    list(VolunteerProfile.objects.select_for_update().filter(user=volunteer))  # lock order
    help_request = _lock_request(HelpRequest(pk=offer.request_id))
    # Read after the request lock: a winner's changes to the offers are visible now.
    offer = Offer.objects.get(pk=offer.pk)
    if offer.status == Offer.Status.ACCEPTED:
        return Assignment.objects.get(request=help_request)  # a repeated tap
    if offer.status == Offer.Status.TAKEN:
        raise OfferTaken()
    if offer.status != Offer.Status.OPEN:
        raise OfferClosed()
    if help_request.status not in TRANSITIONS["assign"][0]:
        if Assignment.objects.filter(request=help_request).exists():
            raise OfferTaken()
        raise OfferClosed()
    _eligible_profile(volunteer, help_request)
    return _assign(help_request, volunteer, volunteer)


@transaction.atomic
def offer_decline(*, offer: Offer, volunteer: User) -> Offer:
    """The volunteer says no. Raises :class:`NotPermitted`, :class:`OfferClosed`."""
    if offer.volunteer_id != volunteer.pk:
        raise NotPermitted()
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.status != Offer.Status.OPEN:
        raise OfferClosed()
    offer.status = Offer.Status.DECLINED
    offer.answered_at = timezone.now()
    offer.save(update_fields=["status", "answered_at"])
    return offer


@transaction.atomic
def request_assign(*, help_request: HelpRequest, volunteer: User, actor: User) -> Assignment:
    """A coordinator assigns a volunteer directly (e.g. after a phone call); open
    offers to others are closed and they are told. Allowed from *requested* and
    *offered*. Raises :class:`InvalidTransition`, :class:`VolunteerBusy`,
    :class:`VolunteerUnavailable`, :class:`NotPermitted`.
    """
    _coordinator_check(actor)
    list(VolunteerProfile.objects.select_for_update().filter(user=volunteer))
    help_request = _lock_request(help_request)
    _step(help_request, "assign")
    _eligible_profile(volunteer, help_request)
    return _assign(help_request, volunteer, actor)


def _lock_assignment(assignment: Assignment) -> tuple[Assignment, HelpRequest]:
    help_request = _lock_request(HelpRequest(pk=assignment.request_id))
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("volunteer")
        .get(pk=assignment.pk)
    )
    assignment.request = help_request
    return assignment, help_request


def _volunteer_or_coordinator(assignment: Assignment, actor: User) -> None:
    if assignment.volunteer_id != actor.pk and not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()


def _move(assignment: Assignment, help_request: HelpRequest, step: str, **fields) -> None:
    help_request.status = _step(help_request, step)
    help_request.save(update_fields=["status"])
    assignment.status = help_request.status
    for name, value in fields.items():
        setattr(assignment, name, value)
    assignment.save(update_fields=["status", *fields])


@transaction.atomic
def assignment_start(
    *, assignment: Assignment, actor: User, at: dt.datetime | None = None
) -> Assignment:
    """The volunteer (or a coordinator for them) starts the task: assigned → in
    progress. Raises :class:`InvalidTransition`, :class:`NotPermitted`."""
    assignment, help_request = _lock_assignment(assignment)
    _volunteer_or_coordinator(assignment, actor)
    _move(assignment, help_request, "start", started_at=at or timezone.now())
    return assignment


@transaction.atomic
def assignment_finish(
    *, assignment: Assignment, actor: User, at: dt.datetime | None = None
) -> Assignment:
    """The task is done: in progress → done (waiting for the coordinator's
    confirmation). Raises :class:`InvalidTransition`, :class:`NotPermitted`."""
    assignment, help_request = _lock_assignment(assignment)
    _volunteer_or_coordinator(assignment, actor)
    finished = max(at or timezone.now(), assignment.started_at)
    _move(assignment, help_request, "finish", finished_at=finished)
    return assignment


@transaction.atomic
def assignment_confirm(
    *,
    assignment: Assignment,
    actor: User,
    cash_received_yen: int,
    minutes: int | None = None,
) -> Assignment:
    """A coordinator confirms done work: done → confirmed.

    The fee is computed from ``minutes`` (default: the time between start and finish
    within the category's service hours) under the category's fee rule (every
    started unit counts), and the cash the volunteer received is recorded. When the
    category has a points rule, points are awarded through the ledger with the
    idempotency key ``assignment:<id>`` (so a retry never credits twice); a rule
    that does not apply records no points.
    Raises :class:`InvalidTransition`, :class:`InvalidAmount`, :class:`NotPermitted`.
    """
    _coordinator_check(actor)
    if cash_received_yen < 0 or (minutes is not None and minutes < 0):
        raise InvalidAmount(field="minutes" if minutes is not None and minutes < 0 else "cash")
    assignment, help_request = _lock_assignment(assignment)
    category = help_request.category
    if minutes is None:
        minutes = category.billable_minutes(assignment.started_at, assignment.finished_at)
    _move(
        assignment,
        help_request,
        "confirm",
        minutes=minutes,
        fee_yen=category.fee_for(minutes),
        cash_received_yen=cash_received_yen,
        confirmed_by=actor,
        confirmed_at=timezone.now(),
    )
    if category.earning_rule_id is not None:
        try:
            assignment.transaction = points_award(
                user=assignment.volunteer,
                rule=category.earning_rule,
                activity_date=timezone.localtime(assignment.started_at).date(),
                duration_minutes=minutes,
                idempotency_key=f"assignment:{assignment.pk}",
                actor=actor,
                reference=f"assignment:{assignment.pk}",
            )
            assignment.save(update_fields=["transaction"])
        except RuleNotApplicable:
            pass  # e.g. under the rule's minimum age: confirmed, without points
    return assignment


@transaction.atomic
def request_cancel(*, help_request: HelpRequest, actor: User, reason: str = "") -> HelpRequest:
    """Cancel a request before the work starts; open offers are withdrawn and everyone
    who held one, and an assigned volunteer, is told (after commit).
    Raises :class:`InvalidTransition`, :class:`NotPermitted`."""
    _coordinator_check(actor)
    help_request = _lock_request(help_request)
    help_request.status = _step(help_request, "cancel")
    help_request.cancel_reason = reason
    help_request.save(update_fields=["status", "cancel_reason"])
    open_offers = Offer.objects.filter(request=help_request, status=Offer.Status.OPEN)
    withdrawn = list(open_offers.values_list("pk", flat=True))
    open_offers.update(status=Offer.Status.WITHDRAWN)
    for offer_id in withdrawn:
        _after_commit("notify_offer_withdrawn", offer_id)
    assignment = Assignment.objects.filter(request=help_request).first()
    if assignment is not None:
        assignment.status = A.CANCELLED
        assignment.save(update_fields=["status"])
        _after_commit("notify_cancelled", assignment.pk)
    return help_request


@transaction.atomic
def assignment_no_show(*, assignment: Assignment, actor: User) -> Assignment:
    """The volunteer did not come: assigned → no-show (the resident's details are
    hidden from them again). Raises :class:`InvalidTransition`, :class:`NotPermitted`."""
    _coordinator_check(actor)
    assignment, help_request = _lock_assignment(assignment)
    _move(assignment, help_request, "no_show")
    return assignment


def assignment_reminder_claim(*, assignment_id: int, at: dt.datetime) -> bool:
    """Mark the day-before reminder of an assignment as sent. True only for the one
    caller that claims it (a single conditional UPDATE), so a re-run or a second
    worker never reminds twice."""
    return bool(
        Assignment.objects.filter(pk=assignment_id, reminded_at__isnull=True).update(reminded_at=at)
    )


def resident_details_open(*, assignment: Assignment, user: User, via: str) -> Resident:
    """The resident's personal details for the volunteer of a live assignment; every
    look is logged. Coordinators see them without a log entry (it is their work).
    Raises :class:`NotPermitted` for anyone else, and once the assignment has ended."""
    if user.acts_as(Role.COORDINATOR):
        return assignment.request.resident
    if assignment.volunteer_id != user.pk or assignment.status not in Assignment.LIVE:
        raise NotPermitted()
    resident = assignment.request.resident
    ResidentAccessLog.objects.create(resident=resident, user=user, assignment=assignment, via=via)
    return resident


# --- Standing requests --------------------------------------------------------------


def standing_requests_generate(*, today: dt.date | None = None, days: int = 14) -> int:
    """Create the requests of every active standing request for the next ``days``
    days, skipping the dates coordinators marked. Returns how many were created.

    Idempotent per (standing request, Tokyo date): a date that already has a request
    of this standing request, in any state (a cancelled one included), is never
    generated again, whatever the time it was generated for. When a coordinator has
    changed the time (or the length) since, the future requests still *requested*
    (nobody asked yet) are moved to the new time; those already offered or assigned
    keep the time the volunteers were told, for the coordinator to settle. The
    standing request's row is locked, so concurrent runs never both create a date
    (and a unique constraint on (standing, start) backs the same time)."""
    today = today or timezone.localdate()
    created = 0
    standing_list = (
        StandingRequest.objects.filter(active=True, first_date__lte=today + dt.timedelta(days))
        .exclude(last_date__lt=today)
        .select_related("resident", "category")
    )
    for standing in standing_list:
        with transaction.atomic():
            # Locked as standing_skip_add locks it: a date skipped meanwhile is
            # either seen here or cancels what this run creates, never missed.
            list(StandingRequest.objects.select_for_update().filter(pk=standing.pk))
            skipped = set(
                StandingRequestSkip.objects.filter(standing=standing).values_list("date", flat=True)
            )
            created += _standing_generate_one(standing, today, days, skipped)
    return created


def _standing_generate_one(
    standing: StandingRequest, today: dt.date, days: int, skipped: set[dt.date]
) -> int:
    """Create one standing request's missing dates and move its untouched future
    ones to the current time (its row locked by the caller). Returns how many were
    created."""
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(today, dt.time.min, tzinfo=zone)
    generated: dict[dt.date, list[HelpRequest]] = {}
    for existing in HelpRequest.objects.filter(
        standing=standing,
        starts_at__gte=first,
        starts_at__lt=first + dt.timedelta(days=days + 1),
    ):
        generated.setdefault(timezone.localdate(existing.starts_at), []).append(existing)
    now = timezone.now()
    rows, moved = [], []
    for offset in range(days + 1):
        day = today + dt.timedelta(offset)
        if (
            day.weekday() not in standing.weekdays
            or day in skipped
            or day < standing.first_date
            or (standing.last_date and day > standing.last_date)
        ):
            continue
        starts_at = dt.datetime.combine(day, standing.starts, tzinfo=zone)
        ends_at = starts_at + dt.timedelta(minutes=standing.duration_minutes)
        try:
            _check_window(standing.category, starts_at, ends_at)
        except DomainError:
            # Saved before the form checked it, or the category's hours changed
            # since: leave it to a coordinator rather than stop every other one.
            logger.warning("standing request %s is outside service hours", standing.pk)
            return 0
        if day in generated:
            # Two on one date (made before this was per date) are left to a
            # coordinator: moving both to the same time would break the constraint.
            if len(generated[day]) == 1:
                (existing,) = generated[day]
                if (
                    existing.status == HelpRequest.Status.REQUESTED
                    and min(existing.starts_at, starts_at) > now
                    and (existing.starts_at, existing.ends_at) != (starts_at, ends_at)
                ):
                    existing.starts_at, existing.ends_at = starts_at, ends_at
                    moved.append(existing)
            continue
        rows.append(
            HelpRequest(
                resident=standing.resident,
                category=standing.category,
                district_id=standing.resident.district_id,
                starts_at=starts_at,
                ends_at=ends_at,
                place=standing.place,
                notes=standing.notes,
                channel=HelpRequest.Channel.STANDING,
                standing=standing,
            )
        )
    for existing in moved:
        # Conditional: an offer made since the read above (request_offer locks the
        # request's row, not the standing one's) keeps the time volunteers were told.
        HelpRequest.objects.filter(pk=existing.pk, status=HelpRequest.Status.REQUESTED).update(
            starts_at=existing.starts_at, ends_at=existing.ends_at
        )
    if not rows:
        return 0
    before = HelpRequest.objects.filter(standing=standing).count()
    HelpRequest.objects.bulk_create(rows, ignore_conflicts=True)
    return HelpRequest.objects.filter(standing=standing).count() - before


@transaction.atomic
def standing_skip_add(
    *, standing: StandingRequest, date: dt.date, actor: User
) -> StandingRequestSkip:
    """Mark ``date`` as skipped for a standing request. Beat generates requests
    days ahead, so one already generated for that date is cancelled too (offers
    withdrawn; an assigned volunteer is told), unless the work has started.
    Idempotent. Raises :class:`NotPermitted`."""
    _coordinator_check(actor)
    list(StandingRequest.objects.select_for_update().filter(pk=standing.pk))
    skip, _ = StandingRequestSkip.objects.get_or_create(standing=standing, date=date)
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(date, dt.time.min, tzinfo=zone)
    generated = HelpRequest.objects.filter(
        standing=standing,
        starts_at__gte=first,
        starts_at__lt=first + dt.timedelta(days=1),
        status__in=TRANSITIONS["cancel"][0],
    )
    for help_request in generated:
        request_cancel(help_request=help_request, actor=actor, reason=gettext("A skipped date"))
    return skip


# --- Volunteer profiles and the matching index -------------------------------------


def _merge_spans(spans: list[tuple[dt.time, dt.time]]) -> list[tuple[dt.time, dt.time]]:
    """Join touching or overlapping (from, until) spans of one day."""
    merged: list[tuple[dt.time, dt.time]] = []
    for starts, ends in sorted(spans):
        if merged and starts <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], ends))
        else:
            merged.append((starts, ends))
    return merged


def matching_slots_rebuild(*, profile_ids: list[int]) -> None:
    """Rewrite the matching index rows of these profiles from their districts,
    skills, weekly availability and future dated extra slots. Every service that
    changes a profile calls this in the same transaction."""
    MatchingSlot.objects.filter(profile_id__in=profile_ids).delete()
    through_d = VolunteerProfile.districts.through
    through_s = VolunteerProfile.skills.through
    districts: dict[int, list[int]] = {}
    for pid, did in through_d.objects.filter(volunteerprofile_id__in=profile_ids).values_list(
        "volunteerprofile_id", "district_id"
    ):
        districts.setdefault(pid, []).append(did)
    skills: dict[int, list[int]] = {}
    for pid, cid in through_s.objects.filter(volunteerprofile_id__in=profile_ids).values_list(
        "volunteerprofile_id", "helpcategory_id"
    ):
        skills.setdefault(pid, []).append(cid)
    weekly: dict[int, dict[int, list[tuple[dt.time, dt.time]]]] = {}
    for pid, weekday, starts, ends in WeeklyAvailability.objects.filter(
        profile_id__in=profile_ids
    ).values_list("profile_id", "weekday", "starts", "ends"):
        weekly.setdefault(pid, {}).setdefault(weekday, []).append((starts, ends))
    dated: dict[int, dict[dt.date, list[tuple[dt.time, dt.time]]]] = {}
    away: set[tuple[int, dt.date]] = set()
    for pid, day, available, starts, ends in AvailabilityException.objects.filter(
        profile_id__in=profile_ids, date__gte=timezone.localdate()
    ).values_list("profile_id", "date", "available", "starts", "ends"):
        if not available:
            away.add((pid, day))
        elif starts is not None and ends is not None:
            dated.setdefault(pid, {}).setdefault(day, []).append((starts, ends))
    # Touching or overlapping slots are merged, so a window that crosses from one
    # slot into the next (9–12 and 12–15, asked 11–13) is still covered by one row.
    # A dated extra slot is merged with that weekday's pattern unless away that day.
    slots: dict[int, list[tuple[int, dt.time, dt.time]]] = {}
    for pid in profile_ids:
        rows = slots.setdefault(pid, [])
        for weekday, spans in weekly.get(pid, {}).items():
            rows.extend((weekday, s, e) for s, e in _merge_spans(spans))
        for day, spans in dated.get(pid, {}).items():
            if (pid, day) not in away:
                spans = spans + weekly.get(pid, {}).get(day.weekday(), [])
            rows.extend((day.toordinal(), s, e) for s, e in _merge_spans(spans))
    MatchingSlot.objects.bulk_create(
        MatchingSlot(
            profile_id=pid,
            district_id=did,
            category_id=cid,
            day_key=key,
            starts=starts,
            ends=ends,
        )
        for pid in profile_ids
        for did in districts.get(pid, [])
        for cid in skills.get(pid, [])
        for key, starts, ends in slots.get(pid, [])
    )


@transaction.atomic
def volunteer_profile_save(
    *,
    user: User,
    actor: User,
    districts: list[District],
    skills: list[HelpCategory],
    weekly: list[tuple[int, dt.time, dt.time]],
    home_district: District | None = None,
    gender: str = "",
    has_car: bool = False,
    languages: str = "",
    insurance_valid_until: dt.date | None = None,
    active: bool = True,
    manage_insurance: bool = False,
) -> VolunteerProfile:
    """Create or update a volunteer's profile and weekly availability (replaced as a
    whole) and rebuild their matching index. Volunteers edit their own; coordinators
    act for anyone. Only coordinators change the insurance date and ``active``
    (``manage_insurance``). Raises :class:`NotPermitted`, :class:`InvalidWindow`."""
    coordinator = actor.acts_as(Role.COORDINATOR)
    if actor.pk != user.pk and not coordinator:
        raise NotPermitted()
    for _, starts, ends in weekly:
        if ends <= starts:
            raise InvalidWindow(field="weekly")
    profile, _ = VolunteerProfile.objects.select_for_update().get_or_create(user=user)
    profile.home_district = home_district
    profile.gender = gender
    profile.has_car = has_car
    profile.languages = languages
    fields = ["home_district", "gender", "has_car", "languages"]
    if manage_insurance and coordinator:
        profile.insurance_valid_until = insurance_valid_until
        profile.active = active
        fields += ["insurance_valid_until", "active"]
    profile.save(update_fields=fields)
    profile.districts.set(districts)
    profile.skills.set(skills)
    WeeklyAvailability.objects.filter(profile=profile).delete()
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(profile=profile, weekday=d, starts=s, ends=e) for d, s, e in weekly
    )
    if not user.has_role(Role.VOLUNTEER):
        from django.contrib.auth.models import Group

        user.groups.add(Group.objects.get(name=Role.VOLUNTEER))
    matching_slots_rebuild(profile_ids=[profile.pk])
    return profile


@transaction.atomic
def availability_exception_add(
    *,
    user: User,
    actor: User,
    date: dt.date,
    available: bool,
    starts: dt.time | None = None,
    ends: dt.time | None = None,
) -> AvailabilityException:
    """Mark a day away, or an extra slot on a date. Marking the same day away twice
    returns the first mark (the profile is locked, so also under a double tap).
    Raises :class:`NotPermitted`, :class:`InvalidWindow`."""
    if actor.pk != user.pk and not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()
    if available and (starts is None or ends is None or ends <= starts):
        raise InvalidWindow(field="ends")
    profile = VolunteerProfile.objects.select_for_update().get(user=user)
    if not available:
        marked = AvailabilityException.objects.filter(
            profile=profile, date=date, available=False
        ).first()
        if marked is not None:
            return marked
    exception = AvailabilityException.objects.create(
        profile=profile, date=date, available=available, starts=starts, ends=ends
    )
    matching_slots_rebuild(profile_ids=[profile.pk])
    return exception


@transaction.atomic
def availability_exception_remove(*, user: User, actor: User, exception_id: int) -> bool:
    """Take back a day away (or a dated extra slot) of ``user`` and rebuild their
    matching index, as adding one does: matching asks them that day again. Only the
    user's own exceptions are found, so an id of someone else's removes nothing.
    Idempotent: True if it was removed now, False if it was already gone (the
    profile is locked, so also under a double tap).
    Raises :class:`NotPermitted`."""
    if actor.pk != user.pk and not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()
    profile = VolunteerProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        return False
    removed, _ = AvailabilityException.objects.filter(pk=exception_id, profile=profile).delete()
    if removed:
        matching_slots_rebuild(profile_ids=[profile.pk])
    return bool(removed)
