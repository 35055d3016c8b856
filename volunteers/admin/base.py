"""What the mutual-aid centre's admin views share."""

from __future__ import annotations

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from accounts.models import Role
from core.admin import GuardedViewMixin


class CoordinatorView(GuardedViewMixin, WagtailAdminTemplateMixin):
    """Admin pages of the mutual-aid centre: coordinators only."""

    roles = (Role.COORDINATOR,)
