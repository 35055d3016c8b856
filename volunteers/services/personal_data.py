"""The end of a person's details (APPI, issue #19): leaving the service, anonymisation
after the retention period, and erasure on request.

Anonymising overwrites who the person is (name, kana, address, phone, email, date of
birth, emergency contact, free-text notes) and keeps what happened: requests,
assignments, fees and cash, activities, consent and pledge records, the access logs
and the points ledger stay, each row still counted in every report (counts and sums
do not change). Ledger entries are never touched: the wallet keeps its balance under a
neutral name, so ``points_audit`` still balances to the point.

Each function runs in one transaction and locks the person's row first (the lock order
of ``volunteers.locks``), so a second run, a parallel run or a request taken at the
same moment sees the first one's result: anonymisation happens exactly once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.services import ANONYMISED_NAME, user_anonymise
from core.errors import NotPermitted
from points.models import Account, AccountKind, ShopMembership
from volunteers.exceptions import AlreadyAnonymised, AlreadyLeft, NotLeft, PersonalDataStillNeeded
from volunteers.locks import profile_lock, resident_lock
from volunteers.models import (
    Assignment,
    AvailabilityException,
    ConsentRecord,
    HelpRequest,
    InsuranceEnrolment,
    LeaveReason,
    Offer,
    PersonalDataAccess,
    Place,
    Resident,
    StandingRequest,
    VolunteerCard,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.rules import coordinator_check
from volunteers.selectors.personal_data import (
    UNOFFERED_STATUSES,
    resident_erasure_blockers,
    resident_open_requests,
    retention_due,
    volunteer_erasure_blockers,
)
from volunteers.services.access_log import personal_data_access_record
from volunteers.services.profiles import matching_slots_rebuild
from volunteers.tasks import notify_offer_withdrawn

log = logging.getLogger(__name__)


def city_staff_check(actor: User) -> None:
    """Raises :class:`NotPermitted` unless ``actor`` acts as city staff."""
    if not actor.acts_as(Role.CITY_STAFF):
        raise NotPermitted()


# --- Leaving ----------------------------------------------------------------------------


def _close_unoffered(resident: Resident, reason: str) -> int:
    """Cancel the resident's requests that nobody has been offered yet and stop their
    standing requests: nobody is waiting on them, so leaving needs no one's answer."""
    StandingRequest.objects.filter(resident=resident, active=True).update(active=False)
    return resident_open_requests(resident, UNOFFERED_STATUSES).update(
        status=HelpRequest.Status.CANCELLED, cancel_reason=reason
    )


@transaction.atomic
def resident_leave(
    *, resident: Resident, on: dt.date, reason: LeaveReason | str, actor: User
) -> Resident:
    """Record that ``resident`` left the service on ``on`` (moved, stopped, died…): no
    new request is taken for them, their standing requests stop, requests nobody was
    offered yet are cancelled, and the retention period starts (the nightly job then
    anonymises them, :func:`retention_run`).

    Money still owed does not hold leaving up (a resident who died may owe for the
    last visit); it holds up their anonymisation until it is recorded paid.

    Raises :class:`PersonalDataStillNeeded` while a request is offered, assigned or
    awaiting confirmation (settle those first), :class:`AlreadyLeft`,
    :class:`AlreadyAnonymised`, :class:`NotPermitted` (coordinators only)."""
    coordinator_check(actor)
    resident = resident_lock(resident.pk)
    if resident.anonymised_at:
        raise AlreadyAnonymised()
    if resident.left_on:
        raise AlreadyLeft()
    if blockers := resident_erasure_blockers(resident, money=False):
        raise PersonalDataStillNeeded(blockers)
    _close_unoffered(resident, _("The resident left the service."))
    resident.left_on, resident.left_reason, resident.active = on, LeaveReason(reason), False
    resident.save(update_fields=["left_on", "left_reason", "active"])
    return resident


@transaction.atomic
def resident_return(*, resident: Resident, actor: User) -> Resident:
    """Undo a recorded leaving (a mistake, or the resident came back) before the
    details are erased. Standing requests stay stopped (set them up again if needed).
    Raises :class:`NotLeft`, :class:`AlreadyAnonymised`, :class:`NotPermitted`."""
    coordinator_check(actor)
    resident = resident_lock(resident.pk)
    if resident.anonymised_at:
        raise AlreadyAnonymised()
    if not resident.left_on:
        raise NotLeft()
    resident.left_on, resident.left_reason, resident.active = None, "", True
    resident.save(update_fields=["left_on", "left_reason", "active"])
    return resident


def _withdraw_open_offers(user: User) -> None:
    offers = Offer.objects.filter(volunteer=user, status=Offer.Status.OPEN)
    withdrawn = list(offers.values_list("pk", flat=True))
    offers.update(status=Offer.Status.WITHDRAWN, answered_at=timezone.now())
    for offer_id in withdrawn:
        transaction.on_commit(partial(notify_offer_withdrawn.delay, offer_id))


@transaction.atomic
def volunteer_leave(
    *, user: User, on: dt.date, reason: LeaveReason | str, actor: User
) -> VolunteerProfile:
    """Record that the volunteer stopped on ``on``: no more offers reach them (the open
    ones are withdrawn, and they leave the matching index), and the retention period
    starts. Their points, vouchers and history stay theirs until anonymisation.

    Raises :class:`PersonalDataStillNeeded` while an assignment is unconfirmed or an
    activity undecided, :class:`AlreadyLeft`, :class:`AlreadyAnonymised`,
    :class:`NotPermitted` (coordinators only)."""
    coordinator_check(actor)
    profile = profile_lock(user)
    if profile is None:
        raise NotPermitted()
    if profile.anonymised_at:
        raise AlreadyAnonymised()
    if profile.left_on:
        raise AlreadyLeft()
    if blockers := volunteer_erasure_blockers(user):
        raise PersonalDataStillNeeded(blockers)
    _withdraw_open_offers(user)
    profile.left_on, profile.left_reason, profile.active = on, LeaveReason(reason), False
    profile.save(update_fields=["left_on", "left_reason", "active"])
    matching_slots_rebuild(profile_ids=[profile.pk])
    return profile


@transaction.atomic
def volunteer_return(*, user: User, actor: User) -> VolunteerProfile:
    """Undo a recorded leaving before the details are erased.
    Raises :class:`NotLeft`, :class:`AlreadyAnonymised`, :class:`NotPermitted`."""
    coordinator_check(actor)
    profile = profile_lock(user)
    if profile is None:
        raise NotPermitted()
    if profile.anonymised_at:
        raise AlreadyAnonymised()
    if not profile.left_on:
        raise NotLeft()
    profile.left_on, profile.left_reason, profile.active = None, "", True
    profile.save(update_fields=["left_on", "left_reason", "active"])
    matching_slots_rebuild(profile_ids=[profile.pk])
    return profile


# --- Anonymisation ---------------------------------------------------------------------


def _resident_anonymise(resident: Resident, now: dt.datetime) -> Resident:
    """Overwrite the resident's details (the row is locked by the caller)."""
    resident.full_name = ANONYMISED_NAME.format(pk=resident.pk)
    resident.full_name_kana = "サクジョズミ"
    resident.address = ""
    resident.phone = ""
    resident.emergency_contact = ""
    resident.notes = ""
    resident.gender = ""
    resident.prefers_same_gender = resident.prefers_familiar = False
    resident.active = False
    resident.anonymised_at = now
    account = resident.user
    resident.user = None
    resident.save()
    # Free text written about them; the rows, their dates, categories and fees stay.
    HelpRequest.objects.filter(resident=resident).update(place="", notes="", cancel_reason="")
    StandingRequest.objects.filter(resident=resident).update(place="", notes="", active=False)
    Assignment.objects.filter(request__resident=resident).update(cash_note="")
    ConsentRecord.objects.filter(resident=resident).update(note="")
    # Their own sign-in account goes too, unless it is someone still active in another
    # role (a volunteer's account is theirs to keep until they leave as a volunteer).
    if (
        account is not None
        and not account.groups.exclude(name=Role.RESIDENT).exists()
        and not VolunteerProfile.objects.filter(user=account).exists()
    ):
        user_anonymise(user=account)
    return resident


def _volunteer_anonymise(profile: VolunteerProfile, now: dt.datetime) -> VolunteerProfile:
    """Overwrite the volunteer's details and account (the profile is locked by the
    caller)."""
    user = profile.user
    _withdraw_open_offers(user)
    profile.districts.clear()
    profile.skills.clear()
    WeeklyAvailability.objects.filter(profile=profile).delete()
    AvailabilityException.objects.filter(profile=profile).delete()
    profile.gender = ""
    profile.has_car = False
    profile.insurance_valid_until = None
    # The insurer's list needed the address; the enrolment years stay (the city's
    # accounts), without it.
    InsuranceEnrolment.objects.filter(volunteer=user).update(address="", certificate_number="")
    profile.languages = ""
    profile.active = False
    profile.anonymised_at = now
    profile.save()
    matching_slots_rebuild(profile_ids=[profile.pk])
    # A printed card stops working (its version is revoked), shop and host roles end.
    VolunteerCard.objects.filter(user=user).update(version=F("version") + 1)
    ShopMembership.objects.filter(user=user).delete()
    for place in Place.objects.filter(hosts=user).order_by("pk"):
        place.hosts.remove(user)
    user_anonymise(user=user)
    # The wallet keeps its entries and balance; only its name said whose it was.
    Account.objects.filter(owner=user, kind=AccountKind.WALLET).update(
        name=f"{ANONYMISED_NAME.format(pk=user.pk)} のポイント"
    )
    return profile


@dataclasses.dataclass
class RetentionRun:
    residents: int = 0
    volunteers: int = 0
    #: People due but still needed (an open request, money owed): tried again nightly.
    held: list[str] = dataclasses.field(default_factory=list)


def retention_run(*, today: dt.date | None = None) -> RetentionRun:
    """Anonymise everyone whose retention period has ended (``retention_due``), each in
    a transaction of their own (one person's problem does not hold up the others).
    Someone whose details are still needed is left for the next night and reported
    in ``held``. Safe to run twice or in parallel: each person is locked and checked
    again before anything is written."""
    today = today or timezone.localdate()
    result = RetentionRun()
    residents, profiles = retention_due(today)
    for resident_id in list(residents.values_list("pk", flat=True)):
        with transaction.atomic():
            resident = resident_lock(resident_id)
            if resident.anonymised_at:
                continue
            if blockers := resident_erasure_blockers(resident):
                result.held.append(f"resident {resident.pk}: {' '.join(blockers)}")
                continue
            _close_unoffered(resident, _("The resident left the service."))
            _resident_anonymise(resident, timezone.now())
            result.residents += 1
    for user_id in list(profiles.values_list("user_id", flat=True)):
        with transaction.atomic():
            profile = profile_lock(User(pk=user_id))
            if profile is None or profile.anonymised_at:
                continue
            if blockers := volunteer_erasure_blockers(profile.user):
                result.held.append(f"volunteer {user_id}: {' '.join(blockers)}")
                continue
            _volunteer_anonymise(profile, timezone.now())
            result.volunteers += 1
    for line in result.held:
        log.warning("personal data retention: still needed, kept for now: %s", line)
    return result


@transaction.atomic
def resident_erase(*, resident: Resident, actor: User, reason: str, resource: str = "") -> Resident:
    """Erase a resident's details now, at their request (or their family's): leaving
    is recorded today if it was not, requests nobody was offered are cancelled and
    the details anonymised as :func:`retention_run` would; the erasure is logged in
    the personal data access log with ``reason`` (the request's reference) and
    ``resource`` (the page it was done on).

    Raises :class:`PersonalDataStillNeeded` (with every reason) while a request is
    being handled or money is owed, :class:`AlreadyAnonymised`, :class:`NotPermitted`
    (city staff only)."""
    city_staff_check(actor)
    resident = resident_lock(resident.pk)
    if resident.anonymised_at:
        raise AlreadyAnonymised()
    if blockers := resident_erasure_blockers(resident):
        raise PersonalDataStillNeeded(blockers)
    if not resident.left_on:
        resident.left_on, resident.left_reason = timezone.localdate(), LeaveReason.ERASURE
    _close_unoffered(resident, _("The resident left the service."))
    _resident_anonymise(resident, timezone.now())
    personal_data_access_record(
        actor=actor,
        residents=[resident],
        action=PersonalDataAccess.Action.ERASE,
        resource=resource or "aid_personal_data_erase",
        reason=reason,
    )
    return resident


@transaction.atomic
def volunteer_erase(
    *, user: User, actor: User, reason: str, resource: str = ""
) -> VolunteerProfile:
    """Erase a volunteer's details now, at their request: as :func:`resident_erase`,
    for the account and volunteer profile (their points stay in the ledger).

    Raises :class:`PersonalDataStillNeeded` while an assignment is unconfirmed or an
    activity undecided, :class:`AlreadyAnonymised`, :class:`NotPermitted` (city staff
    only, and never one's own account)."""
    city_staff_check(actor)
    if user.pk == actor.pk:
        raise NotPermitted()
    profile = profile_lock(user)
    if profile is None:
        raise NotPermitted()
    if profile.anonymised_at:
        raise AlreadyAnonymised()
    if blockers := volunteer_erasure_blockers(user):
        raise PersonalDataStillNeeded(blockers)
    if not profile.left_on:
        profile.left_on, profile.left_reason = timezone.localdate(), LeaveReason.ERASURE
    _volunteer_anonymise(profile, timezone.now())
    personal_data_access_record(
        actor=actor,
        subjects=[user],
        action=PersonalDataAccess.Action.ERASE,
        resource=resource or "aid_personal_data_erase",
        reason=reason,
    )
    return profile
