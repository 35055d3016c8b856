"""Writes of volunteer activity insurance (ボランティア活動保険) and training (研修):
enrolling a volunteer for a fiscal year, cancelling, the April renewal round, and
recording who attended a training session.

The profile's ``insurance_valid_until`` is what matching filters on (one indexed
column, no join). Every write here keeps it equal to the last day of the latest
fiscal year the volunteer is enrolled in, in the same transaction and under the
profile's lock (``volunteers.locks``), so the two cannot disagree and matching stays
as fast as it was. A volunteer with no enrolment row keeps a date typed in by hand
(the centre's records from before enrolments were kept here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
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


def _valid_until_sync(profile: VolunteerProfile) -> None:
    """Derive the profile's insurance date from its enrolments (profile locked)."""
    latest = InsuranceEnrolment.objects.filter(
        volunteer_id=profile.user_id, status=Status.ENROLLED
    ).aggregate(year=Max("fiscal_year"))["year"]
    valid_until = fiscal_year_end(latest) if latest is not None else None
    if profile.insurance_valid_until != valid_until:
        profile.insurance_valid_until = valid_until
        profile.save(update_fields=["insurance_valid_until"])


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
    """Enrol ``volunteer`` for ``fiscal_year`` (the year April starts in) and set
    their profile's insurance date to the end of their latest enrolled year.

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
    insurance date falls back to the latest year still enrolled (none: no date).
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
    coordinators at once, enrols nobody twice. Profiles are locked in primary-key
    order. Returns the enrolments made by this call. Raises :class:`NotPermitted`."""
    insurance_and_training_check(actor)
    chosen = {int(pk) for pk in volunteer_ids}
    last_year = {
        e.volunteer_id: e for e in renewal_candidates(fiscal_year).filter(volunteer_id__in=chosen)
    }
    day = enrolled_on or timezone.localdate()
    made = []
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
