"""Presence before points: what a self check-in must bring, by the place's choice.

A photographed poster alone earns nothing. At a kiosk place the scan carries the code
the kiosk shows now (checked here, wrong guesses limited per volunteer); at a card
place only host staff check volunteers in; at a host place the self check-in is
recorded and waits for a host's confirmation (``volunteers.services.activity``).
"""

from __future__ import annotations

from core import ratelimit
from volunteers.exceptions import InvalidKioskCode, SelfCheckInClosed
from volunteers.models import Place
from volunteers.selectors.places import kiosk_code_valid

#: Wrong kiosk codes allowed per volunteer in :data:`KIOSK_FAILURE_PERIOD` seconds.
KIOSK_FAILURE_LIMIT = 10
KIOSK_FAILURE_PERIOD = 300


def presence_check(*, place: Place, user, kiosk_code: str = "") -> None:
    """Refuse a self scan at ``place`` that does not bring what the place requires.
    Writes nothing but the failure counter. Raises :class:`SelfCheckInClosed` (a card
    place) and :class:`InvalidKioskCode` (reason ``missing``, ``wrong``, ``too_many``)."""
    if place.presence == Place.Presence.CARD:
        raise SelfCheckInClosed()
    if place.presence != Place.Presence.KIOSK:
        return
    keys = [f"kiosk-code:user:{user.pk}"]
    if ratelimit.blocked(keys, limit=KIOSK_FAILURE_LIMIT, period=KIOSK_FAILURE_PERIOD):
        raise InvalidKioskCode("too_many")
    if not str(kiosk_code or "").strip():
        raise InvalidKioskCode("missing")
    if not kiosk_code_valid(place, kiosk_code):
        ratelimit.record_failure(keys, period=KIOSK_FAILURE_PERIOD)
        raise InvalidKioskCode("wrong")
