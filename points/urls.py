from django.urls import path

from points import print_views, views

urlpatterns = [
    path("shops/", views.shop_list, name="shop-list"),
    path("me/points/", views.my_points, name="my-points"),
    path("me/points/notices/", views.my_points_notices, name="my-points-notices"),
    path("me/vouchers/", views.my_vouchers, name="my-vouchers"),
    path("me/vouchers/print/", views.my_vouchers_print, name="my-vouchers-print"),
    path("shop/redeem/", views.shop_redeem, name="shop-redeem"),
    path("shop/redeem/confirm/", views.shop_redeem_confirm, name="shop-redeem-confirm"),
    path("shop/redeem/<str:code>/", views.shop_redeem_code, name="shop-redeem-code"),
    path("shop/history/", views.shop_history, name="shop-history"),
    path("shop/statements/", views.shop_statements, name="shop-statements"),
    path("shop/statements/<int:pk>/", views.shop_statement, name="shop-statement"),
    path(
        "shop/statements/<int:pk>/<str:fmt>/",
        views.shop_statement,
        name="shop-statement-export",
    ),
    path("me/points/passbook/", print_views.my_passbook, name="my-points-passbook"),
]
