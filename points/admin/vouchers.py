"""Vouchers in the back office: exchanged and printed for a volunteer without a
smartphone, or voided by city staff."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from accounts.models import Role, User
from core.admin import GuardedViewMixin
from core.admin_views import ConfirmActionView
from core.errors import DomainError
from points.exceptions import InsufficientPoints
from points.models import Voucher
from points.selectors import exchange_preview
from points.services.vouchers import voucher_exchange, voucher_void
from points.sheets import render_voucher_sheet

#: Roles that may exchange vouchers and print them for a volunteer.
ACT_FOR_VOLUNTEERS = (Role.COORDINATOR, Role.CITY_STAFF)


def can_act_for_volunteers(user) -> bool:
    return user.acts_as(*ACT_FOR_VOLUNTEERS)


class ExchangeForVolunteerForm(forms.Form):
    volunteer = forms.ModelChoiceField(
        label=_("Volunteer"),
        queryset=User.objects.filter(groups__name=Role.VOLUNTEER).distinct(),
    )
    count = forms.IntegerField(label=_("Number of vouchers"), min_value=1, max_value=100)
    request_id = forms.UUIDField(widget=forms.HiddenInput)
    # Set by the confirmation page: the exchange happens only on a POST that carries
    # the cost the coordinator was shown.
    confirmed_points = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ExchangeForVolunteerView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """A coordinator exchanges points for a volunteer without a smartphone, then
    prints the vouchers for them (the actor is recorded on the transaction).

    Two POSTs: the first shows the volunteer's balance, what the exchange costs and
    what it leaves; only the second, carrying the confirmed cost, exchanges. The
    request id made when the form opened is the idempotency key, so a double submit
    of the confirmation exchanges once."""

    form_class = ExchangeForVolunteerForm
    template_name = "core/admin/form.html"
    page_title = _("Exchange vouchers for a volunteer")
    header_icon = "tag"
    roles = ACT_FOR_VOLUNTEERS

    def get_initial(self):
        return {"request_id": uuid.uuid4(), "volunteer": self.request.GET.get("volunteer")}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=reverse("points_exchange_for"),
            submit_label=_("Check the balance"),
            summary=_(
                "You will see the volunteer's balance and what the exchange leaves "
                "before anything is exchanged."
            ),
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        preview = exchange_preview(user=data["volunteer"], count=data["count"])
        if data["confirmed_points"] != preview.cost:
            if data["confirmed_points"] is not None:
                form.add_error(None, _("The cost has changed. Check the new figures."))
            elif preview.short:
                form.add_error("count", str(InsufficientPoints.default_message))
                return self.form_invalid(form)
            return self._confirmation(form, preview)
        try:
            voucher_exchange(
                user=data["volunteer"],
                count=data["count"],
                idempotency_key=f"exchange:{data['request_id']}",
                actor=self.request.user,
            )
        except DomainError as error:
            form.add_error(error.field or "count", str(error.message))
            return self._confirmation(form, preview)
        return redirect("points_vouchers_print_for", user_id=data["volunteer"].pk)

    def _confirmation(self, form, preview):
        return TemplateResponse(
            self.request,
            "points/admin/exchange_confirm.html",
            self.get_context_data(
                form=form,
                preview=preview,
                volunteer=form.cleaned_data["volunteer"],
                page_subtitle=form.cleaned_data["volunteer"].full_name,
            ),
        )


def vouchers_print_for(request, user_id: int):
    """The A4 voucher sheet of one volunteer, printed by a coordinator."""
    if not can_act_for_volunteers(request.user):
        raise PermissionDenied
    return render_voucher_sheet(request, get_object_or_404(User, pk=user_id))


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class VoidVoucherView(ConfirmActionView):
    """City staff cancel an unused voucher (reported lost, issued by mistake)."""

    form_class = VoidForm
    template_name = "core/admin/form.html"
    page_title = _("Void a voucher")
    header_icon = "cross"
    roles = (Role.CITY_STAFF,)
    error_field = "reason"
    success_url = reverse_lazy("vouchers:index")
    success_message = _("The voucher is void; its value returned to the scheme.")

    def load(self, pk):
        self.voucher = get_object_or_404(Voucher, pk=pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=reverse("points_voucher_void", args=[self.voucher.pk]),
            submit_label=_("Void this voucher"),
            page_subtitle=str(self.voucher),
            **kwargs,
        )

    def act(self, form):
        return voucher_void(
            voucher=self.voucher, reason=form.cleaned_data["reason"], actor=self.request.user
        )
