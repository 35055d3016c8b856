"""The centre's calendar: the days it is closed (public holidays, a yearly closure
such as 年末年始, one-off closures)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _month_day(day: dt.date) -> tuple[int, int]:
    return (day.month, day.day)


class CentreClosure(models.Model):
    """A rule saying when the mutual-aid centre is closed. No request is taken or
    generated on a day one of them covers (see ``volunteers.selectors.calendar``).

    * ``public_holidays``: every national holiday (振替休日 and 国民の休日 included),
      from a maintained holiday library, not a hand-kept list;
    * ``yearly``: the same month and day range every year (the year of the dates is
      ignored), which may run over New Year (12/29–1/3);
    * ``dated``: the given dates only (e.g. a move, a training day)."""

    class Kind(models.TextChoices):
        PUBLIC_HOLIDAYS = "public_holidays", _("National public holidays")
        YEARLY = "yearly", pgettext_lazy("closure", "Every year")
        DATED = "dated", pgettext_lazy("closure", "On these dates only")

    kind = models.CharField(
        pgettext_lazy("closure", "kind"), max_length=20, choices=Kind.choices, default=Kind.DATED
    )
    name = models.CharField(
        pgettext_lazy("closure", "reason"),
        max_length=100,
        blank=True,
        help_text=_(
            "Shown to coordinators, e.g. “Year-end and New Year holidays”. Public holidays "
            "are shown by their own names."
        ),
    )
    first_date = models.DateField(
        pgettext_lazy("closure", "from"),
        null=True,
        blank=True,
        help_text=_("For a yearly closure only the month and day count."),
    )
    last_date = models.DateField(
        pgettext_lazy("closure", "until"),
        null=True,
        blank=True,
        help_text=_("Included. Empty for a single day."),
    )

    class Meta:
        verbose_name = _("centre closed day")
        verbose_name_plural = _("centre closed days")
        ordering = ["kind", "first_date", "pk"]

    def __str__(self) -> str:
        if self.kind == self.Kind.PUBLIC_HOLIDAYS:
            return str(self.Kind.PUBLIC_HOLIDAYS.label)
        return self.name or str(self.get_kind_display())

    @property
    def period(self) -> str:
        """The dates as coordinators read them (12/29–1/3, 2027/2/10)."""
        if self.kind == self.Kind.PUBLIC_HOLIDAYS or self.first_date is None:
            return "—"
        last = self.last_date or self.first_date
        if self.kind == self.Kind.YEARLY:
            text = f"{self.first_date.month}/{self.first_date.day}"
            end = f"{last.month}/{last.day}"
        else:
            text = f"{self.first_date.year}/{self.first_date.month}/{self.first_date.day}"
            end = f"{last.year}/{last.month}/{last.day}"
        return text if last == self.first_date else f"{text}–{end}"

    def covers(self, day: dt.date) -> bool:
        """Does this dated or yearly rule close the centre on ``day``? (Public holidays
        are looked up by the selector, not here.)"""
        if self.kind == self.Kind.PUBLIC_HOLIDAYS or self.first_date is None:
            return False
        last = self.last_date or self.first_date
        if self.kind == self.Kind.DATED:
            return self.first_date <= day <= last
        first, end, md = _month_day(self.first_date), _month_day(last), _month_day(day)
        if first <= end:
            return first <= md <= end
        return md >= first or md <= end  # over New Year

    def clean(self):
        if self.kind == self.Kind.PUBLIC_HOLIDAYS:
            self.first_date = self.last_date = None
            return
        errors = {}
        if self.first_date is None:
            errors["first_date"] = _("Enter the first closed day.")
        elif (
            self.kind == self.Kind.DATED
            and self.last_date is not None
            and self.last_date < self.first_date
        ):
            errors["last_date"] = _("The last date cannot be before the first date.")
        if errors:
            raise ValidationError(errors)
