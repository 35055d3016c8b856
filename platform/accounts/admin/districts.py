"""Districts imported from the city's spreadsheet."""

from __future__ import annotations

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from core.admin_views import SpreadsheetImportView


class DistrictImportView(SpreadsheetImportView):
    """Upload districts: a dry-run preview with row errors, then the import (all rows
    or none). Rows are matched on the code, so a second import updates."""

    page_title = _("Import districts")
    permission = "accounts.add_district"
    success_url = reverse_lazy("accounts_district_import")
    columns_help = _(
        "Columns: code, name, name_kana, sort_order (optional), active (optional: 1 open, "
        "0 closed). Rows are matched on the code: importing the file again updates them."
    )

    def get_resource(self):
        from accounts.resources import DistrictResource

        return DistrictResource()

    def get_success_message(self, totals) -> str:
        return _("%(new)s district(s) added, %(updated)s updated.") % {
            "new": totals["new"],
            "updated": totals["update"],
        }
