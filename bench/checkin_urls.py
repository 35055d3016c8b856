"""The application's URLs plus the baselines of ``bench_checkin``.

* ``/bench/auth/``: the authenticated no-op view, the baseline of the target: the scan
  view's own authentication, permission and throttle classes (the ``X-Session-Token``
  lookup: session, then user) and nothing else. What a scan does beyond any
  authenticated API request is measured against it.
* ``/bench/bare/``: no database access, a tiny JSON body, kept as information (how much
  of even the no-op's cost is the token lookup). CSRF-exempt like every DRF view (the
  scan API is one), so a POST goes through exactly the same middleware stack as
  ``POST /api/v1/scans/``.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as app_urlpatterns
from volunteers.api.views import ScanView


@csrf_exempt
def bare_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


class AuthenticatedNoopView(APIView):
    # Whatever the scan view authenticates and checks with, this view does too.
    authentication_classes = ScanView.authentication_classes
    permission_classes = ScanView.permission_classes
    throttle_classes = ScanView.throttle_classes

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


# Before the application's patterns: Wagtail's page serving, last there, catches all.
urlpatterns = [
    path("bench/bare/", bare_view, name="bench-bare"),
    path("bench/auth/", AuthenticatedNoopView.as_view(), name="bench-auth"),
    *app_urlpatterns,
]
