"""Create the role groups and give the back-office roles access to the Wagtail admin."""

from django.db import migrations

ROLES = ["resident", "volunteer", "coordinator", "shop_staff", "district_editor", "city_staff"]


def create_groups(apps, schema_editor):
    from accounts.services import role_groups_sync

    role_groups_sync(apps=apps)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
