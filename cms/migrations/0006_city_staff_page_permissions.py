"""City staff may add, edit and publish pages (calls for proposals, association pages)
without being superusers: Wagtail page permissions on the home page, which cms 0002
creates on every database. ``cms.services.site.site_home_ensure`` repeats the grant
whenever it makes a home page (seed_demo, a flushed database)."""

from django.db import migrations


def grant(apps, schema_editor):
    from cms.services.site import city_staff_page_permissions_ensure

    city_staff_page_permissions_ensure(apps=apps)


def revoke(apps, schema_editor):
    from cms.services.site import CITY_STAFF_PAGE_PERMISSIONS

    apps.get_model("wagtailcore", "GroupPagePermission").objects.filter(
        group__name="city_staff",
        page__depth=2,
        permission__content_type__app_label="wagtailcore",
        permission__codename__in=CITY_STAFF_PAGE_PERMISSIONS,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_role_groups"),
        ("cms", "0005_association_district_permission"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
