"""Site-wide request handling that runs before anything else: the request id, the
load balancer's health check, refusing bad input, and response headers."""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from core import badinput, health
from core.db import replica_reads
from core.logging import request_id_from, request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
HEALTH_PATHS = ("/healthz", "/healthz/")


class RequestIdMiddleware:
    """Takes the request id from ``X-Request-ID`` (a proxy's) or makes one; every log
    line of the request carries it, and the response returns it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        # Not reset on the way out: Django logs a 4xx/5xx ("Not Found: ...") after
        # the middleware chain returns, and that line must carry the id too. The next
        # request in this thread (or task) sets its own.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class HealthCheckMiddleware:
    """``/healthz``: 200 ``{"status": "ok", ...}`` or 503 naming the failed checks.
    Answered here, before host validation, HTTPS redirects, sessions and users: the
    balancer polls by address over plain HTTP, and the answer holds no personal data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in HEALTH_PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"code": "method_not_allowed"}, status=405)
        checks = health.run_checks()
        failed = sorted(name for name, result in checks.items() if result == "fail")
        body = {"status": "fail" if failed else "ok", "checks": checks}
        if failed:
            body["failed"] = failed
        response = JsonResponse(body, status=503 if failed else 200)
        add_never_cache_headers(response)
        return response


def wants_json(request) -> bool:
    return (
        request.path_info.startswith(("/api/", "/_allauth/"))
        or "json" in request.META.get("CONTENT_TYPE", "")
        or "json" in request.META.get("HTTP_ACCEPT", "")
    )


def error_response(request, *, status: int, code: str) -> HttpResponse:
    """The API's error shape ``{"code", "detail"}`` or a Japanese error page."""
    detail = str(badinput.MESSAGES[code])
    if wants_json(request):
        return JsonResponse({"code": code, "detail": detail}, status=status)
    html = render_to_string("core/error.html", {"status": status, "code": code, "detail": detail})
    return HttpResponse(html, status=status)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadInputMiddleware:
    """Refuses, before any view or form reads the body:

    * a body larger than the cap, from ``Content-Length`` (413 ``request_too_large``):
      ``UPLOAD_REQUEST_MAX_SIZE`` for multipart uploads, ``DATA_UPLOAD_MAX_MEMORY_SIZE``
      for everything else;
    * a NUL in the path, the query string or a form field (400 ``invalid_characters``);
    * JSON nested deeper than ``JSON_MAX_DEPTH`` or holding a NUL (400).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = self.problem(request)
        if code is not None:
            status = 413 if code == badinput.REQUEST_TOO_LARGE else 400
            return error_response(request, status=status, code=code)
        return self.get_response(request)

    def problem(self, request) -> str | None:
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        cap = (
            settings.UPLOAD_REQUEST_MAX_SIZE
            if content_type == "multipart/form-data"
            else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if length > cap:
            return badinput.REQUEST_TOO_LARGE
        if "\x00" in request.path or b"\x00" in unquote_to_bytes(
            request.META.get("QUERY_STRING", "")
        ):
            return badinput.INVALID_CHARACTERS
        if request.method not in ("POST", "PUT", "PATCH", "DELETE") or not length:
            return None
        if content_type in _FORM_TYPES:
            if request.method == "POST":
                try:
                    fields = list(request.POST.lists())
                except Exception:  # noqa: BLE001 - Django answers a malformed body itself
                    return None
                for key, values in fields:
                    if "\x00" in key or any("\x00" in value for value in values):
                        return badinput.INVALID_CHARACTERS
            elif b"%00" in request.body.lower() or b"\x00" in request.body:
                return badinput.INVALID_CHARACTERS
        elif _is_json(content_type):
            try:
                badinput.check_json(request.body)
            except badinput.BadInput as error:
                return error.code
            except (ValueError, UnicodeDecodeError):
                return None  # not JSON: the view answers that itself
        return None


class ThirdPartyInputMiddleware:
    """Checks, before the view, input that views of Wagtail and allauth answer with a
    500 (found by ``tests/platform/test_fuzz.py``; each is a bug of the library):

    * ``?id=`` of the page/image/document ``find`` APIs and of the choosers'
      ``chosen-multiple`` views must be whole numbers (they pass it to the database
      unchecked: ``ValueError``) → 400 ``invalid_parameter``;
    * the external-link chooser's POST must carry its URL field (a missing one is an
      ``AttributeError`` in Wagtail's form) → 400 ``invalid_parameter``;
    * allauth's headless phone endpoints: phone numbers are not an account method
      here and the adapter has none to give (``NotImplementedError``) → 404;
    * a social provider's login and callback views while the city has not set that
      provider up (no app: ``SocialApp.DoesNotExist``; LINE is optional) → 404.

    Only these views are guarded, by URL name: the project's own views answer bad
    input themselves, and a 500 there stays a bug a test must find.
    """

    NUMERIC_ID_VIEWS = re.compile(r"(^|:)(find|chosen_multiple)$|_chosen_multiple$")
    REQUIRED_POST_FIELDS = {
        "wagtailadmin_choose_page_external_link": ("external-link-chooser-url",),
    }
    ABSENT_VIEWS = re.compile(r"^headless:\w+:account:(manage_phone|verify_phone)")
    PROVIDER_VIEWS = re.compile(r"^(?P<provider>line)_(login|callback)$")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        name = match.view_name if match else ""
        if not name:
            return None
        if self.ABSENT_VIEWS.match(name):
            return error_response(request, status=404, code=badinput.NOT_FOUND)
        provider = self.PROVIDER_VIEWS.match(name)
        if provider and not _provider_configured(request, provider["provider"]):
            return error_response(request, status=404, code=badinput.NOT_FOUND)
        if self.NUMERIC_ID_VIEWS.search(name) and any(
            not value.isascii() or not value.isdigit() for value in request.GET.getlist("id")
        ):
            return error_response(request, status=400, code=badinput.INVALID_PARAMETER)
        required = self.REQUIRED_POST_FIELDS.get(name, ())
        if request.method == "POST" and any(field not in request.POST for field in required):
            return error_response(request, status=400, code=badinput.INVALID_PARAMETER)
        return None


def _provider_configured(request, provider: str) -> bool:
    from allauth.socialaccount.adapter import get_adapter

    return bool(get_adapter(request).list_apps(request, provider=provider))


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or bool(
        re.fullmatch(r"application/[a-z0-9.+-]*\+json", content_type)
    )


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response (``PERMISSIONS_POLICY``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the back office's exception: Wagtail's admin
    still writes inline ``<script>`` (InlinePanel, the date widgets) and injects
    styles, as does Swagger UI, so under ``CSP_INLINE_PATHS`` the
    ``CSP_ADMIN_REPLACE`` directives apply (inline allowed, no nonce: a nonce would
    make browsers ignore 'unsafe-inline'). Every other directive, and the public
    site's strict policy, stay."""

    inline_prefixes = ()

    def __init__(self, get_response):
        super().__init__(get_response)
        self.inline_prefixes = tuple(settings.CSP_INLINE_PATHS)

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if request.path_info.startswith(self.inline_prefixes) and parts.replace is None:
            parts.replace = settings.CSP_ADMIN_REPLACE
        return parts


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on pages and API answers that show live voucher
    codes or personal data (``NO_STORE_PATHS``, prefixes), so no browser or proxy
    cache keeps them."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(settings.NO_STORE_PATHS)

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(self.prefixes):
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response


class CsvBomMiddleware:
    """Every CSV answer starts with a UTF-8 byte-order mark, including the exports of
    Wagtail's own reports that the project does not build itself: without it Excel on
    Japanese Windows reads the file as Shift_JIS and shows mojibake. Answers that carry
    one already (:func:`core.exports.csv_response`) are left as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from core.exports import with_bom

        return with_bom(self.get_response(request))


class ReplicaReadsMiddleware:
    """Anonymous GET and HEAD requests for public pages (Wagtail's page serving, views
    marked :func:`replica_reads_when_anonymous` such as the iCal feeds) read from the
    replica (``core.db``), view and template rendering alike. A signed-in person, whose
    page may show what they have just done, and every other method stay on the primary.

    Placed after the authentication middleware: who the visitor is is read from the
    primary before the scope opens. The scope opens in ``process_view`` (where the view
    is known) and closes when the response has come back through this middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            scope = request.__dict__.pop("_replica_scope", None)
            if scope is not None:
                scope.__exit__(None, None, None)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from wagtail.views import serve

        if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
            return None
        if view_func is serve or getattr(view_func, "replica_reads_when_anonymous", False):
            scope = replica_reads()
            scope.__enter__()
            request._replica_scope = scope
        return None
