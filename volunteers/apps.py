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
        *(
            f"{verb}_{model}"
            for model in (
                "resident",
                "helprequest",
                "assignment",
                "offer",
                "volunteerprofile",
                "standingrequest",
                "standingrequestskip",
                "helpcategory",
            )
            for verb in ("view", "add", "change")
            # Profiles are created by volunteer registration, not the generic form.
            if (verb, model) != ("add", "volunteerprofile")
        ),
    ],
    # Not residents' requests: they carry personal data only coordinators need.
    "city_staff": ["view_place", "view_activity"],
}


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("Mutual-aid centre")

    def ready(self):
        from core.permissions import connect

        connect(self, ROLE_PERMISSIONS)
