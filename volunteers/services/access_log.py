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
    residents: Iterable[Resident],
    action: PersonalDataAccess.Action | str,
    resource: str,
    reason: str,
    request_id: str = "",
) -> int:
    """Log that ``actor`` saw (``view``), printed or exported the details of each of
    ``residents`` (each once, however often it appears), at ``resource`` (the page),
    for ``reason``. Returns the number of entries written. Entries are never changed
    or deleted afterwards."""
    unique = {resident.pk: resident for resident in residents}
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            actor=actor,
            resident=resident,
            action=PersonalDataAccess.Action(action),
            resource=resource[:200],
            reason=reason[:200],
            request_id=request_id[:64],
        )
        for resident in unique.values()
    )
    return len(unique)
