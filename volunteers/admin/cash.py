"""Cash that does not match the fee: residents who owe the centre (coordinators
record a later payment), and the printable receipt (領収書) for the resident."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.models import Role
from core.admin import GuardedViewMixin
from core.errors import DomainError
from volunteers.admin.access_log import log_personal_data
from volunteers.admin.base import CoordinatorView
from volunteers.models import Assignment, PersonalDataAccess
from volunteers.services.help_requests import assignment_owed_settle


def owed_assignments():
    """Confirmed assignments whose cash fell short of the fee and is not yet paid."""
    return (
        Assignment.objects.filter(
            status=Assignment.Status.CONFIRMED,
            owed_settled_at__isnull=True,
            cash_received_yen__lt=F("fee_yen"),
        )
        .select_related("request__resident__district", "request__category", "volunteer")
        .order_by("request__resident__full_name_kana", "starts_at")
    )


class OwedListView(CoordinatorView, TemplateView):
    """Residents with money owed, each shortfall with its reason (coordinators only);
    a POST with ``settle`` (an assignment's id) records that it has been paid."""

    template_name = "volunteers/admin/owed.html"
    page_title = _("Money owed by residents")
    header_icon = "warning"

    def get_context_data(self, **kwargs):
        rows = list(owed_assignments())
        for row in rows:
            row.owed_yen = -row.cash_difference_yen
        log_personal_data(self.request, [row.request.resident for row in rows])
        return super().get_context_data(
            rows=rows, total=sum(row.owed_yen for row in rows), **kwargs
        )

    def post(self, request, *args, **kwargs):
        chosen = request.POST.get("settle", "")
        assignment = get_object_or_404(Assignment, pk=int(chosen) if chosen.isdigit() else 0)
        try:
            assignment_owed_settle(assignment=assignment, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Recorded as paid."))
        return redirect("aid_owed")


class ReceiptView(GuardedViewMixin, TemplateView):
    """The receipt (領収書) for the resident of one confirmed assignment, A5, printed
    from the site's own print layout (coordinators only)."""

    roles = (Role.COORDINATOR,)
    template_name = "volunteers/receipt.html"

    def load(self, pk):
        self.assignment = get_object_or_404(
            Assignment.objects.select_related("request__resident", "request__category"),
            pk=pk,
            status=Assignment.Status.CONFIRMED,
        )

    def get_context_data(self, **kwargs):
        log_personal_data(
            self.request, [self.assignment.request.resident], action=PersonalDataAccess.Action.PRINT
        )
        return super().get_context_data(
            assignment=self.assignment,
            resident=self.assignment.request.resident,
            centre=settings.WAGTAIL_SITE_NAME,
            **kwargs,
        )
