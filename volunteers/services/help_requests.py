"""Writes for the mutual-aid centre's requests: intake, offers, assignment and
its lifecycle, cancellation, the reminder mark and opening a resident's details.

The request's status is the lifecycle; the assignment mirrors it once there is one.
Every step names the states it may start from (:data:`TRANSITIONS`) and re-reads the
request under a row lock before checking, so two clicks or two volunteers can never
both succeed. Locks follow the order written in ``volunteers.locks``. Volunteers are
told by Celery tasks queued once the transaction has committed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from core import formats
from core.errors import NotPermitted
from points.exceptions import RuleNotApplicable
from points.services.earning import points_award
from volunteers.exceptions import (
    CashDifferenceUnexplained,
    CentreClosed,
    ConsentMissing,
    InvalidAmount,
    InvalidTransition,
    NothingToOffer,
    NotReevaluable,
    OfferClosed,
    OfferTaken,
    OutsideAssignmentWindow,
    PledgeMissing,
    ResidentLeft,
    TrainingStillMissing,
    VolunteerBusy,
    VolunteerUnavailable,
)
from volunteers.locks import (
    assignment_lock,
    offer_lock,
    profile_lock,
    request_lock,
    resident_lock,
)
from volunteers.models import (
    Assignment,
    HelpCategory,
    HelpRequest,
    Offer,
    PersonalDataAccess,
    Resident,
    ResidentAccessLog,
    StandingRequest,
    VolunteerProfile,
)
from volunteers.rules import coordinator_check, service_window_check
from volunteers.selectors.calendar import centre_closed_reason
from volunteers.selectors.consent import consent_in_force, without_current_pledge
from volunteers.selectors.training import training_requirement_met
from volunteers.services.access_log import personal_data_access_record
from volunteers.tasks import (
    notify_assigned,
    notify_cancelled,
    notify_offer,
    notify_offer_taken,
    notify_offer_withdrawn,
)

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


#: A volunteer may start an assignment from this long before its scheduled window
#: opens until the window ends (the resident may be ready early; a tap days ahead or
#: after the fact is a mistake). Outside it only a coordinator records the start, on
#: the request page, after speaking with the volunteer.
START_EARLY_TOLERANCE = dt.timedelta(minutes=60)


def _start_window_check(assignment: Assignment, moment: dt.datetime) -> None:
    """Raise :class:`OutsideAssignmentWindow` unless ``moment`` falls between
    :data:`START_EARLY_TOLERANCE` before the assignment's window and its end."""
    if assignment.starts_at - START_EARLY_TOLERANCE <= moment <= assignment.ends_at:
        return
    when = formats.datetime_range(assignment.starts_at, assignment.ends_at)
    reason = "too_early" if moment < assignment.starts_at else "too_late"
    minutes = int(START_EARLY_TOLERANCE.total_seconds() // 60)
    raise OutsideAssignmentWindow(reason, when=when, minutes=minutes)


def _step(help_request: HelpRequest, step: str) -> str:
    """Check ``step`` is allowed from the request's current state; return the next one."""
    allowed, target = TRANSITIONS[step]
    if help_request.status not in allowed:
        raise InvalidTransition(step=step, status=help_request.status)
    return target


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

    Never on one of the centre's closed days (public holidays, the year-end closure,
    one-off closures: ``volunteers.selectors.calendar``).

    Raises :class:`InvalidWindow` (end not after start, or over midnight),
    :class:`OutsideServiceHours` (outside the category's hours), :class:`CentreClosed`
    (field ``starts_at``), :class:`ResidentLeft` (the resident left the service),
    :class:`NotPermitted`.
    """
    coordinator_check(actor)
    if standing is None:
        # Read afresh under the resident's lock: leaving or erasure committed a moment
        # ago is seen, and one that is running waits for this request (then cancels
        # it, as it cancels every request nobody was offered). A standing request's
        # occurrence needs no lock: leaving stops the standing request first.
        resident = resident_lock(resident.pk)
    if resident.left_on or resident.anonymised_at:
        raise ResidentLeft(field="resident")
    service_window_check(category, starts_at, ends_at)
    day = timezone.localdate(starts_at)
    closed_reason = centre_closed_reason(day)
    if closed_reason is not None:
        raise CentreClosed(date=day, reason=closed_reason)
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


@transaction.atomic
def request_offer(*, help_request: HelpRequest, volunteers: list[User], actor: User) -> list[Offer]:
    """Offer the request to one or several volunteers; each is told (after commit).

    Offering again to someone already asked does nothing for them. Only people with
    a volunteer profile and the confidentiality pledge in force can be offered help
    to do, and only for a resident whose consent to sharing is in force: otherwise
    the whole offer is refused (nothing is sent). Allowed from *requested* and
    *offered*. Raises :class:`InvalidTransition`, :class:`NothingToOffer`,
    :class:`VolunteerUnavailable`, :class:`ConsentMissing`, :class:`PledgeMissing`,
    :class:`NotPermitted`.
    """
    coordinator_check(actor)
    if not volunteers:
        raise NothingToOffer(field="volunteers")
    with_profile = set(
        VolunteerProfile.objects.filter(user__in=volunteers).values_list("user_id", flat=True)
    )
    if any(v.pk not in with_profile for v in volunteers):
        raise VolunteerUnavailable(field="volunteers")
    if not consent_in_force(help_request.resident):
        raise ConsentMissing(field="volunteers")
    unpledged = list(without_current_pledge(User.objects.filter(pk__in=[v.pk for v in volunteers])))
    if unpledged:
        names = "、".join(u.full_name for u in unpledged)
        raise PledgeMissing(
            _(
                "Not offered: %(names)s has not accepted the current confidentiality pledge yet. "
                "They accept it on their page, or a coordinator records their signed paper pledge."
            )
            % {"names": names},
            field="volunteers",
            names=names,
        )
    help_request = request_lock(help_request.pk)
    help_request.status = _step(help_request, "offer")
    help_request.save(update_fields=["status"])
    asked = set(Offer.objects.filter(request=help_request).values_list("volunteer_id", flat=True))
    offers = Offer.objects.bulk_create(
        [Offer(request=help_request, volunteer=v) for v in volunteers if v.pk not in asked]
    )
    for offer in offers:
        transaction.on_commit(partial(notify_offer.delay, offer.pk))
    return offers


def _eligible_profile(volunteer: User, help_request: HelpRequest) -> VolunteerProfile:
    """Lock the volunteer's profile and check they can take the request now: an
    active volunteer, insured on the day, free then, with the pledge in force, for a
    resident whose consent is in force. Raises :class:`VolunteerUnavailable`,
    :class:`VolunteerBusy`, :class:`PledgeMissing` or :class:`ConsentMissing`."""
    profile = profile_lock(volunteer)
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
    if not consent_in_force(help_request.resident):
        raise ConsentMissing()
    if without_current_pledge(User.objects.filter(pk=volunteer.pk)).exists():
        raise PledgeMissing()
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
        transaction.on_commit(partial(notify_offer_taken.delay, pk))
    transaction.on_commit(partial(notify_assigned.delay, assignment.pk))
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
    profile_lock(volunteer)  # the lock order: the profile before the request
    help_request = request_lock(offer.request_id)
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
    offer = offer_lock(offer.pk)
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
    coordinator_check(actor)
    profile_lock(volunteer)  # the lock order: the profile before the request
    help_request = request_lock(help_request.pk)
    _step(help_request, "assign")
    _eligible_profile(volunteer, help_request)
    return _assign(help_request, volunteer, actor)


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
    progress. The volunteer themselves may start it only from
    :data:`START_EARLY_TOLERANCE` before the scheduled window until its end; a
    coordinator records a start at any time. Raises :class:`InvalidTransition`,
    :class:`OutsideAssignmentWindow`, :class:`NotPermitted`."""
    assignment, help_request = assignment_lock(assignment.pk, assignment.request_id)
    _volunteer_or_coordinator(assignment, actor)
    moment = at or timezone.now()
    if assignment.volunteer_id == actor.pk and assignment.status == A.ASSIGNED:
        _start_window_check(assignment, moment)
    _move(assignment, help_request, "start", started_at=moment)
    return assignment


@transaction.atomic
def assignment_finish(
    *, assignment: Assignment, actor: User, at: dt.datetime | None = None
) -> Assignment:
    """The task is done: in progress → done (waiting for the coordinator's
    confirmation). Raises :class:`InvalidTransition`, :class:`NotPermitted`."""
    assignment, help_request = assignment_lock(assignment.pk, assignment.request_id)
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
    cash_note: str = "",
) -> Assignment:
    """A coordinator confirms done work: done → confirmed.

    The fee is computed from ``minutes`` (default: the time between start and finish
    within the category's service hours) under the category's fee rule (every
    started unit counts), and the cash the volunteer received is recorded; when it
    is not the fee, ``cash_note`` says why (a shortfall is then owed). When the
    category has a points rule, points are awarded through the ledger with the
    idempotency key ``assignment:<id>`` (so a retry never credits twice); a rule
    that does not apply records no points.
    Raises :class:`InvalidTransition`, :class:`InvalidAmount`,
    :class:`CashDifferenceUnexplained`, :class:`NotPermitted`.
    """
    coordinator_check(actor)
    if cash_received_yen < 0 or (minutes is not None and minutes < 0):
        raise InvalidAmount(field="minutes" if minutes is not None and minutes < 0 else "cash")
    assignment, help_request = assignment_lock(assignment.pk, assignment.request_id)
    category = help_request.category
    if minutes is None:
        minutes = category.billable_minutes(assignment.started_at, assignment.finished_at)
    fee = category.fee_for(minutes)
    cash_note = cash_note.strip()
    if cash_received_yen != fee and not cash_note:
        raise CashDifferenceUnexplained(field="cash_note")
    _move(
        assignment,
        help_request,
        "confirm",
        minutes=minutes,
        fee_yen=fee,
        cash_received_yen=cash_received_yen,
        cash_note=cash_note,
        confirmed_by=actor,
        confirmed_at=timezone.now(),
    )
    # A rule that requires training credits nothing before the volunteer attended one
    # (volunteers.selectors.training): confirmed, without points, as under age, and
    # credited later by assignment_reevaluate.
    if category.earning_rule_id is not None and training_requirement_met(
        assignment.volunteer, category.earning_rule
    ):
        # Under the rule's minimum age, say: confirmed, without points.
        with contextlib.suppress(RuleNotApplicable):
            _award(assignment, category.earning_rule, actor)
    return assignment


def _award(assignment: Assignment, rule, actor: User) -> None:
    assignment.transaction = points_award(
        user=assignment.volunteer,
        rule=rule,
        activity_date=timezone.localtime(assignment.started_at).date(),
        duration_minutes=assignment.minutes,
        idempotency_key=f"assignment:{assignment.pk}",
        actor=actor,
        reference=f"assignment:{assignment.pk}",
    )
    assignment.save(update_fields=["transaction"])


def assignment_awaits_training(assignment: Assignment, rule) -> bool:
    """Was ``assignment`` confirmed without points because ``rule`` (its category's)
    requires training the volunteer had not attended?"""
    return (
        assignment.status == A.CONFIRMED
        and assignment.transaction_id is None
        and rule is not None
        and rule.requires_training
    )


@transaction.atomic
def assignment_reevaluate(*, assignment: Assignment, actor: User) -> Assignment:
    """A coordinator credits help that was confirmed without points because the
    category's rule requires training, now that the volunteer attended one: the rule
    is applied as at confirmation (the day the work started, its minutes, the daily
    and yearly limits of that day).

    Exactly once: the assignment row is locked and must still have no credit, and the
    credit keeps the key ``assignment:<id>``, so a double POST adds nothing.
    Raises :class:`NotReevaluable` (not confirmed, already credited, or no rule that
    requires training), :class:`TrainingStillMissing`, ``RuleNotApplicable`` (e.g.
    under the rule's minimum age on that day), :class:`NotPermitted`."""
    coordinator_check(actor)
    assignment, help_request = assignment_lock(assignment.pk, assignment.request_id)
    rule = help_request.category.earning_rule
    if not assignment_awaits_training(assignment, rule):
        raise NotReevaluable(
            _("This help is not waiting for training: its points were already decided.")
        )
    if not training_requirement_met(assignment.volunteer, rule):
        raise TrainingStillMissing()
    _award(assignment, rule, actor)
    return assignment


@transaction.atomic
def assignment_owed_settle(*, assignment: Assignment, actor: User) -> bool:
    """A coordinator records that the resident has paid what they owed for this
    assignment. True if recorded now, False if it already was (a double tap).
    Raises :class:`InvalidTransition` if nothing is owed, :class:`NotPermitted`."""
    coordinator_check(actor)
    assignment, _ = assignment_lock(assignment.pk, assignment.request_id)
    if assignment.status != A.CONFIRMED or assignment.cash_difference_yen >= 0:
        raise InvalidTransition(step="settle", status=assignment.status)
    if assignment.owed_settled_at is not None:
        return False
    assignment.owed_settled_at = timezone.now()
    assignment.save(update_fields=["owed_settled_at"])
    return True


@transaction.atomic
def request_cancel(*, help_request: HelpRequest, actor: User, reason: str = "") -> HelpRequest:
    """Cancel a request before the work starts; open offers are withdrawn and everyone
    who held one, and an assigned volunteer, is told (after commit).
    Raises :class:`InvalidTransition`, :class:`NotPermitted`."""
    coordinator_check(actor)
    help_request = request_lock(help_request.pk)
    help_request.status = _step(help_request, "cancel")
    help_request.cancel_reason = reason
    help_request.save(update_fields=["status", "cancel_reason"])
    open_offers = Offer.objects.filter(request=help_request, status=Offer.Status.OPEN)
    withdrawn = list(open_offers.values_list("pk", flat=True))
    open_offers.update(status=Offer.Status.WITHDRAWN)
    for offer_id in withdrawn:
        transaction.on_commit(partial(notify_offer_withdrawn.delay, offer_id))
    assignment = Assignment.objects.filter(request=help_request).first()
    if assignment is not None:
        assignment.status = A.CANCELLED
        assignment.save(update_fields=["status"])
        transaction.on_commit(partial(notify_cancelled.delay, assignment.pk))
    return help_request


@transaction.atomic
def assignment_no_show(*, assignment: Assignment, actor: User) -> Assignment:
    """The volunteer did not come: assigned → no-show (the resident's details are
    hidden from them again). Raises :class:`InvalidTransition`, :class:`NotPermitted`."""
    coordinator_check(actor)
    assignment, help_request = assignment_lock(assignment.pk, assignment.request_id)
    _move(assignment, help_request, "no_show")
    return assignment


def assignment_reminder_mark(*, assignment_id: int, at: dt.datetime) -> bool:
    """Mark the day-before reminder of an assignment as sent, once it has been sent
    (``volunteers.tasks.send_reminder``: claim -> send -> mark). True for the first
    mark only (a single conditional UPDATE)."""
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
    # The same look in the log city staff read (volunteers.models.access).
    personal_data_access_record(
        actor=user,
        residents=[resident],
        action=PersonalDataAccess.Action.VIEW,
        resource=f"assignment {assignment.pk} ({via})",
        reason=_("The volunteer's assignment"),
    )
    return resident
