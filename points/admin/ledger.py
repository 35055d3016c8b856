"""The ledger report: every entry of the books, read-only, with CSV/XLSX export."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from core.db import ReplicaReadsMixin
from core.exports import LocalisedExportMixin
from core.formats import local_datetime
from core.pagination import CappedCountPaginator
from points.models import AccountKind, Entry, TransactionKind
from points.selectors import ledger_entries


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


class LedgerReportView(ReplicaReadsMixin, LocalisedExportMixin, ReportView):
    """Every entry of the books, newest first; CSV and XLSX export of the filtered set."""

    model = Entry
    permission_required = "view"
    page_title = _("Points ledger")
    header_icon = "list-ul"
    index_url_name = "points_ledger"
    index_results_url_name = "points_ledger_results"
    filterset_class = LedgerFilterSet
    paginate_by = 50
    # Five million entries at a city's ten years: never counted to the end.
    paginator_class = CappedCountPaginator
    columns = [
        Column("transaction_id", label=_("Transaction")),
        Column(
            "recorded_at",
            label=_("Recorded"),
            accessor=lambda entry: local_datetime(entry.transaction.created_at),
        ),
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
