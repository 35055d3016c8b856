from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: Model permissions each role group gets on the accounts app. Districts are closed,
#: never deleted (residents, shops and pages keep theirs), so there is no delete.
ROLE_PERMISSIONS = {
    "city_staff": ["view_district", "add_district", "change_district"],
}


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.db import models
        from wagtail.admin.forms.models import register_form_field_override

        from allauth.mfa.signals import authenticator_added

        from accounts import checklist
        from accounts.forms import OpenDistrictChoiceField
        from accounts.mfa_policy import record_mfa_on_totp_activation
        from accounts.models import District
        from core import navigation
        from core.permissions import connect

        authenticator_added.connect(
            record_mfa_on_totp_activation, dispatch_uid="accounts.mfa_on_totp_activation"
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
