"""Standing requests: help that repeats every week, and the dates skipped."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from volunteers.exceptions import InvalidWindow, OutsideServiceHours
from volunteers.models.help_requests import HelpCategory, Resident
from volunteers.models.profiles import WeeklyAvailability
from volunteers.rules import service_window_check

#: Standing times repeat every week: the service-hours rule is checked on one day.
_ANY_DAY = dt.date(2001, 1, 1)


class StandingRequest(models.Model):
    """Help that repeats every week (e.g. trash on Tuesday and Friday at 8:00).
    Beat generates its :class:`HelpRequest` rows ahead, once per date."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="standing"
    )
    category = models.ForeignKey(
        HelpCategory,
        verbose_name=pgettext_lazy("help category", "category"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    weekdays = models.JSONField(
        _("weekdays"), default=list, help_text=_("Monday = 0 … Sunday = 6.")
    )
    starts = models.TimeField(_("from"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("minutes"), default=30, validators=[MinValueValidator(1)]
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    notes = models.TextField(_("notes for the volunteer"), blank=True)
    first_date = models.DateField(_("first date"))
    last_date = models.DateField(_("last date"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("standing request")
        verbose_name_plural = _("standing requests")

    def __str__(self) -> str:
        return f"{self.resident} / {self.category}"

    @property
    def weekday_names(self) -> str:
        """The ticked days by name, Monday first (e.g. 火曜日・金曜日)."""
        labels = dict(WeeklyAvailability.Weekday.choices)
        return "・".join(str(labels[d]) for d in sorted(self.weekdays) if d in labels)

    def clean(self):
        """The same checks as a request taken on the phone, so beat never generates a
        request that the intake form would refuse (or the database would)."""
        errors = {}
        if not self.weekdays or any(d not in range(7) for d in self.weekdays):
            errors["weekdays"] = _("Tick at least one day.")
        if self.category_id and self.starts and self.duration_minutes:
            # The rule a request taken on the phone passes, on any one day.
            starts_at = dt.datetime.combine(
                _ANY_DAY, self.starts, tzinfo=timezone.get_current_timezone()
            )
            ends_at = starts_at + dt.timedelta(minutes=self.duration_minutes)
            category = self.category
            try:
                service_window_check(category, starts_at, ends_at)
            except (InvalidWindow, OutsideServiceHours):
                errors["starts"] = _(
                    "The time must be within this kind of help's service hours "
                    "(%(starts)s–%(ends)s)."
                ) % {
                    "starts": category.service_starts.strftime("%H:%M"),
                    "ends": category.service_ends.strftime("%H:%M"),
                }
        if self.last_date and self.first_date and self.last_date < self.first_date:
            errors["last_date"] = _("The last date cannot be before the first date.")
        if errors:
            raise ValidationError(errors)


class StandingRequestSkip(models.Model):
    """A date a coordinator has marked: no request is generated for it."""

    standing = models.ForeignKey(
        StandingRequest,
        verbose_name=_("standing request"),
        on_delete=models.CASCADE,
        related_name="skips",
    )
    date = models.DateField(_("date"))

    class Meta:
        verbose_name = _("skipped date")
        verbose_name_plural = _("skipped dates")
        constraints = [
            models.UniqueConstraint(fields=["standing", "date"], name="volunteers_skip_unique"),
        ]

    def __str__(self) -> str:
        return str(self.date)
