"""Today's board (with the resident search) and taking a request for a resident."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView

from core.errors import DomainError
from volunteers.admin.base import CoordinatorView
from volunteers.exceptions import CentreClosed
from volunteers.forms import IntakeForm
from volunteers.models import ConsentRecord, HelpRequest, Resident, Wording
from volunteers.selectors.calendar import centre_closed_days, closed_days_ahead
from volunteers.selectors.consent import consent_in_force, wording_current
from volunteers.selectors.help_requests import requests_board, residents_search
from volunteers.services.consent import consent_record
from volunteers.services.help_requests import request_receive


class BoardView(CoordinatorView, TemplateView):
    """What a coordinator opens in the morning: requests still needing a volunteer
    (soonest first), then today's assigned and running ones, then work waiting for
    confirmation; and a resident search to take the next call."""

    template_name = "volunteers/admin/board.html"
    page_title = _("Today's board")
    header_icon = "list-ul"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "").strip()
        found = list(residents_search(query)[:20]) if query else None
        return super().get_context_data(
            board=requests_board(),
            closed_days=closed_days_ahead(),
            query=query,
            found=found,
            today=timezone.localdate(),
            now=timezone.now(),
            **kwargs,
        )


class IntakeView(CoordinatorView, FormView):
    """Take a request for a resident (phone, visit, online)."""

    form_class = IntakeForm
    template_name = "volunteers/admin/intake.html"
    page_title = _("Take a request")
    header_icon = "form"

    def load(self, pk):
        self.resident = get_object_or_404(
            Resident.objects.select_related("district"), pk=pk, anonymised_at__isnull=True
        )
        self.consent_in_force = consent_in_force(self.resident)

    def get_initial(self):
        return {"day": timezone.localdate(), "starts": dt.time(10), "ends": dt.time(11)}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.consent_in_force:
            del form.fields["consent"]
        return form

    def get_context_data(self, **kwargs):
        history = self.resident.requests.select_related("category").order_by("-starts_at")[:5]
        return super().get_context_data(
            resident=self.resident,
            history=history,
            consent_in_force=self.consent_in_force,
            consent_wording=wording_current(Wording.Kind.CONSENT),
            closed_days=list(
                centre_closed_days(
                    timezone.localdate(), timezone.localdate() + dt.timedelta(days=60)
                ).items()
            ),
            **kwargs,
        )

    def form_valid(self, form):
        starts_at, ends_at = form.window()
        data = form.cleaned_data
        try:
            help_request = request_receive(
                actor=self.request.user,
                resident=self.resident,
                category=data["category"],
                starts_at=starts_at,
                ends_at=ends_at,
                channel=data["channel"],
                place=data["place"],
                notes=data["notes"],
            )
        except DomainError as error:
            if isinstance(error, CentreClosed):  # the day is wrong, not the time
                field = "day"
            else:
                field = {"starts_at": "starts", "ends_at": "ends"}.get(error.field or "")
            form.add_error(field, str(error.message))
            return self.form_invalid(form)
        # After the request is taken (a refused request records no consent either).
        if data.get("consent"):
            consent_record(
                resident=self.resident,
                decision=ConsentRecord.Decision.GIVEN,
                method=ConsentRecord.Method.PHONE
                if data["channel"] == HelpRequest.Channel.PHONE
                else ConsentRecord.Method.IN_PERSON,
                actor=self.request.user,
                note=_("At intake"),
            )
        messages.success(self.request, _("Request received."))
        return redirect("aid_request", pk=help_request.pk)
