"""The channels through which people are told things: email, and LINE for those who
linked their LINE account (allauth's LINE provider) when the city configured LINE.

It lives in the platform layer so that every app may tell its users something (the
centre its offers, the points scheme its expiry notices) through one list of channels,
``settings.VOLUNTEER_NOTIFICATION_CHANNELS``. Sending one message once is
:func:`core.outbox.send_once`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from core import line
from core.outbox import sending_key, sent_memory_key

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

#: allauth's provider id of LINE Login; a SocialAccount's uid is the LINE userId,
#: the recipient of Messaging API pushes (when both channels share one provider).
LINE_PROVIDER = "line"


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


class LineChannel:
    """A push message through the Messaging API to users who linked LINE.

    Reaches active users with a linked LINE account; unlinking it (the connections page)
    stops it. Sent under :func:`core.outbox.send_once`, the push carries a retry key
    derived from the message's key, so a retry is never delivered twice. A refusal for
    good raises :class:`Undeliverable`; when LINE refused this recipient (not the
    channel as a whole: a wrong token is 401/403), it is recorded
    (:class:`core.models.LineRefusal`) and LINE stops reaching them until they ask
    for it again (:func:`line_retry`), so that they are emailed or phoned instead."""

    def _account(self, user: User):
        from allauth.socialaccount.models import SocialAccount

        return (
            SocialAccount.objects.filter(user=user, provider=LINE_PROVIDER)
            .filter(line_refusal__isnull=True)
            .order_by("pk")
            .only("pk", "uid")
            .first()
        )

    def can_reach(self, user: User) -> bool:
        if not (settings.LINE_CHANNEL_ACCESS_TOKEN and user.is_active):
            return False
        return self._account(user) is not None

    def send(self, user: User, message: Message) -> None:
        account = self._account(user)
        if account is None:
            raise Undeliverable("LINE is no longer linked, or refused")
        to = account.uid
        key = sending_key()
        try:
            line.line_push(
                to=to,
                text=line.line_text(message.subject, message.body),
                retry_key=line.line_retry_key(key, to) if key else None,
            )
        except line.LineRefused as exc:
            if exc.status not in CHANNEL_WIDE_REFUSALS:
                line_refusal_record(account, status=exc.status)
            raise Undeliverable(str(exc)) from exc


#: LINE's answers that refuse the channel itself (its token), not one recipient.
CHANNEL_WIDE_REFUSALS = frozenset({401, 403})


def line_refusal_record(account, *, status: int) -> None:
    """Remember that LINE refused to push to ``account`` (a linked SocialAccount) for
    good. Idempotent: the first refusal's time is kept."""
    from django.utils import timezone

    from core.models import LineRefusal

    LineRefusal.objects.get_or_create(
        account=account, defaults={"refused_at": timezone.now(), "status": status}
    )


def line_refused_since(user: User):
    """When LINE refused to reach ``user``'s linked account, or None (not linked, or
    not refused)."""
    from core.models import LineRefusal

    return (
        LineRefusal.objects.filter(account__user=user, account__provider=LINE_PROVIDER)
        .order_by("refused_at")
        .values_list("refused_at", flat=True)
        .first()
    )


def line_retry(user: User) -> int:
    """``user`` asks to be told on LINE again (having added the official account as a
    friend): their refusals are forgotten. Returns how many were."""
    from core.models import LineRefusal

    deleted, _ = LineRefusal.objects.filter(
        account__user=user, account__provider=LINE_PROVIDER
    ).delete()
    return deleted


def line_linking_available() -> bool:
    """Can volunteers link LINE and be told there? (LINE Login's app and the Messaging
    API's token both configured.)"""
    from allauth.socialaccount.adapter import get_adapter

    return bool(settings.LINE_CHANNEL_ACCESS_TOKEN) and bool(
        get_adapter().list_apps(None, provider=LINE_PROVIDER)
    )


def line_linked(user: User) -> bool:
    """Has ``user`` linked a LINE account?"""
    from allauth.socialaccount.models import SocialAccount

    return SocialAccount.objects.filter(user=user, provider=LINE_PROVIDER).exists()


class Undeliverable(Exception):
    """A channel that could reach someone refused this message for good: trying again
    would not help (the others still send it)."""


def channels() -> list[Channel]:
    return [import_string(path)() for path in settings.VOLUNTEER_NOTIFICATION_CHANNELS]


def reachable(user: User) -> bool:
    """Can any configured channel reach ``user``? (Those who cannot are phoned.)"""
    return any(channel.can_reach(user) for channel in channels())


def deliver(user: User, message: Message) -> int:
    """Send ``message`` to ``user`` on every channel that can reach them; returns how
    many sent it (0: nobody could, the caller decides who phones them). A channel
    that refuses the message for good (:class:`Undeliverable`) is logged and not
    counted. Any other error of a channel (LINE down or over its quota) does not keep
    the others from sending: the first such error is raised once every channel has
    been tried, for the task to retry. Under :func:`core.outbox.send_once` each
    channel that sent is remembered, so that retry sends again only on the channels
    that failed. Never call it inside a transaction (DESIGN.md §11)."""
    key = sending_key()
    sent = 0
    failure: Exception | None = None
    for channel in channels():
        if not channel.can_reach(user):
            continue
        done = f"{sent_memory_key(key)}:{type(channel).__name__}" if key else None
        if done and cache.get(done):
            sent += 1
            continue
        try:
            channel.send(user, message)
        except Undeliverable as exc:
            logger.warning(
                "%s could not deliver to user %s: %s", type(channel).__name__, user.pk, exc
            )
            continue
        except Exception as exc:  # retried by the task; the other channels go on
            logger.warning(
                "%s failed for user %s (to be retried): %r", type(channel).__name__, user.pk, exc
            )
            failure = failure or exc
            continue
        if done:
            cache.set(done, 1, timeout=settings.SENT_MEMORY_SECONDS)
        sent += 1
    if failure is not None:
        raise failure
    return sent
