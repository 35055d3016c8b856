"""The four help categories every centre starts with (admin-editable afterwards).

Names are stored in the site's language (Japanese by default): they are data that
coordinators rename, not interface text."""

from django.conf import settings
from django.db import migrations
from django.utils import translation
from django.utils.translation import gettext_noop

CATEGORIES = [
    ("shopping", gettext_noop("Shopping"), False),
    ("trash", gettext_noop("Putting out the trash"), False),
    ("escort", gettext_noop("Escort to hospital"), True),
    ("other", gettext_noop("Other help"), False),
]


def create(apps, schema_editor):
    HelpCategory = apps.get_model("volunteers", "HelpCategory")
    with translation.override(settings.LANGUAGE_CODE):
        for order, (code, name, car) in enumerate(CATEGORIES):
            HelpCategory.objects.get_or_create(
                code=code,
                defaults={"name": translation.gettext(name), "prefers_car": car, "sort_order": order},
            )


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0002_mutual_aid")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
