"""Volunteer profiles, their weekly availability and dated exceptions, and the
matching index derived from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import formats
from volunteers.models.help_requests import Gender, HelpCategory
from volunteers.models.retention import LeaveReason


class VolunteerProfile(models.Model):
    """What matching needs to know about a volunteer; on the shared user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="volunteer_profile",
    )
    home_district = models.ForeignKey(
        "accounts.District",
        verbose_name=_("home district"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    districts = models.ManyToManyField(
        "accounts.District",
        verbose_name=_("districts served"),
        related_name="volunteer_profiles",
        blank=True,
    )
    skills = models.ManyToManyField(
        HelpCategory, verbose_name=_("can help with"), related_name="volunteers", blank=True
    )
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, blank=True, default=""
    )
    has_car = models.BooleanField(_("has a car"), default=False)
    insurance_valid_until = models.DateField(
        _("volunteer insurance valid until"), null=True, blank=True
    )
    languages = models.CharField(
        _("languages"), max_length=100, blank=True, help_text=_("e.g. 日本語, English")
    )
    active = models.BooleanField(_("active"), default=True)
    # Leaving (``volunteers.services.personal_data.volunteer_leave``) starts the
    # retention period; then the account is anonymised.
    left_on = models.DateField(_("left on"), null=True, blank=True)
    left_reason = models.CharField(
        _("why they left"), max_length=16, choices=LeaveReason.choices, blank=True
    )
    anonymised_at = models.DateTimeField(_("details erased"), null=True, blank=True)

    class Meta:
        verbose_name = _("volunteer profile")
        verbose_name_plural = _("volunteer profiles")
        indexes = [
            models.Index(
                fields=["insurance_valid_until"],
                condition=Q(active=True),
                name="volunteers_profile_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class WeeklyAvailability(models.Model):
    """A weekly slot when the volunteer can help (Monday = 0)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    profile = models.ForeignKey(
        VolunteerProfile,
        verbose_name=_("volunteer"),
        on_delete=models.CASCADE,
        related_name="weekly",
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")), name="volunteers_weekly_ends_after"
            ),
        ]
        indexes = [
            models.Index(
                fields=["weekday", "starts", "ends", "profile"], name="volunteers_weekly_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {formats.time_range(self.starts, self.ends)}"


class AvailabilityException(models.Model):
    """A dated change to the weekly pattern: away that day, or available for a slot
    outside it."""

    profile = models.ForeignKey(
        VolunteerProfile,
        verbose_name=_("volunteer"),
        on_delete=models.CASCADE,
        related_name="exceptions",
    )
    date = models.DateField(_("date"))
    available = models.BooleanField(
        _("available"), default=False, help_text=_("Unticked: away all day.")
    )
    starts = models.TimeField(_("from"), null=True, blank=True)
    ends = models.TimeField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("availability exception")
        verbose_name_plural = _("availability exceptions")
        indexes = [models.Index(fields=["date", "profile"], name="volunteers_exception_idx")]

    def __str__(self) -> str:
        return f"{self.date} {'+' if self.available else '−'}"


class MatchingSlot(models.Model):
    """Search index for matching, derived from a profile (never edited by hand).

    One row per (district served × skill × availability slot). ``day_key`` is the
    weekday (0–6) for the weekly pattern, or ``date.toordinal()`` for a dated extra
    slot, so one composite index finds every volunteer who could cover a window
    without touching the others. Rebuilt by
    ``volunteers.services.profiles.matching_slots_rebuild`` whenever a profile changes.

    ``home``, ``gender`` and ``has_car`` copy what the ranking weighs (``home``: this
    row's district is the volunteer's home district), and the index carries them, so
    ``volunteers.selectors.profiles.suggest`` can order the rows by the most each
    volunteer could score from the index alone and rank only the best few."""

    profile = models.ForeignKey(VolunteerProfile, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey("accounts.District", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(HelpCategory, on_delete=models.CASCADE, related_name="+")
    day_key = models.PositiveIntegerField()
    starts = models.TimeField()
    ends = models.TimeField()
    home = models.BooleanField(default=False)
    gender = models.CharField(max_length=8, blank=True, default="")
    has_car = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("matching slot")
        verbose_name_plural = _("matching slots")
        indexes = [
            models.Index(
                fields=[
                    "district",
                    "category",
                    "day_key",
                    "starts",
                    "ends",
                    "profile",
                    "home",
                    "gender",
                    "has_car",
                ],
                name="volunteers_matching_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile_id}:{self.district_id}:{self.category_id}:{self.day_key}"
