from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

#: Model permissions each role group gets on the points app.
ROLE_PERMISSIONS = {
    "city_staff": [
        "view_entry",
        "view_transaction",
        "view_account",
        "view_earningrule",
        "add_earningrule",
        "change_earningrule",
        "view_shop",
        "add_shop",
        "change_shop",
        "view_shopmembership",
        "add_shopmembership",
        "change_shopmembership",
        "delete_shopmembership",
        "view_voucher",
        "view_settlementstatement",
        "change_settlementstatement",
        "change_exchangesettings",
    ],
}


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("Ikiiki points")

    def ready(self):
        from accounts.models import Role
        from core import navigation
        from core.permissions import connect
        from points import checks  # noqa: F401 (registers the deploy checks)

        # Wiring of access rights, not domain logic: runs after every migrate/flush.
        connect(self, ROLE_PERMISSIONS)
        navigation.register_me_link("my-points", _("My points"), 50)
        navigation.register_me_link("my-vouchers", _("My vouchers"), 60)
        # Shop staff who also volunteer land on the redemption page (volunteers: 10).
        navigation.register_landing(Role.SHOP_STAFF, "shop-redeem", priority=20)
        # The go-live checklist on the dashboard (core.navigation).
        from points import checklist

        navigation.register_checklist_item(
            "earning_rules",
            _("Earning rules"),
            40,
            check=checklist.earning_rules_check,
            url="earning_rules:index",
        )
        navigation.register_checklist_item(
            "exchange_settings",
            _("Voucher exchange settings (review and save)"),
            50,
            check=checklist.exchange_settings_check,
            url=lambda: reverse("wagtailsettings:edit", args=["points", "exchangesettings"]),
        )
        navigation.register_checklist_item(
            "shops",
            _("Shops accepting vouchers"),
            60,
            check=checklist.shops_check,
            url="shops:index",
        )
