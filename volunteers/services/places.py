"""Writes for posters and cards: a volunteer's card issued on first use, a reprint
that revokes a place's old posters, a reissue that revokes a volunteer's old card."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role, User
from volunteers.exceptions import NotVolunteer
from volunteers.models import Place, VolunteerCard
from volunteers.rules import coordinator_check


def card_for(user: User) -> VolunteerCard:
    """The volunteer's card, issued (version 1) the first time it is asked for."""
    card, _ = VolunteerCard.objects.get_or_create(user=user)
    return card


@transaction.atomic
def place_reprint(*, place: Place) -> Place:
    """Revoke every printed poster of ``place``; print the new one after this."""
    Place.objects.filter(pk=place.pk).update(qr_version=F("qr_version") + 1)
    place.refresh_from_db(fields=["qr_version"])
    return place


@transaction.atomic
def card_reissue(*, user: User, actor: User) -> VolunteerCard:
    """Revoke the volunteer's old card (lost, damaged) and return the new one; from
    then on only the new card's code is accepted. Coordinators only.
    Raises :class:`NotPermitted`, :class:`NotVolunteer`."""
    coordinator_check(actor)
    if not user.acts_as(Role.VOLUNTEER):
        raise NotVolunteer("card")
    card = card_for(user)
    VolunteerCard.objects.filter(pk=card.pk).update(
        version=F("version") + 1, issued_at=timezone.now()
    )
    card.refresh_from_db()
    return card
