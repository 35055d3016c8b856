"""Back-office hooks of the accounts app: Wagtail's bulk actions on users obey the
same rules as the user pages (``accounts.users_admin``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from wagtail import hooks

from accounts.models import User
from accounts.selectors import user_managed_by


@hooks.register("before_bulk_action")
def users_bulk_action_check(request, action_type, objects, action_class_instance):
    """Wagtail's "assign role" adds any group directly: only a superuser may use it
    (everyone else grants roles on the user's page, through ``role_grant``). Activating
    or deactivating in bulk reaches only accounts the actor may edit, never their own."""
    if User not in getattr(action_class_instance, "models", ()):
        return None
    actor = request.user
    if action_type == "assign_role" and not actor.is_superuser:
        raise PermissionDenied
    if action_type == "set_active_state" and any(
        user.pk == actor.pk or not user_managed_by(actor=actor, user=user) for user in objects
    ):
        raise PermissionDenied
    return None
