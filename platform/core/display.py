"""Display preferences a visitor sets for this browser: large text and high contrast
(white text on a black background, as many city sites offer). Each is a cookie set by
a POST form (no JavaScript needed), read on every page that extends ``base.html``
as a class on ``<html>``: rem sizes follow the root's font size, and the colour
variables of site.css are redefined there. Print styles put paper back to black on
white (print.css)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse


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
