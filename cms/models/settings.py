"""The scheme's own names, set by city staff (Settings → Scheme names)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


@register_setting(icon="title")
class SchemeNames(BaseGenericSetting):
    """What the city calls the two tracks of its collaboration-proposal scheme, shown
    wherever a call's track appears (its page, the home page, the review page). Blank:
    the generic name (市民提案型 / 行政提案型)."""

    citizen_track_name = models.CharField(
        _("name of the citizen-proposed track"),
        max_length=60,
        blank=True,
        help_text=_("As the city's own guidelines call it. Blank: the generic name."),
    )
    city_track_name = models.CharField(
        _("name of the city-proposed track"),
        max_length=60,
        blank=True,
        help_text=_("As the city's own guidelines call it. Blank: the generic name."),
    )

    class Meta:
        verbose_name = _("scheme names")

    def track_name(self, track: str, *, default: str) -> str:
        """The city's name for ``track`` ("citizen" or "city"), else ``default``."""
        own = {"citizen": self.citizen_track_name, "city": self.city_track_name}.get(track, "")
        return own.strip() or default
