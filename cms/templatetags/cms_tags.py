"""Template filters of the public site: dates in Japanese style.

``{{ event.start_at|jp_date }}`` → ``2026年12月5日(土)``;
``{% event_when event %}`` → ``2026年12月5日(土) 10:00〜12:00`` (or, across days,
``2026年12月5日(土) 10:00〜12月6日(日) 12:00``, across years with the end's year). The
weekday is the one in Asia/Tokyo (the site's time zone), not in UTC. In English the
same information reads ``Sat 5 Dec 2026, 10:00–12:00``. All of it is
:mod:`core.formats`.
"""

from __future__ import annotations

from django import template

from core import formats

register = template.Library()


@register.filter
def jp_date(value) -> str:
    """A date (or aware datetime, taken in the site's time zone) as 2026年12月5日(土)."""
    return formats.date(value)


@register.filter
def jp_time(value) -> str:
    return formats.time(value)


@register.simple_tag
def when(start, end=None) -> str:
    """A start–end range in one line (:func:`core.formats.datetime_range`)."""
    return formats.datetime_range(start, end)


@register.simple_tag
def event_when(event) -> str:
    return when(event.start_at, event.end_at)


@register.simple_tag
def mutual_aid_phone() -> str:
    """The centre's phone number, edited on the home page (shown in every footer)."""
    from cms.models import HomePage

    home = HomePage.objects.only("mutual_aid_phone").first()
    return home.mutual_aid_phone if home else ""
