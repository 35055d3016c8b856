"""Rendering the printed QR codes: scan URLs and the wallet-size card, shared by the
volunteer's own page and the back office's print view."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from qr.render import svg
from volunteers.selectors.places import card_token
from volunteers.services.places import card_for


def scan_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("scan", args=[token]))


def card_context(request, volunteer: User) -> dict:
    """What ``volunteers/_card.html`` needs: the current card and its QR code."""
    card = card_for(volunteer)
    url = scan_url(request, card_token(card))
    return {
        "card": card,
        "cardholder": volunteer,
        "qr": svg(url, title=_("Check-in card of %(name)s") % {"name": volunteer}),
    }
