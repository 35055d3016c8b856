"""How setting up an authenticator counts towards the back office's MFA rule.

``AdminAccessPolicyMiddleware`` admits a session to the back office once it has an
``mfa`` authentication record. Activating TOTP proves the same thing (the person typed a
valid code from the new authenticator, after re-entering their password), but allauth
records nothing for it, so a new staff member was asked for a code a third time on
their first sign-in. This receiver records the activation as an MFA authentication of
the session in which it happened; nothing else.
"""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator


def record_mfa_on_totp_activation(sender, request, user, authenticator, **kwargs) -> None:
    if request is None or authenticator.type != Authenticator.Type.TOTP:
        return
    if getattr(request, "user", None) is None or request.user.pk != user.pk:
        return
    record_authentication(request, user, method="mfa", type="totp", activated=True)
