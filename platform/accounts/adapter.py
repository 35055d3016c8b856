"""allauth adapters: where each role lands after signing in, the client's address its
rate limits key on, and third-party accounts (LINE) for linking only."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import BACK_OFFICE_ROLES
from core.clientip import client_ip
from core.navigation import landing_url_name
from core.site import configured_site


def landing_url(user) -> str:
    """The page a user starts from when sign-in had no ``next``: the back office for
    its staff, else the page the apps registered for the user's roles
    (:func:`core.navigation.register_landing`: the redemption page for shop staff, the
    volunteer's own pages for volunteers), the public site for everyone else."""
    if user.is_superuser or any(user.has_role(role) for role in BACK_OFFICE_ROLES):
        return reverse("wagtailadmin_home")
    url_name = landing_url_name(user)
    return reverse(url_name) if url_name else "/"


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request) -> str:
        return landing_url(request.user)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render the message here (it needs the request), send it from a Celery task:
        the page answers at once even when the mail server stalls, and the worker
        retries. The message is complete, so the task reads nothing from the database
        and need not wait for a commit."""
        from allauth.core import context as allauth_context

        from accounts.tasks import send_email

        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": configured_site()} | context,
        )
        send_email.delay(
            {
                "subject": message.subject,
                "body": message.body,
                "content_subtype": message.content_subtype,
                "from_email": message.from_email,
                "to": list(message.to),
                "alternatives": [
                    [content, kind] for content, kind in getattr(message, "alternatives", [])
                ],
            }
        )

    def get_client_ip(self, request) -> str:
        # allauth's own lookup raises ImproperlyConfigured (a 500) on a short
        # X-Forwarded-For; this one follows TRUSTED_PROXY_COUNT like the project's limits.
        return client_ip(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Third-party accounts (LINE) are linked to an account someone already signed in
    to, never used to sign up or sign in: the account's email, password and, for staff,
    TOTP stay the only way in, and a LINE userId names only where notices go."""

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def pre_social_login(self, request, sociallogin) -> None:
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            return
        messages.error(
            request,
            _("LINE cannot be used to sign in. Sign in first, then link LINE on your page."),
        )
        raise ImmediateHttpResponse(redirect("account_login"))
