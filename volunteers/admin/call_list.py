"""The coordinators' daily call list (電話連絡リスト) and its printout."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Role
from core.admin import GuardedViewMixin
from volunteers.admin.access_log import log_personal_data
from volunteers.admin.base import CoordinatorView
from volunteers.models import PersonalDataAccess
from volunteers.selectors.call_list import call_list
from volunteers.services.call_list import call_list_mark_called


class CallListView(CoordinatorView, TemplateView):
    """Today's call list (coordinators only): each volunteer no channel reaches who
    has something to be told, their phone number and what to tell them. A POST of
    ``called`` (the items shown for one person) records the call: who and when; they
    leave the list and are never told again. Viewing it is logged (phone numbers)."""

    template_name = "volunteers/admin/call_list.html"
    page_title = _("Call list")
    header_icon = "mail"

    def get_context_data(self, **kwargs):
        rows = call_list(timezone.localdate())
        log_personal_data(self.request, subjects=[row.person for row in rows])
        return super().get_context_data(rows=rows, today=timezone.localdate(), **kwargs)

    def post(self, request, *args, **kwargs):
        recorded = call_list_mark_called(refs=request.POST.getlist("called"), by=request.user)
        if recorded:
            messages.success(request, _("Recorded as called."))
        else:
            messages.warning(request, _("Nothing to record: already called or told."))
        return redirect("aid_call_list")


class CallListPrintView(GuardedViewMixin, View):
    """The same list on A4 paper, with a box to tick by hand (coordinators only)."""

    roles = (Role.COORDINATOR,)

    def get(self, request, *args, **kwargs):
        today = timezone.localdate()
        rows = call_list(today)
        log_personal_data(
            request, subjects=[row.person for row in rows], action=PersonalDataAccess.Action.PRINT
        )
        return render(request, "volunteers/call_list_print.html", {"rows": rows, "today": today})
