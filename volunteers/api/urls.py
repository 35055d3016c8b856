from django.urls import path

from volunteers.api.views import (
    ActivityListView,
    AssignmentDetailView,
    AssignmentFinishView,
    AssignmentListView,
    AssignmentStartView,
    ClosedDaysView,
    HelpRequestCreateView,
    OfferAcceptView,
    OfferDeclineView,
    OfferListView,
    ScanView,
)

urlpatterns = [
    path("help-requests/", HelpRequestCreateView.as_view(), name="api-help-requests"),
    path("centre/closed-days/", ClosedDaysView.as_view(), name="api-closed-days"),
    path("scans/", ScanView.as_view(), name="api-scans"),
    path("activities/", ActivityListView.as_view(), name="api-activities"),
    path("offers/", OfferListView.as_view(), name="api-offers"),
    path("offers/<int:pk>/accept/", OfferAcceptView.as_view(), name="api-offers-accept"),
    path("offers/<int:pk>/decline/", OfferDeclineView.as_view(), name="api-offers-decline"),
    path("assignments/", AssignmentListView.as_view(), name="api-assignments"),
    path("assignments/<int:pk>/", AssignmentDetailView.as_view(), name="api-assignment"),
    path(
        "assignments/<int:pk>/start/", AssignmentStartView.as_view(), name="api-assignments-start"
    ),
    path(
        "assignments/<int:pk>/finish/",
        AssignmentFinishView.as_view(),
        name="api-assignments-finish",
    ),
]
