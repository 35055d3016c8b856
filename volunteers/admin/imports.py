"""Volunteers imported from a spreadsheet."""

from __future__ import annotations

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from core.admin_views import SpreadsheetImportView


class VolunteerImportView(SpreadsheetImportView):
    """Upload volunteers from a spreadsheet: a dry-run preview with row errors, then
    the import (all rows or none). Rows are matched on email, else on name and phone."""

    page_title = _("Import volunteers")
    roles = (Role.COORDINATOR,)
    success_url = reverse_lazy("aid_volunteer_import")
    columns_help = _(
        "Columns: full_name, full_name_kana, phone, email, birth_date (YYYY-MM-DD), "
        "home_district, districts, "
        "skills (codes separated by spaces), has_car, insurance_valid_until, languages, "
        "weekly (e.g. 'mon 09:00-12:00; thu 13:00-16:00')."
    )

    def get_resource(self):
        from volunteers.resources import VolunteerResource

        return VolunteerResource(actor=self.request.user)

    def get_success_message(self, totals) -> str:
        return _("%(new)s volunteer(s) added, %(updated)s updated.") % {
            "new": totals["new"],
            "updated": totals["update"],
        }
