"""Back-office views for the ledger (Wagtail admin): read-only browsing with export,
and manual adjustments by city staff."""

from __future__ import annotations

import uuid

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView

from accounts.models import Role, User
from core.admin import GuardedViewMixin
from core.errors import DomainError
from core.exports import LocalisedExportMixin
from core.spreadsheets import read_dataset
from points.models import AccountKind, Entry, SettlementStatement, TransactionKind, Voucher
from points.selectors import ledger_entries
from points.services.postings import points_adjust
from points.services.settlement import statement_mark_paid, statements_generate_month
from points.services.vouchers import voucher_exchange, voucher_void
from points.sheets import render_voucher_sheet


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


class LedgerReportView(LocalisedExportMixin, ReportView):
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


class AdjustmentView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """City staff credit or debit a wallet with a mandatory reason. The hidden request
    id is the idempotency key, so a double-submitted form posts once."""

    form_class = AdjustmentForm
    template_name = "points/admin/adjustment.html"
    page_title = _("Points adjustment")
    header_icon = "edit"
    success_url = reverse_lazy("points_ledger")
    roles = (Role.CITY_STAFF,)

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


# --- Shops import -------------------------------------------------------------------


class ShopImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        help_text=_(
            "Columns: name, name_kana, address, district (code), category, contact_name, "
            "phone, email, active."
        ),
    )
    confirm = forms.BooleanField(label=_("Import now (leave unticked to preview)"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        name = upload.name.lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload


class ShopImportView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """Upload a spreadsheet, see a dry-run preview with row-level errors, then import.
    Nothing is written unless every row is valid and the import is confirmed."""

    form_class = ShopImportForm
    template_name = "points/admin/shop_import.html"
    page_title = _("Import shops")
    header_icon = "upload"
    permission = "points.add_shop"

    def form_valid(self, form):
        from points.resources import ShopResource

        try:
            dataset = read_dataset(form.cleaned_data["file"])
        except Exception:  # noqa: BLE001 (any unreadable upload is a form error)
            form.add_error("file", _("The file could not be read as CSV or XLSX."))
            return self.form_invalid(form)
        confirm = form.cleaned_data["confirm"]
        result = ShopResource().import_data(dataset, dry_run=True, raise_errors=False)
        failed = result.has_errors() or result.has_validation_errors()
        if confirm and not failed:
            result = ShopResource().import_data(dataset, dry_run=False, raise_errors=False)
            messages.success(
                self.request,
                _("%(new)s shop(s) added, %(updated)s updated.")
                % {"new": result.totals["new"], "updated": result.totals["update"]},
            )
            return redirect("points_shop_import")
        return self.render_to_response(
            self.get_context_data(form=form, result=result, failed=failed, previewed=True)
        )


# --- Settlement ---------------------------------------------------------------------


class StatementFilterSet(WagtailFilterSet):
    month = django_filters.DateFilter(label=_("Month (first day)"))
    status = django_filters.ChoiceFilter(choices=SettlementStatement.Status.choices)

    class Meta:
        model = SettlementStatement
        fields = ["shop"]


def _pay_link(statement: SettlementStatement):
    if statement.status == SettlementStatement.Status.PAID:
        return statement.get_status_display()
    url = reverse("points_statement_pay", args=[statement.pk])
    return format_html('<a class="button button-small" href="{}">{}</a>', url, _("Mark paid"))


class StatementReportView(LocalisedExportMixin, ReportView):
    """Every shop's monthly statements; CSV/XLSX for the payment run."""

    model = SettlementStatement
    permission_required = "view"
    page_title = _("Settlement statements")
    header_icon = "doc-full"
    index_url_name = "points_statements"
    index_results_url_name = "points_statements_results"
    filterset_class = StatementFilterSet
    columns = [
        Column("shop", label=_("Shop")),
        Column("month", label=_("Month"), accessor=lambda s: s.month.strftime("%Y-%m")),
        Column("voucher_count", label=_("Vouchers")),
        Column("total_yen", label=_("Amount (yen)")),
        Column("status", label=_("Status"), accessor=_pay_link),
    ]
    list_export = [
        "shop.name",
        "shop.address",
        "month",
        "voucher_count",
        "total_points",
        "total_yen",
        "status",
        "paid_at",
    ]
    export_headings = {
        "shop.name": _("Shop"),
        "shop.address": _("Address"),
        "month": _("Month"),
        "voucher_count": _("Vouchers"),
        "total_points": _("Points"),
        "total_yen": _("Amount (yen)"),
        "status": _("Status"),
        "paid_at": _("Paid on"),
    }
    header_buttons = []

    def get_queryset(self):
        return SettlementStatement.objects.select_related("shop").order_by(
            "-month", "shop__name_kana"
        )

    def get_filename(self):
        return "settlement-statements"


class GenerateStatementsForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )


class GenerateStatementsView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """Make (or refresh) the statements of a finished month for every shop."""

    form_class = GenerateStatementsForm
    template_name = "points/admin/adjustment.html"
    page_title = _("Generate monthly statements")
    header_icon = "doc-full"
    permission = "points.change_settlementstatement"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=reverse("points_statements_generate"),
            submit_label=_("Generate"),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            count = statements_generate_month(month=form.cleaned_data["month"])
        except DomainError as error:
            form.add_error("month", str(error.message))
            return self.form_invalid(form)
        messages.success(self.request, _("%(count)s statement(s) ready.") % {"count": count})
        return redirect("points_statements")


class StatementPayView(GuardedViewMixin, WagtailAdminTemplateMixin, TemplateView):
    """Confirm, then record that the city paid a statement."""

    template_name = "points/admin/statement_pay.html"
    page_title = _("Mark statement paid")
    header_icon = "doc-full"
    permission = "points.change_settlementstatement"

    def load(self, pk):
        self.statement = get_object_or_404(SettlementStatement, pk=pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(statement=self.statement, **kwargs)

    def post(self, request, *args, **kwargs):
        try:
            statement_mark_paid(statement=self.statement, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Statement marked paid."))
        return redirect("points_statements")


# --- Vouchers: exchange for a volunteer, void -----------------------------------------


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


class ExchangeForVolunteerView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """A coordinator exchanges points for a volunteer without a smartphone, then
    prints the vouchers for them (the actor is recorded on the transaction)."""

    form_class = ExchangeForVolunteerForm
    template_name = "points/admin/adjustment.html"
    page_title = _("Exchange vouchers for a volunteer")
    header_icon = "tag"
    roles = ACT_FOR_VOLUNTEERS

    def get_initial(self):
        return {"request_id": uuid.uuid4()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=reverse("points_exchange_for"), submit_label=_("Exchange"), **kwargs
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            voucher_exchange(
                user=data["volunteer"],
                count=data["count"],
                idempotency_key=f"exchange:{data['request_id']}",
                actor=self.request.user,
            )
        except DomainError as error:
            form.add_error(error.field or "count", str(error.message))
            return self.form_invalid(form)
        return redirect("points_vouchers_print_for", user_id=data["volunteer"].pk)


def vouchers_print_for(request, user_id: int):
    """The A4 voucher sheet of one volunteer, printed by a coordinator."""
    if not can_act_for_volunteers(request.user):
        raise PermissionDenied
    return render_voucher_sheet(request, get_object_or_404(User, pk=user_id))


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class VoidVoucherView(GuardedViewMixin, WagtailAdminTemplateMixin, FormView):
    """City staff cancel an unused voucher (reported lost, issued by mistake)."""

    form_class = VoidForm
    template_name = "points/admin/adjustment.html"
    page_title = _("Void a voucher")
    header_icon = "cross"
    roles = (Role.CITY_STAFF,)

    def load(self, pk):
        self.voucher = get_object_or_404(Voucher, pk=pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=reverse("points_voucher_void", args=[self.voucher.pk]),
            submit_label=_("Void this voucher"),
            page_subtitle=str(self.voucher),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            voucher_void(
                voucher=self.voucher, reason=form.cleaned_data["reason"], actor=self.request.user
            )
        except DomainError as error:
            form.add_error("reason", str(error.message))
            return self.form_invalid(form)
        messages.success(self.request, _("The voucher is void; its value returned to the scheme."))
        return redirect("vouchers:index")
