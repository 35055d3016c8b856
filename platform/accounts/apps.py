from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from accounts.mfa_policy import record_mfa_on_totp_activation

        authenticator_added.connect(
            record_mfa_on_totp_activation, dispatch_uid="accounts.mfa_on_totp_activation"
        )
