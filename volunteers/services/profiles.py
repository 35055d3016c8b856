"""Writes for volunteer profiles: the profile and weekly availability, dated
exceptions (a day away, an extra slot), and the matching index rebuilt from them in
the same transaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import District, Role, User
from accounts.services import user_birth_date_set
from core.errors import NotPermitted
from volunteers.exceptions import InvalidWindow, VolunteerRoleRequired
from volunteers.locks import profile_lock, profile_lock_or_create
from volunteers.models import (
    AvailabilityException,
    HelpCategory,
    InsuranceEnrolment,
    MatchingSlot,
    VolunteerProfile,
    WeeklyAvailability,
)


def _volunteer_check(user: User) -> None:
    """A profile, availability and days away are for holders of the volunteer role,
    which coordinators and city staff grant (``accounts.services.role_grant``); saving
    a profile never grants it."""
    if not user.has_role(Role.VOLUNTEER):
        raise VolunteerRoleRequired()


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
    skills, weekly availability and future dated extra slots, each row with what the
    ranking weighs (home district, gender, car). Every service that changes a
    profile calls this in the same transaction."""
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
    weighed = {
        pid: (home, gender, has_car)
        for pid, home, gender, has_car in VolunteerProfile.objects.filter(
            pk__in=profile_ids
        ).values_list("pk", "home_district_id", "gender", "has_car")
    }
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
            home=did == weighed[pid][0],
            gender=weighed[pid][1],
            has_car=weighed[pid][2],
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
    birth_date: dt.date | None = None,
) -> VolunteerProfile:
    """Create or update a volunteer's profile and weekly availability (replaced as a
    whole) and rebuild their matching index. Volunteers edit their own; coordinators
    act for anyone. Only coordinators change the insurance date and ``active``
    (``manage_insurance``); the date only of a volunteer with no insurance
    enrolment (otherwise the enrolments decide it). A ``birth_date`` (None:
    unchanged) is recorded on the user by ``accounts.services.user_birth_date_set``
    (the volunteer gives their own only while none is recorded); activities that
    earned nothing for want of it can then be re-evaluated by a coordinator
    (``activity_reevaluate``). Never grants a role: ``user`` must already hold the
    volunteer role. Raises :class:`NotPermitted`,
    :class:`VolunteerRoleRequired`, :class:`InvalidWindow`, ``ValidationError``."""
    coordinator = actor.acts_as(Role.COORDINATOR)
    if actor.pk != user.pk and not coordinator:
        raise NotPermitted()
    _volunteer_check(user)
    for _, starts, ends in weekly:
        if ends <= starts:
            raise InvalidWindow(field="weekly")
    if birth_date is not None:
        user_birth_date_set(user=user, birth_date=birth_date, actor=actor)
    profile, _ = profile_lock_or_create(user)
    profile.home_district = home_district
    profile.gender = gender
    profile.has_car = has_car
    profile.languages = languages
    fields = ["home_district", "gender", "has_car", "languages"]
    if manage_insurance and coordinator:
        profile.active = active
        fields.append("active")
        # Once enrolments are kept, the date is theirs (volunteers.services.insurance).
        if not InsuranceEnrolment.objects.filter(volunteer=user).exists():
            profile.insurance_valid_until = insurance_valid_until
            fields.append("insurance_valid_until")
    profile.save(update_fields=fields)
    profile.districts.set(districts)
    profile.skills.set(skills)
    WeeklyAvailability.objects.filter(profile=profile).delete()
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(profile=profile, weekday=d, starts=s, ends=e) for d, s, e in weekly
    )
    matching_slots_rebuild(profile_ids=[profile.pk])
    return profile


@transaction.atomic
def volunteer_profile_start(
    *, user: User, actor: User, district: District | None = None
) -> VolunteerProfile:
    """Give a newly approved volunteer their profile at once, so they are in the
    coordinators' volunteer list the moment they are approved: the district they
    applied from becomes their home district (if none yet) and a district they serve,
    and the matching index is rebuilt (a returning volunteer who already has skills
    and availability is suggested for that district straight away). Idempotent;
    nothing else of an existing profile changes. Registered with
    ``accounts.onboarding`` for the volunteer role (the application is decided in
    ``cms``). Raises :class:`NotPermitted` (``actor`` not a coordinator) and
    :class:`VolunteerRoleRequired`."""
    if not actor.acts_as(Role.COORDINATOR, Role.CITY_STAFF):
        raise NotPermitted()
    _volunteer_check(user)
    profile, _ = profile_lock_or_create(user)
    if district is not None:
        if profile.home_district_id is None:
            profile.home_district = district
            profile.save(update_fields=["home_district"])
        profile.districts.add(district)
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
    Raises :class:`NotPermitted`, :class:`VolunteerRoleRequired`, :class:`InvalidWindow`."""
    if actor.pk != user.pk and not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()
    _volunteer_check(user)
    if available and (starts is None or ends is None or ends <= starts):
        raise InvalidWindow(field="ends")
    profile = profile_lock(user)
    if profile is None:
        raise VolunteerProfile.DoesNotExist("VolunteerProfile matching query does not exist.")
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
    Raises :class:`NotPermitted`, :class:`VolunteerRoleRequired`."""
    if actor.pk != user.pk and not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()
    _volunteer_check(user)
    profile = profile_lock(user)
    if profile is None:
        return False
    removed, _ = AvailabilityException.objects.filter(pk=exception_id, profile=profile).delete()
    if removed:
        matching_slots_rebuild(profile_ids=[profile.pk])
    return bool(removed)
