"""Template filters of the public site: dates in Japanese style.

``{{ event.start_at|jp_date }}`` → ``2026年12月5日(土)``;
``{% event_when event %}`` → ``2026年12月5日(土) 10:00〜12:00`` (or, across days,
``2026年12月5日(土) 10:00〜12月6日(日) 12:00``). The weekday is the one in Asia/Tokyo
(the site's time zone), not in UTC. In English the same information reads
``Sat 5 Dec 2026, 10:00–12:00``.
"""

from __future__ import annotations

from django import template
from django.utils import translation
from django.utils.dateformat import format as date_format

from core.formats import as_local

register = template.Library()

WEEKDAYS_JA = "月火水木金土日"


def _ja() -> bool:
    return (translation.get_language() or "ja").startswith("ja")


@register.filter
def jp_date(value) -> str:
    """A date (or aware datetime, taken in the site's time zone) as 2026年12月5日(土)."""
    if not value:
        return ""
    value = as_local(value)
    if _ja():
        return f"{value.year}年{value.month}月{value.day}日({WEEKDAYS_JA[value.weekday()]})"
    return date_format(value, "D j M Y")


@register.filter
def jp_time(value) -> str:
    value = as_local(value)
    return f"{value:%H:%M}" if value else ""


@register.simple_tag
def when(start, end=None) -> str:
    """A start–end range in one line; the end's date is repeated only if it differs."""
    if not start:
        return ""
    start, end = as_local(start), as_local(end)
    if _ja():
        text = f"{jp_date(start)} {start:%H:%M}"
        if end:
            if end.date() == start.date():
                text += f"〜{end:%H:%M}"
            else:
                text += f"〜{end.month}月{end.day}日({WEEKDAYS_JA[end.weekday()]}) {end:%H:%M}"
        return text
    text = f"{date_format(start, 'D j M Y')}, {start:%H:%M}"
    if end:
        if end.date() == start.date():
            text += f"–{end:%H:%M}"
        else:
            text += f" – {date_format(end, 'D j M Y')}, {end:%H:%M}"
    return text


@register.simple_tag
def event_when(event) -> str:
    return when(event.start_at, event.end_at)


@register.simple_tag
def mutual_aid_phone() -> str:
    """The centre's phone number, edited on the home page (shown in every footer)."""
    from cms.models import HomePage

    home = HomePage.objects.only("mutual_aid_phone").first()
    return home.mutual_aid_phone if home else ""
