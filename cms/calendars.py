"""iCalendar (RFC 5545) feeds of district events, built with the icalendar library.

* UIDs are ``event-<page id>@<site host>``: stable across edits, feeds and renames,
  so a subscribed calendar updates an event instead of duplicating it.
* Times carry ``TZID=Asia/Tokyo`` with a matching VTIMEZONE component.
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.html import strip_tags
from icalendar import Calendar, Event

from cms.models import EventPage

TOKYO = ZoneInfo("Asia/Tokyo")
PRODID = "-//ikiiki-platform//district events//JA"


def event_uid(event: EventPage, host: str) -> str:
    return f"event-{event.pk}@{host}"


def calendar_build(
    events: Iterable[EventPage], *, host: str, name: str, url_for=lambda event: ""
) -> bytes:
    """The events as one VCALENDAR. ``url_for`` gives each event's absolute URL."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Tokyo")
    stamp = timezone.now()
    for event in events:
        entry = Event()
        entry.add("uid", event_uid(event, host))
        entry.add("dtstamp", stamp)
        entry.add("dtstart", event.start_at.astimezone(TOKYO))
        entry.add("dtend", event.end_at.astimezone(TOKYO))
        entry.add("summary", event.title)
        location = " ".join(part for part in (event.venue, event.address) if part)
        if location:
            entry.add("location", location)
        description = "\n".join(
            part for part in (strip_tags(event.description).strip(), event.contact) if part
        )
        if description:
            entry.add("description", description)
        if event.last_published_at:
            entry.add("last-modified", event.last_published_at)
        url = url_for(event)
        if url:
            entry.add("url", url)
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
