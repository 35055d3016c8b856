"""Expiry notices: each thing about to expire, told to its owner once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExpiryNotice(models.Model):
    """One thing about to expire and whether its owner has been told: the points of
    one wallet that expire on one day, or one voucher. ``key`` is unique, so a beat
    run that finds the same thing again finds this row, never makes a second one.

    Told means ``sent_at`` (a channel delivered it) or ``called_at`` (a coordinator
    phoned the volunteer, who no channel can reach); a notice is never told twice."""

    class Kind(models.TextChoices):
        POINTS = "points", _("Points")
        VOUCHER = "voucher", _("Voucher")

    key = models.CharField(max_length=80, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.CASCADE,
        related_name="expiry_notices",
    )
    voucher = models.ForeignKey(
        "points.Voucher",
        verbose_name=_("voucher"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="expiry_notices",
    )
    points = models.PositiveIntegerField(_("points"))
    expires_on = models.DateField(_("expires on"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("called by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["expires_on", "pk"]
        verbose_name = _("expiry notice")
        verbose_name_plural = _("expiry notices")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="points", voucher__isnull=True)
                | Q(kind="voucher", voucher__isnull=False),
                name="points_expiry_notice_voucher_iff_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_on"],
                condition=Q(sent_at__isnull=True, called_at__isnull=True),
                name="points_expiry_notice_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def told(self) -> bool:
        return self.sent_at is not None or self.called_at is not None


class NoticePreference(models.Model):
    """What a volunteer chose to be told. No row: the defaults (told)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notice_preference",
    )
    expiry_notices = models.BooleanField(
        _("tell me before my points or vouchers expire"), default=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")

    def __str__(self) -> str:
        return str(self.user)
