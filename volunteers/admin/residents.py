"""A resident's page: details, request history and who has seen them."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from volunteers.admin.base import CoordinatorView
from volunteers.models import Resident


class ResidentView(CoordinatorView, TemplateView):
    """A resident's details (coordinators only) and their request history."""

    template_name = "volunteers/admin/resident.html"
    header_icon = "user"

    def load(self, pk):
        self.resident = get_object_or_404(Resident.objects.select_related("district"), pk=pk)

    def get_page_title(self):
        return self.resident.full_name

    def get_context_data(self, **kwargs):
        history = (
            self.resident.requests.select_related("category", "assignment__volunteer")
            .order_by("-starts_at")
            .all()[:100]
        )
        # Every look by a volunteer is logged; coordinators can see who and when.
        access_log = self.resident.access_log.select_related("user", "assignment")[:50]
        return super().get_context_data(
            resident=self.resident, history=history, access_log=access_log, **kwargs
        )
