"""Shops imported from the city's spreadsheet."""

from __future__ import annotations

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from core.admin_views import SpreadsheetImportView


class ShopImportView(SpreadsheetImportView):
    """Upload a spreadsheet, see a dry-run preview with row-level errors, then import.
    Nothing is written unless every row is valid and the import is confirmed."""

    page_title = _("Import shops")
    permission = "points.add_shop"
    success_url = reverse_lazy("points_shop_import")
    columns_help = _(
        "Columns: name, name_kana, address, district (code), category, contact_name, "
        "phone, email, active."
    )

    def get_resource(self):
        from points.resources import ShopResource

        return ShopResource()

    def get_success_message(self, totals) -> str:
        return _("%(new)s shop(s) added, %(updated)s updated.") % {
            "new": totals["new"],
            "updated": totals["update"],
        }
