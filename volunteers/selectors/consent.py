"""Reads of consent and pledges (volunteers.models.consent)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from accounts.models import User
from volunteers.models import ConsentRecord, PledgeRecord, Resident, Wording


def wording_current(kind: str) -> Wording:
    """The wording in force: the highest version of ``kind`` (migration 0011 makes v1)."""
    return Wording.objects.filter(kind=kind).order_by("-version").first()


def consent_latest(resident: Resident) -> ConsentRecord | None:
    return resident.consents.select_related("recorded_by", "wording").first()


def consent_in_force(resident: Resident) -> bool:
    """The resident's latest record is consent given."""
    latest = resident.consents.values_list("decision", flat=True).first()
    return latest == ConsentRecord.Decision.GIVEN


def pledge_current(volunteer: User) -> PledgeRecord | None:
    """The volunteer's pledge on the wording in force, if any."""
    wording = wording_current(Wording.Kind.PLEDGE)
    return PledgeRecord.objects.filter(volunteer=volunteer, wording=wording).first()


def without_current_pledge(volunteers: QuerySet[User]) -> QuerySet[User]:
    """Those of ``volunteers`` with no pledge on the wording in force (one query)."""
    in_force = Wording.objects.filter(kind=Wording.Kind.PLEDGE).order_by("-version")
    pledged = PledgeRecord.objects.filter(
        volunteer=OuterRef("pk"), wording=Subquery(in_force.values("pk")[:1])
    )
    return volunteers.filter(~Exists(pledged))
