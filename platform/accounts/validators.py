"""Checks on personal data typed into forms and spreadsheets (shared by every app)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Birth dates before this are typing slips (a year 0195 for 1955), not people.
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


def validate_birth_date(value: dt.date | None) -> None:
    """A birth date is a day in the past, from :data:`EARLIEST_BIRTH_DATE` on."""
    if value is None:
        return
    if value > timezone.localdate():
        raise ValidationError(
            _("The date of birth cannot be in the future."), code="birth_date_future"
        )
    if value < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            _("Enter a date of birth from %(year)s onwards.") % {"year": EARLIEST_BIRTH_DATE.year},
            code="birth_date_too_early",
        )


def age_on(born: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day`` of someone born on ``born``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
