from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: Insurance enrolments (written through their pages' services) and training sessions.
INSURANCE_AND_TRAINING = [
    "view_insuranceenrolment",
    "view_trainingsession",
    "add_trainingsession",
    "change_trainingsession",
    "delete_trainingsession",
]

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
        # The centre's calendar (closed days): coordinators keep it.
        "view_centreclosure",
        "add_centreclosure",
        "change_centreclosure",
        "delete_centreclosure",
        # Insurance enrolments and training: kept with city staff.
        *INSURANCE_AND_TRAINING,
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
    # Not residents' requests: they carry personal data only coordinators need. City
    # staff set up the kinds of help (fees, hours) and the places before going live.
    "city_staff": [
        "view_place",
        "add_place",
        "change_place",
        "view_activity",
        "view_helpcategory",
        "add_helpcategory",
        "change_helpcategory",
        # The centre's calendar, as the city decides the year-end closure.
        "view_centreclosure",
        "add_centreclosure",
        "change_centreclosure",
        "delete_centreclosure",
        *INSURANCE_AND_TRAINING,
        # The personal data access log: read-only (the model has no other permission).
        "view_personaldataaccess",
        # How long residents' and volunteers' details are kept after they leave.
        "change_personaldatasettings",
    ],
}


def _is_linked_resident(request) -> bool:
    from volunteers.selectors.help_requests import resident_of

    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and resident_of(user) is not None)


def _hosts_any_place(request) -> bool:
    """Does the signed-in user host an active place? Asked once per request."""
    from volunteers.selectors.places import places_hosted_by

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if not hasattr(request, "_hosts_any_place"):
        request._hosts_any_place = places_hosted_by(user).exists()
    return request._hosts_any_place


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("Mutual-aid centre")

    def ready(self):
        from accounts import onboarding
        from accounts.models import Role
        from core import navigation
        from core.permissions import connect
        from volunteers.services.profiles import volunteer_profile_start

        connect(self, ROLE_PERMISSIONS)
        # The volunteer's own pages in the "my pages" menu (core.navigation), around
        # the points app's links (50, 60) and before the cms app's (90).
        navigation.register_me_link("my-home", _("My page"), 10)
        navigation.register_me_link("my-offers", _("Requests offered to me"), 20)
        navigation.register_me_link(
            "my-assignments", _("My assignments"), 30, also_current=("my-assignment",)
        )
        navigation.register_me_link("my-profile", _("My volunteer profile"), 40)
        navigation.register_me_link("my-activity", _("My activity"), 70)
        navigation.register_me_link("my-card", _("My check-in card"), 80)
        # Residents whose record a coordinator linked to their account.
        navigation.register_me_link(
            "my-requests",
            _("My requests for help"),
            15,
            also_current=("my-request",),
            visible=_is_linked_resident,
        )
        # Host staff of a place: its check-ins to confirm and its kiosk screen.
        navigation.register_me_link(
            "my-places",
            _("Places I host"),
            85,
            also_current=("place-checkins",),
            visible=_hosts_any_place,
        )
        # Below shop staff's landing (points registers it with priority 20).
        navigation.register_landing(Role.VOLUNTEER, "my-home", priority=10)
        # The go-live checklist on the dashboard (core.navigation).
        from volunteers import checklist

        navigation.register_checklist_item(
            "help_categories",
            _("Help categories with fees and service hours (review and save)"),
            30,
            check=checklist.help_categories_check,
            url="aid_categories:index",
        )
        navigation.register_checklist_item(
            "places",
            _("Places (QR check-in)"),
            70,
            check=checklist.places_check,
            url="places:index",
        )
        # An approved volunteer application (decided in cms) gets its profile here,
        # then the coordinator completes it on the volunteer's page.
        onboarding.register_role_setup(
            Role.VOLUNTEER, volunteer_profile_start, url_name="aid_volunteer"
        )
