"""Forms shared by the volunteer pages and the coordinators' back office."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.forms import (
    BirthDateField,
    OpenDistrictChoiceField,
    OpenDistrictMultipleChoiceField,
)
from volunteers.models import Gender, HelpCategory, HelpRequest, WeeklyAvailability

WEEKDAYS = WeeklyAvailability.Weekday


class ProfileForm(forms.Form):
    """A volunteer's profile with a weekly grid: one optional from–until per day."""

    birth_date = BirthDateField(
        help_text=_("Some earning rules credit points only from a minimum age.")
    )
    skills = forms.ModelMultipleChoiceField(
        label=_("I can help with"),
        queryset=HelpCategory.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    # Open districts only, plus closed ones the profile already has (accounts.forms).
    districts = OpenDistrictMultipleChoiceField(
        label=_("Districts I can go to"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    home_district = OpenDistrictChoiceField(label=_("District I live in"), required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False)
    has_car = forms.BooleanField(label=_("I can use a car"), required=False)
    languages = forms.CharField(label=_("Languages"), max_length=100, required=False)

    def __init__(
        self, *args, manage_insurance: bool = False, birth_date_locked: bool = False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if birth_date_locked:
            # Recorded already: only the centre corrects it (it decides which points
            # are earned), see accounts.services.user_birth_date_set.
            field = self.fields["birth_date"]
            field.disabled = True
            field.help_text = _("To correct your date of birth, please contact the centre.")
        for day in WEEKDAYS:
            self.fields[f"day{day.value}_starts"] = forms.TimeField(
                label=_("%(day)s from") % {"day": day.label},
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}),
            )
            self.fields[f"day{day.value}_ends"] = forms.TimeField(
                label=_("%(day)s until") % {"day": day.label},
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}),
            )
        if manage_insurance:
            self.fields["insurance_valid_until"] = forms.DateField(
                label=_("Volunteer insurance valid until"),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            self.fields["active"] = forms.BooleanField(
                label=pgettext_lazy("volunteer", "Active"), required=False
            )

    @staticmethod
    def initial_for(profile, user=None) -> dict:
        born = {"birth_date": user.birth_date} if user is not None else {}
        if profile is None:
            return {"active": True, **born}
        initial = {
            **born,
            "skills": list(profile.skills.all()),
            "districts": list(profile.districts.all()),
            "home_district": profile.home_district,
            "gender": profile.gender,
            "has_car": profile.has_car,
            "languages": profile.languages,
            "insurance_valid_until": profile.insurance_valid_until,
            "active": profile.active,
        }
        for slot in profile.weekly.all():
            initial[f"day{slot.weekday}_starts"] = slot.starts
            initial[f"day{slot.weekday}_ends"] = slot.ends
        return initial

    def day_rows(self):
        return [
            (day.label, self[f"day{day.value}_starts"], self[f"day{day.value}_ends"])
            for day in WEEKDAYS
        ]

    def clean(self):
        data = super().clean()
        weekly = []
        for day in WEEKDAYS:
            starts, ends = data.get(f"day{day.value}_starts"), data.get(f"day{day.value}_ends")
            if starts is None and ends is None:
                continue
            if starts is None or ends is None or ends <= starts:
                self.add_error(
                    f"day{day.value}_ends", _("Give both times, the end after the start.")
                )
                continue
            weekly.append((day.value, starts, ends))
        data["weekly"] = weekly
        return data


class IntakeForm(forms.Form):
    """A request taken on the phone: category, day, from–until, place, notes, channel."""

    category = forms.ModelChoiceField(
        label=_("Kind of help"), queryset=HelpCategory.objects.filter(active=True)
    )
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    starts = forms.TimeField(
        label=pgettext_lazy("time", "From"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    ends = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Notes for the volunteer"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[c for c in HelpRequest.Channel.choices if c[0] != HelpRequest.Channel.STANDING],
        initial=HelpRequest.Channel.PHONE,
    )
    consent = forms.BooleanField(
        label=_("The resident agreed to their details being shared with the volunteer"),
        help_text=_(
            "Read the wording above to them first. Offered only while no consent is in force."
        ),
        required=False,
    )

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        zone = timezone.get_current_timezone()
        data = self.cleaned_data
        return (
            dt.datetime.combine(data["day"], data["starts"], tzinfo=zone),
            dt.datetime.combine(data["day"], data["ends"], tzinfo=zone),
        )


class ConfirmForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("Minutes to charge"),
        min_value=0,
        max_value=24 * 60,
        help_text=_(
            "From the start and finish the volunteer recorded, within the service hours; "
            "correct it if needed."
        ),
    )
    cash_received_yen = forms.IntegerField(
        label=_("Cash received (yen)"), min_value=0, max_value=1_000_000
    )
    cash_note = forms.CharField(
        label=_("Why the cash differs from the fee"),
        max_length=300,
        required=False,
        help_text=_(
            "Needed when the cash received is not the fee, e.g. “paid 500 yen, 200 yen "
            "to be collected next visit”."
        ),
    )

    def __init__(self, *args, category=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = category

    def clean(self):
        data = super().clean()
        minutes, cash = data.get("minutes"), data.get("cash_received_yen")
        if self.category is None or minutes is None or cash is None:
            return data
        if cash != self.category.fee_for(minutes) and not data.get("cash_note", "").strip():
            self.add_error(
                "cash_note",
                _("The cash received (%(cash)s yen) is not the fee (%(fee)s yen): say why.")
                % {"cash": cash, "fee": self.category.fee_for(minutes)},
            )
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class AwayForm(forms.Form):
    """A date the volunteer cannot help (holiday, hospital visit)."""

    date = forms.DateField(
        label=_("A day I cannot help"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        return day
