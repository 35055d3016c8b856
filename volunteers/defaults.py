"""The help categories every centre starts with (admin-editable afterwards).

Names are stored in the site's language (Japanese by default): they are data that
coordinators rename, not interface text. Used by a data migration, and by tests and
seed data after a flush."""

import datetime as dt

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

# code, name, a car helps, service hours from (trash goes out before collection)
DEFAULT_CATEGORIES = [
    ("shopping", gettext_noop("Shopping"), False, dt.time(9)),
    ("trash", gettext_noop("Putting out the trash"), False, dt.time(7)),
    ("escort", gettext_noop("Escort to hospital"), True, dt.time(9)),
    ("other", gettext_noop("Other help"), False, dt.time(9)),
]


def help_categories_ensure(model=None) -> None:
    """Create the default categories that are missing (``model``: a migration's
    historical model, else the real one). Idempotent; never renames."""
    if model is None:
        from volunteers.models import HelpCategory as model
    with translation.override(settings.LANGUAGE_CODE):
        for order, (code, name, car, opens) in enumerate(DEFAULT_CATEGORIES):
            model.objects.get_or_create(
                code=code,
                defaults={
                    "name": translation.gettext(name),
                    "prefers_car": car,
                    "service_starts": opens,
                    "sort_order": order,
                },
            )
