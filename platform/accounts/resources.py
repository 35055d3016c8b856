"""Spreadsheet import of districts (django-import-export): CSV or XLSX with the columns
code, name, name_kana, sort_order (optional) and active (optional: 1/0, yes/no,
はい/いいえ; blank means active). Rows are matched on ``code``, so re-importing the same
file updates the districts instead of adding them again."""

from __future__ import annotations

from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from accounts.models import District

TRUE_WORDS = {"1", "true", "yes", "y", "はい", "有効", "○"}
FALSE_WORDS = {"0", "false", "no", "n", "いいえ", "廃止", "閉鎖", "×"}


class ActiveWidget(widgets.Widget):
    """A blank cell keeps the district open; anything unknown is a row error."""

    def clean(self, value, row=None, **kwargs):
        word = str(value if value is not None else "").strip().lower()
        if word == "" or word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(_("Write 1 (open) or 0 (closed), not “%(value)s”.") % {"value": value})

    def render(self, value, obj=None, **kwargs):
        return "1" if value else "0"


class OrderWidget(widgets.IntegerWidget):
    """A blank order sorts first (0), as in the admin form."""

    def clean(self, value, row=None, **kwargs):
        return super().clean(value, row=row, **kwargs) or 0


class DistrictResource(resources.ModelResource):
    sort_order = fields.Field(
        attribute="sort_order", column_name="sort_order", widget=OrderWidget()
    )
    is_active = fields.Field(attribute="is_active", column_name="active", widget=ActiveWidget())

    class Meta:
        model = District
        fields = ["code", "name", "name_kana", "sort_order", "is_active"]
        import_id_fields = ["code"]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import_row(self, row, **kwargs):
        # Codes typed by hand often carry spaces; the key must match the stored code.
        if row.get("code") is not None:
            row["code"] = str(row["code"]).strip()
