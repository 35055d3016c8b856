from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: Model permissions each role group gets on the volunteers app.
ROLE_PERMISSIONS = {
    "coordinator": [
        "view_place",
        "add_place",
        "change_place",
        "view_activity",
        "add_activity",
        "change_activity",
        "view_volunteercard",
    ],
    "city_staff": ["view_place", "view_activity"],
}


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("Mutual-aid centre")

    def ready(self):
        from core.permissions import connect

        connect(self, ROLE_PERMISSIONS)
