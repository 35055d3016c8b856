"""Volunteer activity insurance (ボランティア活動保険), enrolled per fiscal year, and
training sessions (研修) with their attendance."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import formats


def fiscal_year_end(year: int) -> dt.date:
    """The last day of fiscal year ``year`` (31 March of the next calendar year)."""
    return dt.date(year + 1, 3, 31)


class InsuranceEnrolment(models.Model):
    """One volunteer enrolled in the volunteer activity insurance for one fiscal year
    (the policy runs April to March and is renewed each April). One row per
    volunteer and year: enrolling twice finds the row already there.

    The profile's ``insurance_valid_until`` (what matching filters on) is derived
    from these rows by the services that write them
    (``volunteers.services.insurance``), in the same transaction: the end of the
    unbroken run of enrolled years through the current one."""

    class PaidBy(models.TextChoices):
        CITY = "city", _("The city")
        SELF = "self", _("The volunteer")

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        CANCELLED = "cancelled", pgettext_lazy("insurance", "Cancelled")

    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="insurance_enrolments",
    )
    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"), help_text=_("The year the fiscal year starts in (April).")
    )
    enrolled_on = models.DateField(_("enrolled on"))
    plan = models.CharField(
        _("plan"), max_length=100, blank=True, help_text=_("e.g. 基本タイプ Aプラン")
    )
    certificate_number = models.CharField(_("certificate number"), max_length=50, blank=True)
    address = models.CharField(
        _("address"),
        max_length=300,
        blank=True,
        help_text=_("As the insurer needs it on the enrolment list."),
    )
    paid_by = models.CharField(
        _("premium paid by"), max_length=8, choices=PaidBy.choices, default=PaidBy.CITY
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ENROLLED
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)

    class Meta:
        ordering = ["-fiscal_year", "volunteer__full_name_kana", "pk"]
        verbose_name = _("insurance enrolment")
        verbose_name_plural = _("insurance enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "fiscal_year"], name="volunteers_insurance_once_a_year"
            ),
        ]
        indexes = [
            models.Index(fields=["fiscal_year", "status"], name="volunteers_insurance_year_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} {formats.fiscal_year_label(self.fiscal_year)}"

    @property
    def fiscal_year_label(self) -> str:
        return formats.fiscal_year_label(self.fiscal_year)

    @property
    def valid_until(self) -> dt.date:
        return fiscal_year_end(self.fiscal_year)


class TrainingSession(models.Model):
    """A training session (研修) for volunteers: when, where, how many may come."""

    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")

    def __str__(self) -> str:
        return f"{self.title}（{formats.datetime(self.starts_at)}）"


class TrainingAttendance(models.Model):
    """A volunteer on a training session's list, and whether they attended."""

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("training session"),
        on_delete=models.PROTECT,  # attendance lets points be credited: kept
        related_name="attendances",
    )
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="training_attendances",
    )
    attended = models.BooleanField(_("attended"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        ordering = ["session", "volunteer__full_name_kana", "pk"]
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "volunteer"], name="volunteers_training_once_per_session"
            ),
        ]
        indexes = [
            models.Index(
                fields=["volunteer"],
                condition=Q(attended=True),
                name="volunteers_training_done_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} @ {self.session.title}"
