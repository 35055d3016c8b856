"""The site's error pages (``handler400/403/404/500`` in ``config.urls``): styled,
in the visitor's language, each saying what happened and what to do next.

The 500 page is rendered without a request, so without context processors, the
database or the session: whatever broke the page must not break its error page.
"""

from __future__ import annotations

from django.conf import settings
from django.http import (
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template.loader import render_to_string
from django.utils.functional import Promise

from accounts.adapter import landing_url


def _own_page(request) -> str:
    """The signed-in user's own start page (``/me/``, ``/shop/redeem/``, the back
    office), or "" for visitors and users whose start page is the home page."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return ""
    url = landing_url(user)
    return "" if url == "/" else url


#: URL names of the shop counter's pages (``points.urls``): a 403 there is most often a
#: volunteer who opened them with their own voucher, and the page says how vouchers work.
SHOP_URL_PREFIX = "shop-"


def _reason(exception) -> str:
    """The message a view gave ``PermissionDenied`` (translated there), if any."""
    if exception is None or not exception.args:
        return ""
    message = exception.args[0]
    return str(message) if isinstance(message, str | Promise) else ""


def bad_request(request, exception=None):
    html = render_to_string("400.html", {}, request=request)
    return HttpResponseBadRequest(html)


def permission_denied(request, exception=None):
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    match = getattr(request, "resolver_match", None)
    context = {
        "reason": _reason(exception),
        "signed_in": signed_in,
        "own_page": _own_page(request),
        "shop_page": bool(match and (match.url_name or "").startswith(SHOP_URL_PREFIX)),
        "next": request.get_full_path(),
    }
    return HttpResponseForbidden(render_to_string("403.html", context, request=request))


def page_not_found(request, exception=None):
    context = {"own_page": _own_page(request)}
    return HttpResponseNotFound(render_to_string("404.html", context, request=request))


def server_error(request=None):
    # No request: no context processors, no database (DESIGN: the 500 page is static).
    html = render_to_string("500.html", {"SITE_NAME": settings.WAGTAIL_SITE_NAME})
    return HttpResponseServerError(html)


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token (an expired page, cookies blocked): the
    styled 403 page, saying to reload the form."""
    context = {
        "reason": "",
        "csrf": True,
        "signed_in": bool(getattr(request, "user", None) and request.user.is_authenticated),
        "own_page": "",
        "shop_page": False,
        "next": request.get_full_path(),
    }
    return HttpResponseForbidden(render_to_string("403.html", context, request=request))
