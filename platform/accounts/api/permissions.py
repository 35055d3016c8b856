"""API permissions shared by the apps' ``api/`` modules."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from accounts.mfa import mfa_missing
from accounts.models import Role


class MfaRequired(PermissionDenied):
    default_detail = _(
        "This needs two-factor authentication: sign in again with your authenticator code."
    )
    default_code = "mfa_required"


class BackOfficeRole(BasePermission):
    """An API view for staff of ``roles`` (``BackOfficeRole.of(Role.CITY_STAFF)``):
    the caller holds one of them, and the session behind the request (the browser's,
    or the one its ``X-Session-Token`` names) passed MFA, else 403 ``mfa_required``
    (the rule of ``accounts.mfa``)."""

    roles: tuple[Role, ...] = ()

    @classmethod
    def of(cls, *roles: Role) -> type[BackOfficeRole]:
        return type(cls.__name__, (cls,), {"roles": roles})

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.acts_as(*self.roles)):
            return False
        # An X-Session-Token request is authenticated with its own session as `auth`.
        session = request.auth if hasattr(request.auth, "get") else request.session
        if mfa_missing(session, user) is not None:
            raise MfaRequired()
        return True
