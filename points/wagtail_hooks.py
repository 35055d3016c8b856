"""The points ledger in the Wagtail admin: ledger report (with CSV/XLSX export),
manual adjustments and earning-rule editing."""

from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.base import ViewSetGroup

from accounts.admin_search import NameSearchMixin
from accounts.forms import OpenDistrictsViewSetMixin
from accounts.models import Role
from core.admin import PermissionMenuItem
from core.admin_views import ModelViewSet
from core.exports import LocalisedIndexView
from core.pagination import CappedCountPaginator
from points.admin.adjustment import AdjustmentView
from points.admin.ledger import LedgerReportView
from points.admin.passbook import PassbookForView
from points.admin.shops import ShopImportView
from points.admin.statements import GenerateStatementsView, StatementPayView, StatementReportView
from points.admin.vouchers import (
    ExchangeForVolunteerView,
    VoidVoucherView,
    can_act_for_volunteers,
    vouchers_print_for,
)
from points.models import EarningRule, Shop, ShopMembership, Voucher


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
        "requires_training",
        "daily_cap",
        "yearly_cap",
        "cap_group",
        "year_basis",
        "expiry",
        "active",
    ]


class ShopIndexView(NameSearchMixin, LocalisedIndexView):
    """Search by shop or contact name, kana (any script) or address."""

    name_search = {
        "names": ("name", "contact_name"),
        "kanas": ("name_kana",),
        "others": ("address",),
    }


class ShopViewSet(OpenDistrictsViewSetMixin, ModelViewSet):
    model = Shop
    index_view_class = ShopIndexView
    icon = "home"
    menu_label = _("Shops")
    list_display = ["name", "address", "district", "category", "active"]
    list_filter = ["district", "category", "active"]
    search_fields = ["name", "name_kana", "address"]
    list_export = [
        "name",
        "name_kana",
        "address",
        "district",
        "category",
        "goods",
        "phone",
        "active",
    ]
    form_fields = [
        "name",
        "name_kana",
        "address",
        "district",
        "category",
        "goods",
        "contact_name",
        "phone",
        "email",
        "active",
    ]


class ShopMembershipIndexView(NameSearchMixin, IndexView):
    """Search by the clerk's name, kana (any script) or email, or the shop's name."""

    name_search = {
        "names": ("user__full_name", "shop__name"),
        "kanas": ("user__full_name_kana", "shop__name_kana"),
        "others": ("user__email",),
    }


class ShopMembershipViewSet(ModelViewSet):
    model = ShopMembership
    index_view_class = ShopMembershipIndexView
    icon = "group"
    menu_label = _("Shop staff")
    list_display = ["user", "shop"]
    search_fields = ["user__full_name", "user__full_name_kana", "user__email", "shop__name"]
    list_filter = ["shop"]
    form_fields = ["user", "shop"]


def _void_link(voucher: Voucher):
    if voucher.status != Voucher.Status.ISSUED:
        return ""
    url = reverse("points_voucher_void", args=[voucher.pk])
    return format_html('<a href="{}">{}</a>', url, _("Void"))


class VoucherIndexView(LocalisedIndexView):
    """Half a million vouchers at a city's ten years: the page reads its 20 rows with
    their owner and shop (one query, not one per row) and never counts past the cap."""

    paginator_class = CappedCountPaginator

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("owner", "shop")


class VoucherViewSet(ModelViewSet):
    """Read-only for everyone but superusers: vouchers change through services only."""

    model = Voucher
    index_view_class = VoucherIndexView
    icon = "tag"
    menu_label = pgettext_lazy("admin menu", "Vouchers")
    list_display = [
        "__str__",
        "owner",
        "status",
        "expires_on",
        "shop",
        "redeemed_at",
        Column("void", label="", accessor=_void_link),
    ]
    list_filter = ["status", "shop"]
    list_export = [
        "pk",
        "owner",
        "points",
        "face_value_yen",
        "status",
        "expires_on",
        "shop",
        "redeemed_at",
    ]
    form_fields = ["void_reason"]
    inspect_view_enabled = True


class ShopsGroup(ViewSetGroup):
    menu_label = _("Shops and vouchers")
    menu_icon = "home"
    menu_order = 420
    items = (ShopViewSet("shops"), ShopMembershipViewSet("shop_staff"), VoucherViewSet("vouchers"))


@hooks.register("register_admin_viewset")
def register_earning_rules():
    return EarningRuleViewSet("earning_rules")


@hooks.register("register_admin_viewset")
def register_shops():
    return ShopsGroup()


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
        path("points/shops/import/", ShopImportView.as_view(), name="points_shop_import"),
        path("points/exchange/", ExchangeForVolunteerView.as_view(), name="points_exchange_for"),
        path(
            "points/vouchers/print/<int:user_id>/",
            vouchers_print_for,
            name="points_vouchers_print_for",
        ),
        path(
            "points/vouchers/<int:pk>/void/", VoidVoucherView.as_view(), name="points_voucher_void"
        ),
        path("points/statements/", StatementReportView.as_view(), name="points_statements"),
        path(
            "points/statements/results/",
            StatementReportView.as_view(results_only=True),
            name="points_statements_results",
        ),
        path(
            "points/statements/generate/",
            GenerateStatementsView.as_view(),
            name="points_statements_generate",
        ),
        path(
            "points/statements/<int:pk>/pay/",
            StatementPayView.as_view(),
            name="points_statement_pay",
        ),
    ]


class LedgerMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("points.view_entry")


class AdjustMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.acts_as(Role.CITY_STAFF)


@hooks.register("register_reports_menu_item")
def register_ledger_menu_item():
    return LedgerMenuItem(_("Points ledger"), reverse("points_ledger"), icon_name="list-ul")


@hooks.register("register_admin_menu_item")
def register_statements_menu_item():
    return PermissionMenuItem(
        _("Settlement"),
        reverse("points_statements"),
        icon_name="doc-full",
        order=430,
        permission="points.view_settlementstatement",
    )


@hooks.register("register_admin_menu_item")
def register_generate_menu_item():
    return PermissionMenuItem(
        _("Generate statements"),
        reverse("points_statements_generate"),
        icon_name="doc-full",
        order=431,
        permission="points.change_settlementstatement",
    )


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return PermissionMenuItem(
        _("Import shops"),
        reverse("points_shop_import"),
        icon_name="upload",
        order=425,
        permission="points.add_shop",
    )


class ActForVolunteersMenuItem(MenuItem):
    def is_shown(self, request):
        return can_act_for_volunteers(request.user)


@hooks.register("register_admin_menu_item")
def register_exchange_menu_item():
    return ActForVolunteersMenuItem(
        _("Exchange vouchers for a volunteer"),
        reverse("points_exchange_for"),
        icon_name="tag",
        order=415,
    )


@hooks.register("register_admin_menu_item")
def register_adjust_menu_item():
    return AdjustMenuItem(
        _("Points adjustment"), reverse("points_adjust"), icon_name="edit", order=410
    )


@hooks.register("register_admin_urls")
def register_passbook_urls():
    return [
        path(
            "points/passbook/<int:user_id>/",
            PassbookForView.as_view(),
            name="points_passbook_for",
        )
    ]
