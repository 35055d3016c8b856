"""The four help categories every centre starts with (shopping, trash, escort, other)."""

from django.db import migrations

from volunteers.defaults import help_categories_ensure


def create(apps, schema_editor):
    help_categories_ensure(apps.get_model("volunteers", "HelpCategory"))


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0002_mutual_aid")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
