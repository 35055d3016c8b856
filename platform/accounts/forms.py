"""Form fields for personal data, the same on the public pages and in the back office."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_birth_date


class BirthDateField(forms.DateField):
    """A date of birth: a date picker, refused in the future or before 1900."""

    default_validators = [validate_birth_date]

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Date of birth"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)
