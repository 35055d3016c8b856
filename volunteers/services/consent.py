"""Writing residents' consent, volunteers' confidentiality pledges and new wordings
(volunteers.models.consent). The rules that use them are in
``volunteers.services.help_requests``: no offer or assignment without both."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Role, User
from core.errors import NotPermitted
from volunteers.locks import resident_lock
from volunteers.models import ConsentRecord, Offer, PledgeRecord, Resident, Wording
from volunteers.rules import coordinator_check
from volunteers.selectors.consent import wording_current


@transaction.atomic
def consent_record(
    *,
    resident: Resident,
    decision: ConsentRecord.Decision | str,
    method: ConsentRecord.Method | str,
    actor: User,
    note: str = "",
) -> ConsentRecord:
    """Record that a resident gave or withdrew consent to sharing their details with
    the volunteer assigned to their request, on the wording in force. Records are
    never changed: the latest one is in force.

    Withdrawing closes the open offers for the resident's requests (status
    *withdrawn*), so no volunteer can accept one and be shown the details; requests
    already assigned keep their volunteer. Raises :class:`NotPermitted` unless the
    actor is a coordinator.
    """
    coordinator_check(actor)
    resident_lock(resident.pk)  # one at a time
    record = ConsentRecord.objects.create(
        resident=resident,
        decision=decision,
        method=method,
        wording=wording_current(Wording.Kind.CONSENT),
        recorded_by=actor,
        note=note,
    )
    if decision == ConsentRecord.Decision.WITHDRAWN:
        Offer.objects.filter(request__resident=resident, status=Offer.Status.OPEN).update(
            status=Offer.Status.WITHDRAWN, answered_at=timezone.now()
        )
    return record


@transaction.atomic
def pledge_accept(
    *, volunteer: User, actor: User, method: PledgeRecord.Method | str = PledgeRecord.Method.PAGE
) -> PledgeRecord:
    """The volunteer accepts the confidentiality pledge in force on their page
    (``page``: only they can), or a coordinator records their signed paper pledge
    (``paper``). Once per wording: accepting again returns the first record.
    Raises :class:`NotPermitted`.
    """
    if method == PledgeRecord.Method.PAGE and actor.pk != volunteer.pk:
        raise NotPermitted()
    if method == PledgeRecord.Method.PAPER:
        coordinator_check(actor)
    record, _ = PledgeRecord.objects.get_or_create(
        volunteer=volunteer,
        wording=wording_current(Wording.Kind.PLEDGE),
        defaults={"method": method, "recorded_by": actor},
    )
    return record


@transaction.atomic
def wording_publish(*, kind: Wording.Kind | str, text: str, actor: User) -> Wording:
    """Publish a new version of a wording; it is in force at once. A new pledge
    wording means every volunteer accepts it again before their next offer; residents'
    earlier consent stays in force (it names the wording it was given on). City staff
    only: raises :class:`NotPermitted`."""
    if not actor.acts_as(Role.CITY_STAFF):
        raise NotPermitted()
    # Publishers of one kind queue on its existing rows (version 1 is made by a
    # migration); the latest version is read by a second statement, once the lock is
    # held, so it sees a version the one before committed while this one waited.
    list(Wording.objects.select_for_update().filter(kind=kind).order_by("pk"))
    latest = Wording.objects.filter(kind=kind).aggregate(latest=Max("version"))["latest"] or 0
    return Wording.objects.create(kind=kind, version=latest + 1, text=text, created_by=actor)
