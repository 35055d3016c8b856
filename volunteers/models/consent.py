"""What residents and volunteers agreed to about personal data (APPI, issue #19).

* :class:`Wording`: the texts, versioned. A change is a new version; the highest
  version of each kind is the one in force. Never edited or deleted: a record names
  the exact wording it was given on.
* :class:`ConsentRecord`: a resident's consent to sharing their details with the
  volunteer assigned to their request (given or withdrawn, how, who recorded it).
  Append-only; the latest record is in force. No offer goes out without it.
* :class:`PledgeRecord`: a volunteer's confidentiality pledge (守秘義務誓約) on one
  wording, accepted on the page or recorded by a coordinator from paper. No offer
  reaches a volunteer whose pledge is not on the wording in force.

Written only through ``volunteers.services.consent``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from volunteers.models.help_requests import Resident


class Wording(models.Model):
    class Kind(models.TextChoices):
        CONSENT = "consent", _("Resident's consent to sharing their details")
        PLEDGE = "pledge", _("Volunteer's confidentiality pledge")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("wording"))
    created_at = models.DateTimeField(_("published"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["kind", "-version"]
        verbose_name = _("wording")
        verbose_name_plural = _("wordings")
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="wording_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class ConsentRecord(models.Model):
    class Decision(models.TextChoices):
        GIVEN = "given", _("Consent given")
        WITHDRAWN = "withdrawn", _("Consent withdrawn")

    class Method(models.TextChoices):
        PHONE = "phone", _("By phone")
        PAPER = "paper", _("On paper")
        IN_PERSON = "in_person", _("In person")

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="consents"
    )
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    method = models.CharField(_("how it was given"), max_length=16, choices=Method.choices)
    wording = models.ForeignKey(
        Wording, verbose_name=_("wording"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        indexes = [models.Index(fields=["resident", "-recorded_at"], name="consent_latest_idx")]

    def __str__(self) -> str:
        return f"{self.resident}: {self.get_decision_display()}"


class PledgeRecord(models.Model):
    class Method(models.TextChoices):
        PAGE = "page", _("Accepted on the page")
        PAPER = "paper", _("Signed on paper")

    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="pledges",
    )
    wording = models.ForeignKey(
        Wording, verbose_name=_("wording"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("how"), max_length=16, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted"), default=timezone.now)

    class Meta:
        ordering = ["-accepted_at", "-pk"]
        verbose_name = _("confidentiality pledge")
        verbose_name_plural = _("confidentiality pledges")
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "wording"], name="pledge_once_per_wording")
        ]

    def __str__(self) -> str:
        return f"{self.volunteer}: {self.wording}"
