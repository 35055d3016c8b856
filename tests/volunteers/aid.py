"""Builders for the mutual-aid centre's tests (residents, volunteers, requests)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from accounts.models import District
from tests.factories import DistrictFactory, UserFactory
from volunteers.models import (
    ConsentRecord,
    HelpCategory,
    HelpRequest,
    PledgeRecord,
    Resident,
    Wording,
)
from volunteers.selectors.consent import wording_current
from volunteers.services.help_requests import request_receive
from volunteers.services.profiles import volunteer_profile_save

TOKYO = timezone.get_default_timezone()
# A Tuesday, inside service hours.
DAY = dt.date(2030, 6, 4)
_names = itertools.count()


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TOKYO)


def category(code: str = "shopping") -> HelpCategory:
    return HelpCategory.objects.get(code=code)


def consent_given(res: Resident) -> ConsentRecord:
    """The resident's consent on record (as a coordinator would record it)."""
    return ConsentRecord.objects.create(
        resident=res,
        decision=ConsentRecord.Decision.GIVEN,
        method=ConsentRecord.Method.PHONE,
        wording=wording_current(Wording.Kind.CONSENT),
        recorded_by=UserFactory(roles=["coordinator"]),
    )


def pledged(user) -> PledgeRecord:
    """The volunteer's pledge on the wording in force."""
    return PledgeRecord.objects.create(
        volunteer=user,
        wording=wording_current(Wording.Kind.PLEDGE),
        method=PledgeRecord.Method.PAGE,
        recorded_by=user,
    )


def resident(district: District | None = None, *, consent: bool = True, **fields) -> Resident:
    n = next(_names)
    defaults = {
        "full_name": f"山本 ハル{n}",
        "full_name_kana": "ヤマモト ハル",
        "address": f"緑町{n}-1-1",
        "district": district or DistrictFactory(),
        "phone": "+81312345678",
        "gender": "female",
    }
    defaults.update(fields)
    created = Resident.objects.create(**defaults)
    if consent:
        consent_given(created)
    return created


def volunteer(
    district: District,
    *,
    skills=("shopping",),
    weekly=((1, dt.time(9), dt.time(16)),),  # Tuesdays, as DAY
    insurance: dt.date | None = dt.date(2031, 3, 31),
    home_district: District | None = None,
    active: bool = True,
    pledge: bool = True,
    **fields,
):
    user = UserFactory(roles=["volunteer"], full_name=fields.pop("full_name", "佐藤 一郎"))
    volunteer_profile_save(
        user=user,
        actor=UserFactory.build(is_superuser=True),
        districts=[district],
        skills=[category(code) for code in skills],
        weekly=list(weekly),
        home_district=home_district,
        insurance_valid_until=insurance,
        active=active,
        manage_insurance=True,
        **fields,
    )
    if pledge:
        pledged(user)
    return user


def help_request(
    coordinator, res: Resident, *, code: str = "shopping", start=None, end=None, notes: str = ""
) -> HelpRequest:
    return request_receive(
        actor=coordinator,
        resident=res,
        category=category(code),
        starts_at=start or at(10),
        ends_at=end or at(11),
        notes=notes,
    )
