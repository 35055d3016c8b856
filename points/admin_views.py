"""Back-office views for the ledger (Wagtail admin): read-only browsing with export,
and manual adjustments by city staff."""

from __future__ import annotations

import uuid

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import FormView
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView

from accounts.models import Role, User
from core.errors import DomainError
from points.models import AccountKind, Entry, TransactionKind
from points.selectors import ledger_entries
from points.services import points_adjust


class LedgerFilterSet(WagtailFilterSet):
    account_kind = django_filters.ChoiceFilter(
        label=_("Account kind"), field_name="account__kind", choices=AccountKind.choices
    )
    kind = django_filters.ChoiceFilter(
        label=_("Transaction kind"), field_name="transaction__kind", choices=TransactionKind.choices
    )
    recorded = django_filters.DateFromToRangeFilter(
        label=_("Recorded"), field_name="transaction__created_at", widget=DateRangePickerWidget
    )
    person = django_filters.CharFilter(label=_("Owner (email or kana)"), method="filter_person")

    class Meta:
        model = Entry
        fields = []

    def filter_person(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(account__owner__email__icontains=value) | queryset.filter(
            account__owner__full_name_kana__icontains=value
        )


def _local(entry: Entry) -> str:
    when = timezone.localtime(entry.transaction.created_at)
    return formats.date_format(when, "Y-m-d H:i")


class LedgerReportView(ReportView):
    """Every entry of the books, newest first; CSV and XLSX export of the filtered set."""

    model = Entry
    permission_required = "view"
    page_title = _("Points ledger")
    header_icon = "list-ul"
    index_url_name = "points_ledger"
    index_results_url_name = "points_ledger_results"
    filterset_class = LedgerFilterSet
    paginate_by = 50
    columns = [
        Column("transaction_id", label=_("Transaction")),
        Column("recorded_at", label=_("Recorded"), accessor=lambda entry: _local(entry)),
        Column("kind", label=_("Kind"), accessor="transaction.get_kind_display"),
        Column("account", label=pgettext_lazy("points ledger", "Account")),
        Column("amount", label=_("Points")),
        Column("reason", label=_("Reason"), accessor="transaction.reason"),
        Column("actor", label=_("Recorded by"), accessor="transaction.actor"),
    ]
    list_export = [
        "transaction_id",
        "transaction.created_at",
        "transaction.kind",
        "account.code",
        "account.name",
        "amount",
        "transaction.reason",
        "transaction.reference",
        "transaction.idempotency_key",
        "transaction.actor",
        "transaction.activity_date",
        "transaction.capped_points",
    ]
    export_headings = {
        "transaction_id": _("Transaction"),
        "transaction.created_at": _("Recorded"),
        "transaction.kind": _("Kind"),
        "account.code": _("Account code"),
        "account.name": pgettext_lazy("points ledger", "Account"),
        "amount": _("Points"),
        "transaction.reason": _("Reason"),
        "transaction.reference": _("Reference"),
        "transaction.idempotency_key": _("Idempotency key"),
        "transaction.actor": _("Recorded by"),
        "transaction.activity_date": _("Activity date"),
        "transaction.capped_points": _("Points over the limit"),
    }

    def get_queryset(self):
        return ledger_entries()

    def get_filename(self):
        return "points-ledger"


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


class AdjustmentView(WagtailAdminTemplateMixin, FormView):
    """City staff credit or debit a wallet with a mandatory reason. The hidden request
    id is the idempotency key, so a double-submitted form posts once."""

    form_class = AdjustmentForm
    template_name = "points/admin/adjustment.html"
    page_title = _("Points adjustment")
    header_icon = "edit"
    success_url = reverse_lazy("points_ledger")

    def dispatch(self, request, *args, **kwargs):
        if not (request.user.is_superuser or request.user.has_role(Role.CITY_STAFF)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"request_id": uuid.uuid4()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(action_url=reverse("points_adjust"), **kwargs)

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
