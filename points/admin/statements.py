"""Settlement: the shops' monthly statements, generating them, marking one paid."""

from __future__ import annotations

import django_filters
from django import forms
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from core import formats
from core.admin_views import ConfirmActionView
from core.db import ReplicaReadsMixin
from core.exports import LocalisedExportMixin
from points.models import SettlementStatement
from points.services.settlement import statement_mark_paid, statements_generate_month


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


class StatementReportView(ReplicaReadsMixin, LocalisedExportMixin, ReportView):
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
        Column("month", label=_("Month"), accessor=lambda s: formats.month(s.month)),
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


class GenerateStatementsView(ConfirmActionView):
    """Make (or refresh) the statements of a finished month for every shop."""

    form_class = GenerateStatementsForm
    template_name = "core/admin/form.html"
    page_title = _("Generate monthly statements")
    header_icon = "doc-full"
    permission = "points.change_settlementstatement"
    error_field = "month"
    success_url = reverse_lazy("points_statements")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=reverse("points_statements_generate"),
            submit_label=_("Generate"),
            **kwargs,
        )

    def act(self, form):
        return statements_generate_month(month=form.cleaned_data["month"])

    def get_success_message(self, count):
        return _("%(count)s statement(s) ready.") % {"count": count}


class StatementPayView(ConfirmActionView):
    """Confirm, then record that the city paid a statement."""

    template_name = "points/admin/statement_pay.html"
    page_title = _("Mark statement paid")
    header_icon = "doc-full"
    permission = "points.change_settlementstatement"
    success_url = reverse_lazy("points_statements")
    success_message = _("Statement marked paid.")

    def load(self, pk):
        self.statement = get_object_or_404(SettlementStatement, pk=pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(statement=self.statement, **kwargs)

    def act(self, form):
        return statement_mark_paid(statement=self.statement, actor=self.request.user)
