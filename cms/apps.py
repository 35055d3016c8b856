"""The public site: Wagtail pages (home, district associations, events, news, calls
for proposals, volunteer sign-up), collaboration proposals with their review, and
volunteer applications."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: Model permissions each role group gets on the cms app.
ROLE_PERMISSIONS = {
    "city_staff": ["view_proposal", "change_association_district"],
    "coordinator": ["view_volunteerapplication"],
}


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Public site")

    def ready(self):
        from core import navigation
        from core.permissions import connect

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
