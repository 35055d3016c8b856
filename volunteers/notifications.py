"""How volunteers are told about offers and assignments.

A :class:`Channel` delivers one message to one person (:mod:`core.notify`, re-exported
here). Email is the first channel; a LINE channel implements the same two methods and
is listed in ``settings.VOLUNTEER_NOTIFICATION_CHANNELS``. Messages never carry the resident's
name or address: only district, task and time, and a link to sign in.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User, language_for
from core import formats, site
from core.notify import Channel, EmailChannel, Message, channels, deliver
from core.outbox import send_once
from volunteers.models import HelpRequest

__all__ = ["Channel", "EmailChannel", "Message", "channels", "notify", "notify_once"]


def _summary(help_request: HelpRequest) -> str:
    start, end = help_request.starts_at, help_request.ends_at
    # Together these read as formats.datetime_range: 2026年12月3日(木) 10:00〜11:00.
    return _("%(task)s in %(district)s, %(day)s %(start)s–%(end)s") % {
        "task": help_request.category.name,
        "district": help_request.district.name,
        "day": formats.date(start),
        "start": formats.time(start),
        "end": formats.time(end),
    }


def _link(name: str) -> str:
    return site.absolute_url(reverse(name))


MESSAGES = {
    "offer": (
        lambda r: _("New request: %(summary)s") % {"summary": _summary(r)},
        lambda r: (
            _("Can you help? %(summary)s\nAnswer here: %(link)s")
            % {"summary": _summary(r), "link": _link("my-offers")}
        ),
    ),
    "taken": (
        lambda r: _("Already taken: %(summary)s") % {"summary": _summary(r)},
        lambda r: (
            _("Thank you. Someone else has taken this request: %(summary)s")
            % {"summary": _summary(r)}
        ),
    ),
    "assigned": (
        lambda r: _("You are helping: %(summary)s") % {"summary": _summary(r)},
        lambda r: (
            _("Thank you for taking it. Details: %(link)s") % {"link": _link("my-assignments")}
        ),
    ),
    "reminder": (
        lambda r: _("Tomorrow: %(summary)s") % {"summary": _summary(r)},
        lambda r: (
            _("A reminder of tomorrow's help. Details: %(link)s")
            % {"link": _link("my-assignments")}
        ),
    ),
    "cancelled": (
        lambda r: _("Cancelled: %(summary)s") % {"summary": _summary(r)},
        lambda r: (
            _("This request has been cancelled; you do not need to go: %(summary)s")
            % {"summary": _summary(r)}
        ),
    ),
}


def notify(user: User, kind: str, help_request: HelpRequest) -> int:
    """Send message ``kind`` about ``help_request`` to ``user`` on every channel that
    can reach them, in their language. Returns how many channels sent it."""
    subject, body = MESSAGES[kind]
    with translation.override(language_for(user)):
        message = Message(subject=subject(help_request), body=body(help_request))
    return deliver(user, message)


def notify_once(
    *,
    key: str,
    find: Callable[[], tuple[User, str, HelpRequest] | None],
    mark: Callable[[], object] | None = None,
) -> int:
    """:func:`notify` at least once and, but for a crash between sending and marking,
    once (:func:`core.outbox.send_once`, no transaction open while sending). ``find``
    reads the current state under the claim and returns ``(user, kind, request)``, or
    ``None`` when the message is no longer due. Without ``mark`` the message is
    remembered as sent in the cache under ``key``."""

    def prepare():
        found = find()
        if found is None:
            return None
        return lambda: notify(*found)

    return send_once(key=f"volunteers.{key}", prepare=prepare, mark=mark)
