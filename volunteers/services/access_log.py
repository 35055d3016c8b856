"""Writing the personal data access log (:class:`PersonalDataAccess`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts.models import User
from volunteers.models import PersonalDataAccess, Resident


@transaction.atomic
def personal_data_access_record(
    *,
    actor: User,
    residents: Iterable[Resident] = (),
    subjects: Iterable[User] = (),
    action: PersonalDataAccess.Action | str,
    resource: str,
    reason: str,
    request_id: str = "",
) -> int:
    """Log that ``actor`` saw (``view``), printed, exported, disclosed or erased the
    details of each of ``residents`` (residents' records) and ``subjects`` (people's
    accounts: volunteers), each once however often it appears, at ``resource`` (the
    page), for ``reason``. Returns the number of entries written. Entries are never
    changed or deleted afterwards."""
    whom = {("r", resident.pk): {"resident": resident} for resident in residents}
    whom.update({("u", user.pk): {"subject": user} for user in subjects})
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            actor=actor,
            action=PersonalDataAccess.Action(action),
            resource=resource[:200],
            reason=reason[:200],
            request_id=request_id[:64],
            **who,
        )
        for who in whom.values()
    )
    return len(whom)
