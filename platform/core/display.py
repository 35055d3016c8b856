"""Display preferences a visitor sets for this browser: large text and high contrast
(white text on a black background, as many city sites offer), and the two views that
switch them (routed by cms/urls.py at /text-size/ and /contrast/). Each is a cookie set
by a POST form (no JavaScript needed), read on every page that extends ``base.html``
as a class on ``<html>``: rem sizes follow the root's font size, and the colour
variables of site.css are redefined there. print.css puts paper back to black on white."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST


@dataclass(frozen=True)
class Preference:
    cookie: str
    value: str
    css_class: str


LARGE_TEXT = Preference(cookie="text_size", value="large", css_class="large-text")
HIGH_CONTRAST = Preference(cookie="contrast", value="high", css_class="high-contrast")
PREFERENCES = (LARGE_TEXT, HIGH_CONTRAST)
COOKIE_MAX_AGE = 365 * 24 * 3600


def preference_on(request: HttpRequest | None, preference: Preference) -> bool:
    return bool(request and request.COOKIES.get(preference.cookie) == preference.value)


def display_classes(request: HttpRequest | None) -> str:
    """The classes for ``<html>``, e.g. ``"large-text high-contrast"``."""
    return " ".join(p.css_class for p in PREFERENCES if preference_on(request, p))


def preference_toggle(request: HttpRequest, response: HttpResponse, preference: Preference):
    """Turn ``preference`` off if it is on, else on, on ``response``. The cookie is
    HttpOnly and SameSite=Lax, and Secure whenever the session cookie is."""
    if preference_on(request, preference):
        response.delete_cookie(preference.cookie, samesite="Lax")
    else:
        response.set_cookie(
            preference.cookie,
            preference.value,
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the page the button was on (this site only)."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)


@require_POST
def text_size(request):
    """Toggle large text for this browser (a cookie; works without JavaScript)."""
    return preference_toggle(request, _back(request), LARGE_TEXT)


@require_POST
def contrast(request):
    """Toggle high contrast (white on black) for this browser, like :func:`text_size`."""
    return preference_toggle(request, _back(request), HIGH_CONTRAST)
