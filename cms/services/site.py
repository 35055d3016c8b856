"""The page tree's root: the home page and the default Site."""

from __future__ import annotations

from django.db import transaction
from wagtail.models import Locale, Page, Site

from cms.models import HomePage
from core import site

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
            instance=Page(title="Root", slug="root", locale=Locale.get_default())
        )
        home = root.add_child(
            instance=HomePage(title=HOME_TITLE, slug="home", locale=Locale.get_default())
        )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={**_site_fields(), "root_page": home},
    )
    city_staff_page_permissions_ensure()
    return home


def _site_fields() -> dict:
    return {"hostname": site.hostname(), "port": site.port(), "site_name": site.site_name()}


def site_settings_sync(*, apps=None) -> bool:
    """Make Wagtail's default Site say what settings say (``BASE_URL``'s host and port,
    ``SITE_NAME``): Wagtail builds page URLs in the CMS API, the editor dashboard's
    summary and ``get_full_url`` from that record, which the first migration created
    as ``localhost:80``. Idempotent; run after every ``migrate`` (``cms.apps``) and by
    :func:`site_home_ensure`. Returns whether the record changed."""
    if apps is None:
        from django.apps import apps
    site_model = apps.get_model("wagtailcore", "Site")
    fields = _site_fields()
    default = site_model.objects.filter(is_default_site=True).first()
    if default is None or all(getattr(default, k) == v for k, v in fields.items()):
        return False
    for key, value in fields.items():
        setattr(default, key, value)
    default.save(update_fields=list(fields))
    # Wagtail caches the site root paths; a changed host must not serve stale URLs.
    Site.clear_site_root_paths_cache()
    return True


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
