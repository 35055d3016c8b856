"""The points ledger in the Wagtail admin: ledger report (with CSV/XLSX export),
manual adjustments and earning-rule editing."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet

from accounts.models import Role
from points.admin_views import AdjustmentView, LedgerReportView
from points.models import EarningRule


class EarningRuleViewSet(ModelViewSet):
    model = EarningRule
    icon = "pick"
    menu_label = _("Earning rules")
    add_to_admin_menu = True
    menu_order = 400
    list_display = ["name", "activity_kind", "basis", "points", "daily_cap", "yearly_cap", "active"]
    list_filter = ["basis", "active"]
    form_fields = [
        "name",
        "activity_kind",
        "basis",
        "points",
        "rounding_minutes",
        "min_minutes",
        "min_age",
        "daily_cap",
        "yearly_cap",
        "cap_group",
        "year_basis",
        "expiry",
        "active",
    ]


@hooks.register("register_admin_viewset")
def register_earning_rules():
    return EarningRuleViewSet("earning_rules")


@hooks.register("register_admin_urls")
def register_ledger_urls():
    return [
        path("points/ledger/", LedgerReportView.as_view(), name="points_ledger"),
        path(
            "points/ledger/results/",
            LedgerReportView.as_view(results_only=True),
            name="points_ledger_results",
        ),
        path("points/adjust/", AdjustmentView.as_view(), name="points_adjust"),
    ]


class LedgerMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("points.view_entry")


class AdjustMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser or request.user.has_role(Role.CITY_STAFF)


@hooks.register("register_reports_menu_item")
def register_ledger_menu_item():
    return LedgerMenuItem(_("Points ledger"), reverse("points_ledger"), icon_name="list-ul")


@hooks.register("register_admin_menu_item")
def register_adjust_menu_item():
    return AdjustMenuItem(
        _("Points adjustment"), reverse("points_adjust"), icon_name="edit", order=410
    )
