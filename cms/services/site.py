"""The page tree's root: the home page and the default Site."""

from __future__ import annotations

from django.db import transaction
from wagtail.models import Locale, Page, Site

from cms.models import HomePage

HOME_TITLE = "いきいきポイント・支えあいセンター"


@transaction.atomic
def site_home_ensure() -> HomePage:
    """Return the site's HomePage, creating the page tree's root, the home page and
    the default Site if any is missing (idempotent).

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
        defaults={"hostname": "localhost", "port": 80, "root_page": home},
    )
    return home
