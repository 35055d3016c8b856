"""The versioned REST API: each app contributes its own ``api/urls.py``."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("points.api.urls")),
    path("", include("volunteers.api.urls")),
]
