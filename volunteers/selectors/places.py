"""Reads for posters and cards: the signed token printed on each, what a scanned
token points at, and the places a host staff member scans cards for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import User
from points import codes
from qr import tokens
from volunteers.exceptions import InvalidScan
from volunteers.models import Place, VolunteerCard


def place_token(place: Place) -> str:
    """The signed token on the place's current poster."""
    return tokens.make("place", place.pk, place.qr_version)


def card_token(card: VolunteerCard) -> str:
    """The signed token on the volunteer's current card."""
    return tokens.make("card", card.user_id, card.version)


@dataclass(frozen=True)
class ScanTarget:
    """What a scanned token points at: a place's poster or a volunteer's card."""

    place: Place | None = None
    volunteer: User | None = None


def scan_resolve(token: str) -> ScanTarget:
    """Check a scanned token and return what it points at.

    Raises :class:`InvalidScan` with reason ``voucher`` (a shop voucher's code),
    ``tampered``, ``revoked`` (an old print), ``unknown`` or ``inactive``.
    """
    try:
        codes.normalize(token)
    except ValueError:
        pass
    else:
        raise InvalidScan("voucher")
    try:
        found = tokens.identify(token)
    except tokens.BadToken as error:
        raise InvalidScan(error.reason) from error
    if found.purpose == "place":
        place = Place.objects.select_related("earning_rule").filter(pk=found.object_id).first()
        if place is None:
            raise InvalidScan("unknown")
        if found.version != place.qr_version:
            raise InvalidScan("revoked")
        if not place.active:
            raise InvalidScan("inactive")
        return ScanTarget(place=place)
    card = VolunteerCard.objects.select_related("user").filter(user_id=found.object_id).first()
    if card is None:
        raise InvalidScan("unknown")
    if found.version != card.version:
        raise InvalidScan("revoked")
    return ScanTarget(volunteer=card.user)


def places_hosted_by(user: User) -> QuerySet[Place]:
    return Place.objects.filter(hosts=user, active=True).order_by("name")


#: The kiosk's code changes every this many seconds; the current and the previous
#: window's codes are accepted (a code read just before it changed still works).
KIOSK_CODE_SECONDS = 60
KIOSK_CODE_DIGITS = 6


def _kiosk_window(at: dt.datetime | None) -> int:
    return int((at or timezone.now()).timestamp()) // KIOSK_CODE_SECONDS


def kiosk_code(place: Place, *, at: dt.datetime | None = None, window: int | None = None) -> str:
    """The code the place's kiosk shows now: an HMAC of the server's secret, the place
    and its poster version (reprinting changes the codes too) and the minute, never
    stored and never derivable from anything printed."""
    window = _kiosk_window(at) if window is None else window
    digest = salted_hmac(
        "ikiiki.kiosk-code", f"{place.pk}:{place.qr_version}:{window}", algorithm="sha256"
    ).hexdigest()
    return str(int(digest[:15], 16) % 10**KIOSK_CODE_DIGITS).zfill(KIOSK_CODE_DIGITS)


def kiosk_code_valid(place: Place, code: str, *, at: dt.datetime | None = None) -> bool:
    """Whether ``code`` (spaces ignored) is the kiosk's current or previous code."""
    typed = "".join(str(code or "").split())
    now = _kiosk_window(at)
    return bool(typed) and any(
        constant_time_compare(typed, kiosk_code(place, window=w)) for w in (now, now - 1)
    )


def place_hosted(user: User, place_id: int) -> Place | None:
    """The active place ``place_id`` if ``user`` is one of its host staff."""
    return Place.objects.filter(pk=place_id, hosts=user, active=True).first()
