"""Dates and times as the back office and the public site show them: in the site's
time zone (``Asia/Tokyo``), whatever zone the database handed back."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def as_local(value):
    """An aware datetime moved to the site's time zone; anything else (a date, a naive
    datetime, None) as it is."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def local_datetime(value: dt.datetime | None, empty: str = "—") -> str:
    """``2026-12-02 10:00`` in the site's time zone (the admin listings' format);
    ``empty`` when there is no value."""
    return as_local(value).strftime("%Y-%m-%d %H:%M") if value else empty
