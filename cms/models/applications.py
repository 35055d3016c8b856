"""Volunteer sign-up: what the public sign-up page collects for a coordinator."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VolunteerApplication(models.Model):
    """Someone who asked to volunteer, waiting for a coordinator's decision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Not accepted")

    full_name = models.CharField(_("full name"), max_length=150)
    full_name_kana = models.CharField(_("full name (kana)"), max_length=300)
    email = models.EmailField(_("email address"))
    phone = models.CharField(_("phone number"), max_length=32, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    district = models.ForeignKey(
        "accounts.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    message = models.TextField(_("what you would like to help with"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(_("received at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer_applications",
        verbose_name=pgettext_lazy("user account", "account"),
    )
    welcome_sent_at = models.DateTimeField(_("sign-in email sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("volunteer application")
        verbose_name_plural = _("volunteer applications")

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"
