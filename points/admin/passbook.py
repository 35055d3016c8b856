"""A volunteer's points passbook printed by a coordinator (the site's own print layout,
not the admin's), for volunteers without a smartphone."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.views import View

from accounts.models import Role, User
from core.admin import GuardedViewMixin
from points.sheets import render_passbook


class PassbookForView(GuardedViewMixin, View):
    """Coordinators only: anyone else gets 403 before the volunteer is looked up."""

    roles = (Role.COORDINATOR,)

    def load(self, user_id):
        self.owner = get_object_or_404(User, pk=user_id)

    def get(self, request, *args, **kwargs):
        return render_passbook(request, self.owner)
