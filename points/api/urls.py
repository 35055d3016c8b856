from django.urls import path

from points.api.views import (
    BalanceView,
    EntryListView,
    ExchangeView,
    RedemptionCheckView,
    RedemptionView,
    StaffShopListView,
    StatementListView,
    VoucherListView,
)

urlpatterns = [
    path("points/balance/", BalanceView.as_view(), name="api-points-balance"),
    path("points/entries/", EntryListView.as_view(), name="api-points-entries"),
    path("vouchers/", VoucherListView.as_view(), name="api-vouchers"),
    path("vouchers/exchange/", ExchangeView.as_view(), name="api-vouchers-exchange"),
    path("shop/shops/", StaffShopListView.as_view(), name="api-shop-shops"),
    path("shop/redemptions/", RedemptionView.as_view(), name="api-shop-redemptions"),
    path(
        "shop/redemptions/check/",
        RedemptionCheckView.as_view(),
        name="api-shop-redemptions-check",
    ),
    path("shop/statements/", StatementListView.as_view(), name="api-shop-statements"),
]
