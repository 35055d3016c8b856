from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig

#: Model permissions each role group gets on the accounts app: the back office's user
#: pages (``accounts.users_admin``), where each may edit only the people whose roles
#: they may grant, and grant only those roles; and districts, which are closed, never
#: deleted (residents, shops and pages keep theirs), so there is no delete.
ROLE_PERMISSIONS = {
    "coordinator": ["add_user", "change_user"],
    "city_staff": [
        "add_user",
        "change_user",
        "view_district",
        "add_district",
        "change_district",
    ],
}


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")
    default = True  # this module also holds UsersAdminConfig

    def ready(self):
        from allauth.account.signals import password_reset
        from allauth.mfa.signals import authenticator_added
        from django.db import models
        from wagtail.admin.forms.models import register_form_field_override

        from accounts import checklist
        from accounts.email_policy import confirm_sole_address_on_password_reset
        from accounts.forms import OpenDistrictChoiceField
        from accounts.mfa_policy import record_mfa_on_totp_activation
        from accounts.models import District
        from core import navigation
        from core.notify import line_linking_available
        from core.permissions import connect

        authenticator_added.connect(
            record_mfa_on_totp_activation, dispatch_uid="accounts.mfa_on_totp_activation"
        )
        password_reset.connect(
            confirm_sole_address_on_password_reset,
            dispatch_uid="accounts.confirm_address_on_password_reset",
        )
        # Wiring of access rights, not domain logic: runs after every migrate/flush.
        connect(self, ROLE_PERMISSIONS)
        # Every back-office form that picks a district (residents, shops, places,
        # pages) offers open districts only, keeping a closed one a record already has.
        register_form_field_override(
            models.ForeignKey, to=District, override={"form_class": OpenDistrictChoiceField}
        )
        navigation.register_checklist_item(
            "districts",
            _("Districts (import or add them)"),
            10,
            check=checklist.districts_check,
            url="districts:index",
        )
        navigation.register_checklist_item(
            "staff_mfa",
            _("Staff accounts with MFA (a coordinator at least; everyone with TOTP)"),
            90,
            check=checklist.staff_mfa_check,
            url="wagtailusers_users:index",
        )
        # Linking LINE (allauth's connections page) once the city has set LINE up.
        navigation.register_me_link(
            "socialaccount_connections",
            _("Notices on LINE"),
            95,
            visible=lambda request: line_linking_available(),
        )


class UsersAdminConfig(WagtailUsersAppConfig):
    """``wagtail.users`` with this project's user pages (full name, kana, phone, date
    of birth, roles). Listed in INSTALLED_APPS in place of ``"wagtail.users"``, the way
    Wagtail 6+ documents customising the user forms."""

    default = False
    user_viewset = "accounts.users_admin.UserViewSet"
    group_viewset = "accounts.groups_admin.GroupViewSet"
