"""The channels through which people are told things (email today; LINE joins behind
the same two methods).

It lives in the platform layer so that every app may tell its users something (the
centre its offers, the points scheme its expiry notices) through one list of channels,
``settings.VOLUNTEER_NOTIFICATION_CHANNELS``. Sending one message once is
:func:`core.outbox.send_once`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from accounts.models import User


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


def reachable(user: User) -> bool:
    """Can any configured channel reach ``user``? (Those who cannot are phoned.)"""
    return any(channel.can_reach(user) for channel in channels())


def deliver(user: User, message: Message) -> int:
    """Send ``message`` to ``user`` on every channel that can reach them; returns how
    many sent it (0: nobody could, the caller decides who phones them). Raises what a
    channel raises. Never call it inside a transaction (DESIGN.md §11)."""
    sent = 0
    for channel in channels():
        if channel.can_reach(user):
            channel.send(user, message)
            sent += 1
    return sent
