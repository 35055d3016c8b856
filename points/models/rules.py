"""Earning rules: how an activity turns into points, and the fiscal year."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from points.exceptions import RuleNotApplicable


def fiscal_year_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the Japanese fiscal year (April–March) containing ``day``."""
    start_year = day.year if day.month >= 4 else day.year - 1
    return dt.date(start_year, 4, 1), dt.date(start_year + 1, 3, 31)


class EarningRule(models.Model):
    """How an activity turns into points. Everything a scheme varies is a field here."""

    class Basis(models.TextChoices):
        PER_HOUR = "per_hour", _("Per hour")
        PER_VISIT = "per_visit", _("Per visit")

    class YearBasis(models.TextChoices):
        FISCAL = "fiscal", _("Fiscal year (April–March)")
        CALENDAR = "calendar", _("Calendar year")

    class Expiry(models.TextChoices):
        END_OF_FOLLOWING_YEAR = "following_year", _("End of the following year")
        END_OF_FISCAL_YEAR = "fiscal_year", _("End of the fiscal year")
        NONE = "none", _("Never")

    activity_kind = models.SlugField(_("activity kind"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    basis = models.CharField(_("basis"), max_length=16, choices=Basis.choices)
    points = models.PositiveIntegerField(
        _("points"), help_text=_("Points per hour, or per visit, depending on the basis.")
    )
    rounding_minutes = models.PositiveSmallIntegerField(
        _("rounding unit (minutes)"),
        default=60,
        help_text=_("Per hour: the time counted is rounded down to a multiple of this."),
    )
    min_minutes = models.PositiveSmallIntegerField(
        _("minimum duration (minutes)"),
        default=0,
        help_text=_("Shorter activities earn nothing."),
    )
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    daily_cap = models.PositiveIntegerField(_("daily limit"), null=True, blank=True)
    yearly_cap = models.PositiveIntegerField(_("yearly limit"), null=True, blank=True)
    cap_group = models.SlugField(
        _("limit group"),
        max_length=64,
        default="default",
        help_text=_("Rules in the same group share the daily and yearly limits."),
    )
    year_basis = models.CharField(
        _("year"), max_length=16, choices=YearBasis.choices, default=YearBasis.FISCAL
    )
    expiry = models.CharField(
        _("expiry"), max_length=32, choices=Expiry.choices, default=Expiry.END_OF_FOLLOWING_YEAR
    )
    # A neutral flag: the app that records activities (volunteers) checks it before it
    # asks for the credit; the ledger knows nothing of training.
    requires_training = models.BooleanField(
        _("requires training"),
        default=False,
        help_text=_(
            "Activities earn points only once the volunteer has attended a training "
            "session. Check-ins before then are logged with no points and wait in the "
            "review queue, where the centre can credit them after the training; help "
            "given through the centre and confirmed before then earns no points."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(rounding_minutes__gt=0), name="points_rule_rounding_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def points_for(self, duration_minutes: int) -> int:
        """Points an activity of ``duration_minutes`` earns under this rule, before the
        daily and yearly limits.

        Raises :class:`~points.exceptions.RuleNotApplicable` when the activity is
        shorter than the minimum, or than one rounding unit of a per-hour rule.
        """
        if duration_minutes < max(self.min_minutes, 1):
            raise RuleNotApplicable(
                reason="too_short", minimum_minutes=self.min_minutes, field="duration_minutes"
            )
        if self.basis == self.Basis.PER_VISIT:
            return self.points
        counted = duration_minutes // self.rounding_minutes * self.rounding_minutes
        points = counted * self.points // 60
        if points == 0:  # shorter than one rounding unit: nothing to credit
            raise RuleNotApplicable(
                reason="too_short", minimum_minutes=self.rounding_minutes, field="duration_minutes"
            )
        return points

    def year_bounds(self, day: dt.date) -> tuple[dt.date, dt.date]:
        """First and last day of the year (fiscal or calendar) that contains ``day``."""
        if self.year_basis == self.YearBasis.CALENDAR:
            return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
        return fiscal_year_bounds(day)

    def expiry_for(self, day: dt.date) -> dt.date | None:
        """Last day on which points earned on ``day`` can be used."""
        if self.expiry == self.Expiry.NONE:
            return None
        _, year_end = self.year_bounds(day)
        if self.expiry == self.Expiry.END_OF_FISCAL_YEAR:
            return fiscal_year_bounds(day)[1]
        return year_end.replace(year=year_end.year + 1)
