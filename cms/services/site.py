"""The page tree's root: the home page and the default Site."""

from __future__ import annotations

from django.db import transaction
from wagtail.models import Locale, Page, Site

from cms.models import HomePage

HOME_TITLE = "いきいきポイント・支えあいセンター"


@transaction.atomic
def site_home_ensure() -> HomePage:
    """Return the site's HomePage, creating the page tree's root, the home page and
        the default Site if any is missing, and city staff's rights on the pages
    (idempotent).

        The cms data migration does the same on a fresh database; this repairs a database
        whose tables were emptied (``flush``, transactional tests) and is used by seed_demo.
    """
    home = HomePage.objects.first()
    if home is None:
        Locale.objects.get_or_create(language_code="ja")
        root = Page.get_first_root_node() or Page.add_root(
            instance=Page(title="ルート", slug="root", locale=Locale.get_default())
        )
        home = root.add_child(
            instance=HomePage(title=HOME_TITLE, slug="home", locale=Locale.get_default())
        )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home},
    )
    city_staff_page_permissions_ensure()
    return home


#: Page rights city staff hold on the home page, so on every page of the site: they
#: open and close calls for proposals (children of the home page) and add district
#: association pages (below the district index), and publish them.
CITY_STAFF_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page")


def city_staff_page_permissions_ensure(*, apps=None) -> bool:
    """Give the ``city_staff`` group add, change and publish rights on the home page
    (Wagtail page permissions apply to the page and everything below it). Idempotent.

    The home page rather than the district index or a call: calls are the home page's
    own children (there is no call index), and the home page exists on every database
    from the cms migrations on, while the index is made later, in the back office.
    Returns False, granting nothing, when there is no home page or no group yet;
    :func:`site_home_ensure` calls this again once it has made the home page.
    Called by the data migration (with the historical ``apps``), so it uses only
    models looked up there.
    """
    if apps is None:
        from django.apps import apps
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    content_type_model = apps.get_model("contenttypes", "ContentType")
    grant_model = apps.get_model("wagtailcore", "GroupPagePermission")
    home = apps.get_model("cms", "HomePage").objects.order_by("pk").first()
    group = group_model.objects.filter(name="city_staff").first()
    if home is None or group is None:
        return False
    page_type, _ = content_type_model.objects.get_or_create(app_label="wagtailcore", model="page")
    for codename in CITY_STAFF_PAGE_PERMISSIONS:
        # Wagtail's own migration creates these; a missing one is made, never skipped.
        permission, _ = permission_model.objects.get_or_create(
            content_type=page_type,
            codename=codename,
            defaults={"name": codename.replace("_", " ").capitalize()},
        )
        grant_model.objects.get_or_create(group=group, page_id=home.pk, permission=permission)
    return True
