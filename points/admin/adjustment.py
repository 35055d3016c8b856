"""Manual adjustments of a wallet by city staff."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from accounts.models import Role, User
from core.admin import GuardedViewMixin
from core.errors import DomainError
from points.services.postings import points_adjust


class AdjustmentForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Volunteer"),
        queryset=User.objects.filter(groups__name=Role.VOLUNTEER).distinct(),
    )
    amount = forms.IntegerField(
        label=_("Points"),
        help_text=_("Positive to credit, negative to debit."),
        min_value=-1_000_000,
        max_value=1_000_000,
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    request_id = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount(self):
        if self.cleaned_data["amount"] == 0:
            raise forms.ValidationError(_("Enter a number of points other than zero."))
        return self.cleaned_data["amount"]


class AdjustmentView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """City staff credit or debit a wallet with a mandatory reason. The hidden request
    id is the idempotency key, so a double-submitted form posts once."""

    form_class = AdjustmentForm
    template_name = "core/admin/form.html"
    page_title = _("Points adjustment")
    header_icon = "edit"
    success_url = reverse_lazy("points_ledger")
    roles = (Role.CITY_STAFF,)

    def get_initial(self):
        return {"request_id": uuid.uuid4()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=reverse("points_adjust"), submit_label=_("Record adjustment"), **kwargs
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            txn = points_adjust(
                user=data["user"],
                amount=data["amount"],
                reason=data["reason"],
                actor=self.request.user,
                idempotency_key=f"adjust:{data['request_id']}",
            )
        except DomainError as error:
            form.add_error(error.field or "amount", str(error.message))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Adjustment #%(number)s recorded.") % {"number": txn.pk},
        )
        return redirect(self.get_success_url())
