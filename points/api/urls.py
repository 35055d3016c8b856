from django.urls import path

from points.api.views import BalanceView, EntryListView

urlpatterns = [
    path("points/balance/", BalanceView.as_view(), name="api-points-balance"),
    path("points/entries/", EntryListView.as_view(), name="api-points-entries"),
]
