"""The application's URLs plus the baselines of ``bench_checkin``.

* ``/bench/bare/``: no database access, a tiny JSON body. CSRF-exempt like every DRF
  view (the scan API is one), so a POST goes through exactly the same middleware stack
  as ``POST /api/v1/scans/``. The baseline of every ratio.
* ``/bench/auth/``: a DRF view with the API's default authentication and permission
  (the ``X-Session-Token`` lookup) that does nothing else: informational, it shows how
  much of a scan's cost is authentication.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def bare_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


class AuthenticatedNoopView(APIView):
    def post(self, request: Request) -> Response:
        return Response({"ok": True})


# Before the application's patterns: Wagtail's page serving, last there, catches all.
urlpatterns = [
    path("bench/bare/", bare_view, name="bench-bare"),
    path("bench/auth/", AuthenticatedNoopView.as_view(), name="bench-auth"),
    *app_urlpatterns,
]
