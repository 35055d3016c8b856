"""One rule for the whole site: whoever acts through a back-office role
(``BACK_OFFICE_ROLES``, or a superuser) must have passed MFA in this session.

It is enforced in three places that share :func:`mfa_missing`:

* the back office (``/admin/``): ``accounts.middleware.AdminAccessPolicyMiddleware``;
* HTML views outside it: :func:`back_office_mfa_response` in the branch of a view that
  admits the user through a back-office role (city staff opening a proposal's
  attachment, a coordinator printing a place's poster), while those who open it as
  themselves (the applicant, the place's host staff) need no MFA;
* the API: ``accounts.api.permissions.BackOfficeRole`` (browser sessions and allauth
  headless ``X-Session-Token`` sessions alike).

Host staff of a place and shop staff are not back-office roles: their pages do not ask
for MFA.
"""

from __future__ import annotations

from enum import StrEnum
from types import SimpleNamespace
from urllib.parse import quote

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import User


class MfaMissing(StrEnum):
    SETUP = "setup"  # no TOTP authenticator yet
    REAUTHENTICATE = "reauthenticate"  # has TOTP, but this session did not use it


def session_passed_mfa(session, user: User) -> bool:
    """True when the sign-in (or a later re-authentication) of ``session`` used MFA.
    ``session`` is the browser's session or the one an ``X-Session-Token`` names."""
    records = get_authentication_records(SimpleNamespace(session=session), user)
    return any(record.get("method") == "mfa" for record in records)


def mfa_missing(session, user: User) -> MfaMissing | None:
    """What ``user`` still lacks to act as staff in ``session`` (None: nothing)."""
    if not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
        return MfaMissing.SETUP
    if not session_passed_mfa(session, user):
        return MfaMissing.REAUTHENTICATE
    return None


def mfa_redirect(request, missing: MfaMissing):
    """Send the browser to set up TOTP, or to enter a code, then back here."""
    name = "mfa_activate_totp" if missing is MfaMissing.SETUP else "mfa_reauthenticate"
    return redirect(f"{reverse(name)}?next={quote(request.get_full_path())}")


def back_office_mfa_response(request):
    """For a view that admits ``request.user`` through a back-office role: the
    redirect to the MFA page when this session has not passed MFA, else None."""
    missing = mfa_missing(request.session, request.user)
    return None if missing is None else mfa_redirect(request, missing)
