"""The mutual-aid centre's lines of the go-live checklist (reads only): help
categories with their fees and service hours, and places."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _
from wagtail.models import ModelLogEntry

from core.navigation import Check
from volunteers.models import HelpCategory, Place


def help_categories_check() -> Check:
    """Done when an active category exists and someone has saved one in the back
    office: ``migrate`` creates four with placeholder fees that must be reviewed."""
    categories = list(HelpCategory.objects.filter(active=True))
    reviewed = ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(HelpCategory),
        action__in=["wagtail.edit", "wagtail.create"],
    ).exists()
    note = "、".join(
        _("%(name)s %(yen)s yen per %(minutes)s min, %(starts)s–%(ends)s")
        % {
            "name": category.name,
            "yen": category.fee_yen,
            "minutes": category.fee_unit_minutes,
            "starts": category.service_starts.strftime("%H:%M"),
            "ends": category.service_ends.strftime("%H:%M"),
        }
        for category in categories
    )
    if categories and not reviewed:
        note = _("Fees and hours not reviewed yet: %(values)s") % {"values": note}
    return Check(done=bool(categories) and reviewed, count=len(categories), note=note)


def places_check() -> Check:
    count = Place.objects.filter(active=True).count()
    return Check(done=count > 0, count=count)
