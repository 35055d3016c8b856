from django.urls import path

from volunteers.api.views import ActivityListView, ScanView

urlpatterns = [
    path("scans/", ScanView.as_view(), name="api-scans"),
    path("activities/", ActivityListView.as_view(), name="api-activities"),
]
