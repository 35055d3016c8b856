"""The personal data access log: every staff view, print and export of a resident's
details (who, what, when, why). Written only through
``volunteers.services.access_log.personal_data_access_record``; read by city staff in
the back office (admin → 個人情報の閲覧記録). Nobody edits or deletes an entry: the
model has only the ``view`` permission, no admin form, and on PostgreSQL a trigger
refuses UPDATE and DELETE (migration 0010)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import formats
from volunteers.models.help_requests import Resident


class PersonalDataAccess(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        PRINT = "print", _("Printed")
        EXPORT = "export", _("Exported")
        DISCLOSE = "disclose", _("Disclosed to the person")
        ERASE = "erase", _("Erased on request")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Whose details: a resident's record, or (disclosure and erasure for volunteers)
    # a person's account. Exactly one of the two (a database constraint).
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    action = models.CharField(_("what"), max_length=8, choices=Action.choices)
    resource = models.CharField(pgettext_lazy("access log", "page"), max_length=200)
    reason = models.CharField(_("why"), max_length=200)
    request_id = models.CharField(_("request ID"), max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        # Read-only for everyone: no add, change or delete permission exists.
        default_permissions = ("view",)
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        indexes = [
            models.Index(fields=["resident", "-at"], name="pda_resident_at"),
            models.Index(fields=["subject", "-at"], name="pda_subject_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False, subject__isnull=True)
                | Q(resident__isnull=True, subject__isnull=False),
                name="pda_resident_or_subject",
            )
        ]

    def __str__(self) -> str:
        whom = self.resident if self.resident_id else self.subject
        return f"{self.actor} {self.action} {whom} ({formats.datetime(self.at)})"
