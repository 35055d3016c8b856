"""Reads for posters and cards: the signed token printed on each, what a scanned
token points at, and the places a host staff member scans cards for."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

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
