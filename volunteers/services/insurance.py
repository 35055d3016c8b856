"""Writes of volunteer activity insurance (ボランティア活動保険) and training (研修):
enrolling a volunteer for a fiscal year, cancelling, the April renewal round, and
recording who attended a training session.

The profile's ``insurance_valid_until`` is what matching filters on (one indexed
column, no join: ``insurance_valid_until >= day``). Every write here derives it from
the enrolments, in the same transaction and under the profile's lock
(``volunteers.locks``), so the two cannot disagree and matching stays as fast as it
was. The date is the end (31 March) of the last year of the unbroken run of enrolled
years that includes the current fiscal year; when the current year is not enrolled,
the end of the latest enrolled year before it (a date already past: not insured
now), or none. So an enrolment for a later year only does not make the volunteer
insured today, and a year left out is not bridged.

Because the date depends on today's fiscal year, it must be derived again when a
new fiscal year starts (1 April): a volunteer enrolled only for the coming year
becomes insured then. ``insurance_valid_until_refresh`` does that for every
volunteer enrolled for the current or the coming year; Beat runs it nightly
(``volunteers.refresh_insurance_dates``), so a missed night is made up the next.
A volunteer with no enrolment row keeps a date typed in by hand (the centre's
records from before enrolments were kept here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core import formats
from volunteers.exceptions import NotEnrolled, NoVolunteerProfile, TrainingNotStarted
from volunteers.locks import profile_lock, training_session_lock
from volunteers.models import (
    InsuranceEnrolment,
    TrainingAttendance,
    TrainingSession,
    VolunteerProfile,
)
from volunteers.models.insurance import fiscal_year_end
from volunteers.rules import insurance_and_training_check
from volunteers.selectors.training import renewal_candidates

Status = InsuranceEnrolment.Status


def insurance_valid_until_of(years: Iterable[int], *, today: dt.date) -> dt.date | None:
    """The insurance date for a volunteer enrolled in fiscal ``years`` as of ``today``:
    the end of the unbroken run of enrolled years through the current one; without
    the current year, the end of the latest enrolled year before it (past), or None."""
    enrolled = set(years)
    current = formats.fiscal_year(today)
    if current in enrolled:
        last = current
        while last + 1 in enrolled:
            last += 1
        return fiscal_year_end(last)
    past = [year for year in enrolled if year < current]
    return fiscal_year_end(max(past)) if past else None


def _valid_until_sync(profile: VolunteerProfile, *, today: dt.date | None = None) -> bool:
    """Derive the profile's insurance date from its enrolments (profile locked);
    True when it changed."""
    years = InsuranceEnrolment.objects.filter(
        volunteer_id=profile.user_id, status=Status.ENROLLED
    ).values_list("fiscal_year", flat=True)
    valid_until = insurance_valid_until_of(years, today=today or timezone.localdate())
    if profile.insurance_valid_until == valid_until:
        return False
    profile.insurance_valid_until = valid_until
    profile.save(update_fields=["insurance_valid_until"])
    return True


def insurance_valid_until_refresh(*, today: dt.date | None = None) -> int:
    """Derive again the insurance date of every volunteer enrolled for the current or
    the coming fiscal year (on 1 April, one enrolled only for the new year becomes
    insured). Each profile is locked and written in its own short transaction, in
    primary-key order. Idempotent; returns how many dates changed. Beat runs it
    nightly (``volunteers.refresh_insurance_dates``)."""
    today = today or timezone.localdate()
    current = formats.fiscal_year(today)
    user_ids = InsuranceEnrolment.objects.filter(
        fiscal_year__in=(current, current + 1), status=Status.ENROLLED
    ).values("volunteer_id")
    profiles = VolunteerProfile.objects.filter(user_id__in=user_ids).order_by("pk")
    changed = 0
    for profile_pk in profiles.values_list("pk", flat=True):
        with transaction.atomic():
            profile = profile_lock(profile_pk)  # a profile's key is its user's id
            if profile is not None and _valid_until_sync(profile, today=today):
                changed += 1
    return changed


def _enrol_locked(
    profile: VolunteerProfile,
    *,
    fiscal_year: int,
    actor: User,
    enrolled_on: dt.date,
    plan: str,
    certificate_number: str,
    address: str,
    paid_by: str,
) -> tuple[InsuranceEnrolment, bool]:
    details = {
        "enrolled_on": enrolled_on,
        "plan": plan.strip(),
        "certificate_number": certificate_number.strip(),
        "address": address.strip(),
        "paid_by": paid_by,
        "recorded_by": actor,
    }
    enrolment, created = InsuranceEnrolment.objects.get_or_create(
        volunteer_id=profile.user_id, fiscal_year=fiscal_year, defaults=details
    )
    if not created and enrolment.status == Status.CANCELLED:
        for name, value in details.items():
            setattr(enrolment, name, value)
        enrolment.status, enrolment.cancelled_on = Status.ENROLLED, None
        enrolment.save()
        created = True
    _valid_until_sync(profile)
    return enrolment, created


@transaction.atomic
def insurance_enrol(
    *,
    volunteer: User,
    fiscal_year: int,
    actor: User,
    enrolled_on: dt.date | None = None,
    plan: str = "",
    certificate_number: str = "",
    address: str = "",
    paid_by: str = InsuranceEnrolment.PaidBy.CITY,
) -> tuple[InsuranceEnrolment, bool]:
    """Enrol ``volunteer`` for ``fiscal_year`` (the year April starts in) and derive
    their profile's insurance date again (see the module's docstring).

    At most one enrolment per volunteer and year (a database constraint, and the
    profile's lock serialises writers): enrolling again returns the one in force
    unchanged, ``(enrolment, False)``; a cancelled one is enrolled again with the new
    details. Returns ``(enrolment, True)`` when this call enrolled them.
    Raises :class:`NotPermitted`, :class:`NoVolunteerProfile`."""
    insurance_and_training_check(actor)
    profile = profile_lock(volunteer)
    if profile is None:
        raise NoVolunteerProfile(field="volunteer")
    return _enrol_locked(
        profile,
        fiscal_year=fiscal_year,
        actor=actor,
        enrolled_on=enrolled_on or timezone.localdate(),
        plan=plan,
        certificate_number=certificate_number,
        address=address,
        paid_by=paid_by,
    )


@transaction.atomic
def insurance_cancel(
    *, enrolment: InsuranceEnrolment, actor: User, on: dt.date | None = None
) -> InsuranceEnrolment:
    """Cancel an enrolment in force (withdrawn, entered by mistake); the profile's
    insurance date is derived again from the years still enrolled.
    Raises :class:`NotPermitted`, :class:`NotEnrolled` (cancelled already)."""
    insurance_and_training_check(actor)
    profile = profile_lock(enrolment.volunteer)
    enrolment = InsuranceEnrolment.objects.get(pk=enrolment.pk)
    if enrolment.status != Status.ENROLLED:
        raise NotEnrolled()
    enrolment.status = Status.CANCELLED
    enrolment.cancelled_on = on or timezone.localdate()
    enrolment.save(update_fields=["status", "cancelled_on"])
    if profile is not None:
        _valid_until_sync(profile)
    return enrolment


@transaction.atomic
def insurance_renew(
    *,
    fiscal_year: int,
    volunteer_ids: Iterable[int],
    actor: User,
    enrolled_on: dt.date | None = None,
) -> list[InsuranceEnrolment]:
    """The April renewal round: enrol for ``fiscal_year`` each chosen volunteer who is
    a renewal candidate (``renewal_candidates``: enrolled last year, still active, no
    row for the new year), with last year's plan, address and payer (a new
    certificate number comes from the insurer later).

    Idempotent: a volunteer already enrolled for the year is not a candidate, and
    each enrolment is made under the profile's lock with get-or-create semantics on
    the (volunteer, year) constraint, so running the round twice, or two
    coordinators at once, enrols nobody twice. Profiles are locked one by one
    (``profile_lock``) in primary-key order, which is the volunteers' user-id
    order: a profile's primary key is its user. Returns the enrolments made by
    this call. Raises :class:`NotPermitted`."""
    insurance_and_training_check(actor)
    chosen = {int(pk) for pk in volunteer_ids}
    last_year = {
        e.volunteer_id: e for e in renewal_candidates(fiscal_year).filter(volunteer_id__in=chosen)
    }
    day = enrolled_on or timezone.localdate()
    made = []
    # A profile's primary key is its user's id: this is the profiles' pk order.
    for volunteer_id in sorted(last_year):
        previous = last_year[volunteer_id]
        profile = profile_lock(previous.volunteer)
        if profile is None:
            continue
        enrolment, created = _enrol_locked(
            profile,
            fiscal_year=fiscal_year,
            actor=actor,
            enrolled_on=day,
            plan=previous.plan,
            certificate_number="",
            address=previous.address,
            paid_by=previous.paid_by,
        )
        if created:
            made.append(enrolment)
    return made


@transaction.atomic
def training_attendance_record(
    *,
    session: TrainingSession,
    shown_ids: Iterable[int],
    attended_ids: Iterable[int],
    actor: User,
) -> int:
    """Record who of the volunteers listed on the attendance page (``shown_ids``)
    attended ``session``: ticked ones (``attended_ids``) as attended, the others as
    not (a row is kept only for someone who was ticked once). People not shown (the
    list was narrowed by a search) are left as they were. Idempotent; returns how
    many people's record changed. Only people with a volunteer profile are recorded.
    Raises :class:`NotPermitted`, :class:`TrainingNotStarted` (the session starts
    later: nobody can have attended it yet)."""
    insurance_and_training_check(actor)
    session = training_session_lock(session.pk)
    if session.starts_at > timezone.now():
        raise TrainingNotStarted()
    shown = {int(pk) for pk in shown_ids}
    ticked = {int(pk) for pk in attended_ids} & shown
    volunteers = set(
        VolunteerProfile.objects.filter(user_id__in=shown).values_list("user_id", flat=True)
    )
    existing = {
        a.volunteer_id: a
        for a in TrainingAttendance.objects.filter(session=session, volunteer_id__in=volunteers)
    }
    changed = 0
    for volunteer_id in sorted(volunteers):
        attended = volunteer_id in ticked
        row = existing.get(volunteer_id)
        if row is None:
            if attended:
                TrainingAttendance.objects.create(
                    session=session, volunteer_id=volunteer_id, attended=True, recorded_by=actor
                )
                changed += 1
        elif row.attended != attended:
            row.attended, row.recorded_by = attended, actor
            row.save(update_fields=["attended", "recorded_by", "recorded_at"])
            changed += 1
    return changed
