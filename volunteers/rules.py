"""Rules shared by the models' validation and the services, written once."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts.models import Role, User
from core.errors import NotPermitted
from volunteers.exceptions import InvalidWindow, OutsideServiceHours

if TYPE_CHECKING:
    from volunteers.models import HelpCategory


def service_window_check(
    category: HelpCategory, starts_at: dt.datetime, ends_at: dt.datetime
) -> None:
    """A window of help must end after it starts, on the same Tokyo day, within the
    category's service hours. Requests taken by coordinators and the occurrences of
    standing requests are held to this rule. Raises :class:`InvalidWindow` (field
    ``ends_at``) or :class:`OutsideServiceHours` (field ``starts_at``)."""
    if ends_at <= starts_at:
        raise InvalidWindow(field="ends_at")
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    if start.date() != end.date():
        raise InvalidWindow(field="ends_at")
    if start.time() < category.service_starts or end.time() > category.service_ends:
        raise OutsideServiceHours(
            field="starts_at",
            starts=category.service_starts.strftime("%H:%M"),
            ends=category.service_ends.strftime("%H:%M"),
        )


def coordinator_check(actor: User) -> None:
    """Raises :class:`NotPermitted` unless ``actor`` acts as a coordinator."""
    if not actor.acts_as(Role.COORDINATOR):
        raise NotPermitted()


def insurance_and_training_check(actor: User) -> None:
    """Insurance enrolments and training sessions are kept by coordinators and city
    staff (the city usually pays the premium). Raises :class:`NotPermitted`."""
    if not actor.acts_as(Role.COORDINATOR, Role.CITY_STAFF):
        raise NotPermitted()
