"""Request policies that apply across the whole site."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers

from accounts.mfa import back_office_mfa_response
from accounts.models import language_for

ADMIN_PREFIX = "/admin/"


class PreferredLanguageMiddleware:
    """Japanese first: the language is the one chosen on this device (cookie set by
    Django's ``set_language`` view), else the signed-in user's preference, else
    ``LANGUAGE_CODE``. The browser's Accept-Language is deliberately ignored so that a
    shared terminal at a centre always starts in Japanese."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = dict(settings.LANGUAGES)

    def __call__(self, request):
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        user = getattr(request, "user", None)
        if cookie in self.available:
            language = cookie
        elif user is not None and user.is_authenticated:
            language = language_for(user)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class AdminAccessPolicyMiddleware:
    """The back office (Wagtail admin) requires MFA (the rule of ``accounts.mfa``).

    * Anonymous users fall through to Wagtail, which sends them to the allauth login.
    * Signed-in users without admin access get a clear 403 page instead of a login loop.
    * Admin users without TOTP are sent to set it up; those whose session did not pass
      MFA (for example signed in by emailed code) are asked for a TOTP code first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(ADMIN_PREFIX) and request.user.is_authenticated:
            denial = self.check(request)
            if denial is not None:
                return denial
        return self.get_response(request)

    def check(self, request):
        user = request.user
        if not user.has_perm("wagtailadmin.access_admin"):
            return render(request, "accounts/admin_forbidden.html", status=403)
        return back_office_mfa_response(request)
