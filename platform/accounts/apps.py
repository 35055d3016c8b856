from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig

#: Model permissions each role group gets on the accounts app: the back office's user
#: pages (``accounts.users_admin``), where each may edit only the people whose roles
#: they may grant, and grant only those roles.
ROLE_PERMISSIONS = {
    "coordinator": ["add_user", "change_user"],
    "city_staff": ["add_user", "change_user"],
}


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")
    default = True  # this module also holds UsersAdminConfig

    def ready(self):
        from core.permissions import connect

        connect(self, ROLE_PERMISSIONS)


class UsersAdminConfig(WagtailUsersAppConfig):
    """``wagtail.users`` with this project's user pages (full name, kana, phone, date
    of birth, roles). Listed in INSTALLED_APPS in place of ``"wagtail.users"``, the way
    Wagtail 6+ documents customising the user forms."""

    default = False
    user_viewset = "accounts.users_admin.UserViewSet"
