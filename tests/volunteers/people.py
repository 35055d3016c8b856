"""A resident and a volunteer with a history of everything the centre records about a
person, and a second of each with a history of their own (whose data must never turn
up in the first one's disclosure), for the personal data tests (issue #19)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.utils import timezone

from accounts.models import User
from points.codes import unseal
from points.models import EarningRule, Shop, Voucher
from points.services.earning import points_award
from points.services.vouchers import voucher_exchange, voucher_redeem
from tests.factories import DistrictFactory, UserFactory
from tests.volunteers.aid import TOKYO, category, resident, volunteer
from volunteers.models import Activity, Assignment, HelpRequest, Place, Resident
from volunteers.services.access_log import personal_data_access_record
from volunteers.services.activity import activity_record
from volunteers.services.help_requests import (
    assignment_confirm,
    assignment_finish,
    assignment_start,
    request_assign,
    request_offer,
    request_receive,
    resident_details_open,
)


@dataclasses.dataclass
class Person:
    resident: Resident
    helper: User
    requests: list[HelpRequest]
    assignments: list[Assignment]
    vouchers: list[Voucher]
    codes: list[str]


def _past(days: int, hour: int) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TOKYO)


def _confirmed(coordinator, req: HelpRequest, helper: User, *, cash: int, note: str = ""):
    assignment = request_assign(help_request=req, volunteer=helper, actor=coordinator)
    resident_details_open(assignment=assignment, user=helper, via="web")
    assignment_start(assignment=assignment, actor=coordinator, at=req.starts_at)
    assignment_finish(assignment=assignment, actor=coordinator, at=req.ends_at)
    return assignment_confirm(
        assignment=assignment,
        actor=coordinator,
        cash_received_yen=cash,
        minutes=req.duration_minutes,
        cash_note=note,
    )


def person_with_history(coordinator, tag: str, *, shop: Shop, rule: EarningRule) -> Person:
    """A resident ``tag`` helped twice by volunteer ``tag`` (fees, one cash shortfall
    paid later), a request still unoffered, an activity at a place, points credited,
    two vouchers (one used at ``shop``) and a staff member's look at the resident."""
    district = DistrictFactory()
    res = resident(
        district,
        full_name=f"{tag}田 花子",
        full_name_kana="ハナコ",
        address=f"{tag}町1-2-3",
        phone="+81312340000" if tag == "甲" else "+81398760000",
        emergency_contact=f"{tag}田 長男 090-0000-0000",
        notes=f"{tag}の耳が遠い",
    )
    helper = volunteer(
        district,
        full_name=f"{tag}山 一郎",
        weekly=tuple((d, dt.time(8), dt.time(20)) for d in range(7)),
    )
    User.objects.filter(pk=helper.pk).update(phone="+819011112222", birth_date=dt.date(1950, 1, 2))
    helper.refresh_from_db()
    requests, assignments = [], []
    for days, cash, note in ((20, 600, ""), (10, 400, f"{tag}次回200円")):
        starts = _past(days, 10)
        req = HelpRequest.objects.create(
            resident=res,
            category=category("shopping"),
            district=district,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=60),
            place=f"{tag}スーパー",
            notes=f"{tag}牛乳",
            received_by=coordinator,
        )
        requests.append(req)
        assignments.append(_confirmed(coordinator, req, helper, cash=cash, note=note))
    later = timezone.localtime() + dt.timedelta(days=3)
    later = later.replace(hour=10, minute=0, second=0, microsecond=0)
    requests.append(
        request_receive(
            actor=coordinator,
            resident=res,
            category=category("shopping"),
            starts_at=later,
            ends_at=later + dt.timedelta(hours=1),
            notes=f"{tag}将来",
        )
    )
    personal_data_access_record(
        actor=coordinator, residents=[res], action="view", resource="test", reason="電話対応"
    )
    place = Place.objects.create(name=f"{tag}サロン", kind=Place.Kind.SALON, earning_rule=rule)
    activity_record(
        volunteer=helper,
        place=place,
        started_at=_past(5, 9),
        ended_at=_past(5, 11),
        recorded_by=coordinator,
    )
    for key in range(12):
        points_award(
            user=helper,
            rule=rule,
            activity_date=timezone.localdate() - dt.timedelta(days=30 + key),
            duration_minutes=120,
            idempotency_key=f"{tag}-{key}",
        )
    _txn, vouchers = voucher_exchange(user=helper, count=2, idempotency_key=f"{tag}-exchange")
    codes = [unseal(voucher.code_sealed) for voucher in vouchers]
    clerk = UserFactory(roles=["shop_staff"])
    shop.memberships.create(user=clerk)
    voucher_redeem(typed_code=codes[0], shop=shop, staff=clerk)
    return Person(res, helper, requests, assignments, vouchers, codes)


def offered_request(coordinator, person: Person, helper: User) -> HelpRequest:
    """A request of ``person``'s resident, offered to ``helper`` (still open)."""
    later = timezone.localtime() + dt.timedelta(days=4)
    later = later.replace(hour=11, minute=0, second=0, microsecond=0)
    req = request_receive(
        actor=coordinator,
        resident=person.resident,
        category=category("shopping"),
        starts_at=later,
        ends_at=later + dt.timedelta(hours=1),
    )
    request_offer(help_request=req, volunteers=[helper], actor=coordinator)
    return req


__all__ = ["Activity", "Person", "offered_request", "person_with_history"]
