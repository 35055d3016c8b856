"""The help categories every centre starts with (admin-editable afterwards).

Names are stored in the site's language (Japanese by default): they are data that
coordinators rename, not interface text. Used by a data migration, and by tests and
seed data after a flush."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

DEFAULT_CATEGORIES = [
    ("shopping", gettext_noop("Shopping"), False),
    ("trash", gettext_noop("Putting out the trash"), False),
    ("escort", gettext_noop("Escort to hospital"), True),
    ("other", gettext_noop("Other help"), False),
]


def help_categories_ensure(model=None) -> None:
    """Create the default categories that are missing (``model``: a migration's
    historical model, else the real one). Idempotent; never renames."""
    if model is None:
        from volunteers.models import HelpCategory as model
    with translation.override(settings.LANGUAGE_CODE):
        for order, (code, name, car) in enumerate(DEFAULT_CATEGORIES):
            model.objects.get_or_create(
                code=code,
                defaults={
                    "name": translation.gettext(name),
                    "prefers_car": car,
                    "sort_order": order,
                },
            )
