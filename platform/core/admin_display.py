"""Dates and times in Wagtail's inspect views, through :mod:`core.formats`.

Wagtail's inspect template prints a value with ``|localize``, which formats an aware
datetime as it came from the database: in UTC, where every other page shows
Asia/Tokyo. Registered display classes take over for date, time and datetime fields.
"""

from __future__ import annotations

from django.db import models
from django.utils.html import conditional_escape
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.fields import register_display_class

from core import formats


class FormattedDisplay(Component):
    format = staticmethod(formats.datetime)

    def __init__(self, value):
        self.value = value

    def render_html(self, parent_context=None):
        return conditional_escape(self.format(self.value, empty=formats.EMPTY))


class DateTimeDisplay(FormattedDisplay):
    format = staticmethod(formats.datetime)


class DateDisplay(FormattedDisplay):
    format = staticmethod(formats.date)


class TimeDisplay(FormattedDisplay):
    format = staticmethod(formats.time)


def register() -> None:
    register_display_class(models.DateTimeField, display_class=DateTimeDisplay)
    register_display_class(models.DateField, display_class=DateDisplay, exact_class=True)
    register_display_class(models.TimeField, display_class=TimeDisplay)
