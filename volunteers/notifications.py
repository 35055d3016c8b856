"""How volunteers are told about offers and assignments.

A :class:`Channel` delivers one message to one person. Email is the first channel;
a LINE channel implements the same two methods and is listed in
``settings.VOLUNTEER_NOTIFICATION_CHANNELS``. Messages never carry the resident's
name or address: only district, task and time, and a link to sign in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.models import User, language_for
from core import formats, site
from core.outbox import send_once
from volunteers.models import HelpRequest


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


class Channel(Protocol):
    def can_reach(self, user: User) -> bool: ...

    def send(self, user: User, message: Message) -> None: ...


class EmailChannel:
    def can_reach(self, user: User) -> bool:
        return bool(user.email and user.is_active)

    def send(self, user: User, message: Message) -> None:
        send_mail(message.subject, message.body, None, [user.email])


def channels() -> list[Channel]:
    return [import_string(path)() for path in settings.VOLUNTEER_NOTIFICATION_CHANNELS]


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
    sent = 0
    with translation.override(language_for(user)):
        message = Message(subject=subject(help_request), body=body(help_request))
    for channel in channels():
        if channel.can_reach(user):
            channel.send(user, message)
            sent += 1
    return sent


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
