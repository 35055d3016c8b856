"""Places where volunteers help (each with its printed QR poster) and the
volunteers' personal QR cards."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Place(models.Model):
    """A care facility, salon, district office or the centre's own tasks: somewhere a
    volunteer checks in. Its printed poster's QR code is signed with ``qr_version``;
    reprinting bumps the version and revokes the old posters."""

    class Kind(models.TextChoices):
        CARE_FACILITY = "care_facility", _("Care facility")
        SALON = "salon", _("Community salon")
        DISTRICT_OFFICE = "district_office", _("District association office")
        CENTRE_TASK = "centre_task", _("Mutual-aid centre task")

    class Presence(models.TextChoices):
        """How a self check-in proves the volunteer was really there (a photographed
        poster alone earns nothing). Host staff scanning a card is proof everywhere."""

        HOST = "host", _("Host staff confirm the day's self check-ins")
        KIOSK = "kiosk", _("Code shown on the kiosk at the door (changes every minute)")
        CARD = "card", _("Host staff scan the volunteer's card (no self check-in)")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    district = models.ForeignKey(
        "accounts.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="places",
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    earning_rule = models.ForeignKey(
        "points.EarningRule",
        verbose_name=_("earning rule"),
        on_delete=models.PROTECT,
        related_name="places",
    )
    hosts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("host staff"),
        related_name="hosted_places",
        blank=True,
        help_text=_("Staff at the place who may scan volunteers' cards."),
    )
    closes_at = models.TimeField(
        _("closing time"),
        default=dt.time(17, 0),
        null=True,
        blank=True,
        help_text=_(
            "A check-out forgotten past this time is closed here and flagged. Leave empty "
            "for places without a closing time: forgotten check-outs are then closed after "
            "the longest plausible activity."
        ),
    )
    max_minutes = models.PositiveIntegerField(
        _("longest plausible activity (minutes)"),
        default=480,
        help_text=_("Longer activities wait for a coordinator's review before crediting."),
    )
    presence = models.CharField(
        _("proof of presence"),
        max_length=16,
        choices=Presence.choices,
        default=Presence.HOST,
        help_text=_(
            "A check-in with the poster alone earns nothing: choose how the volunteer's "
            "presence is proven before points are credited."
        ),
    )
    qr_version = models.PositiveIntegerField(_("poster version"), default=1, editable=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")

    def __str__(self) -> str:
        return self.name


class VolunteerCard(models.Model):
    """A volunteer's personal QR card (for people without a smartphone). Reissuing
    bumps ``version`` and revokes the old card."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.CASCADE,
        related_name="volunteer_card",
    )
    version = models.PositiveIntegerField(_("card version"), default=1)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)

    class Meta:
        verbose_name = _("volunteer card")
        verbose_name_plural = _("volunteer cards")

    def __str__(self) -> str:
        return f"{self.user} (v{self.version})"
