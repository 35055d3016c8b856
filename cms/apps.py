"""The public site: Wagtail pages (home, district associations, events, news, calls
for proposals, volunteer sign-up), collaboration proposals with their review, and
volunteer applications."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: Model permissions each role group gets on the cms app.
ROLE_PERMISSIONS = {
    "city_staff": [
        "view_proposal",
        "change_association_district",
        "view_proposalcriterion",
        "add_proposalcriterion",
        "change_proposalcriterion",
        "delete_proposalcriterion",
        "view_proposalhearing",
        "add_proposalhearing",
        "change_proposalhearing",
        "delete_proposalhearing",
    ],
    "coordinator": ["view_volunteerapplication"],
}


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Public site")

    def ready(self):
        from django.db.models.signals import post_migrate

        from core import navigation
        from core.permissions import connect

        # Configuration, not domain logic: Wagtail's Site record follows BASE_URL and
        # SITE_NAME after every migrate (cms.services.site.site_settings_sync).
        post_migrate.connect(_sync_site, sender=self)

        connect(self, ROLE_PERMISSIONS)
        navigation.register_me_link("my-proposals", _("My proposals"), 90)
        # The go-live checklist on the dashboard (core.navigation).
        from cms import checklist

        navigation.register_checklist_item(
            "centre_phone",
            _("Mutual-aid centre phone (home page; shown on every page)"),
            20,
            check=checklist.centre_phone_check,
            url=checklist.home_page_edit_url,
        )
        navigation.register_checklist_item(
            "volunteer_signup",
            _("Volunteer sign-up page (published under the home page)"),
            25,
            check=checklist.volunteer_signup_check,
            url=checklist.volunteer_signup_add_url,
        )


def _sync_site(sender, apps=None, using="default", **kwargs):
    from cms.services.site import site_settings_sync

    site_settings_sync()
