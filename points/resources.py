"""Spreadsheet onboarding of shops (django-import-export): CSV or XLSX with the
columns name, name_kana, address, district (code), category, goods (what the shop
sells), contact_name, phone, email, active. Rows are matched on (name, address), so
re-importing updates."""

from import_export import fields, resources, widgets

from accounts.models import District
from points.models import Shop


class ShopResource(resources.ModelResource):
    district = fields.Field(
        attribute="district",
        column_name="district",
        widget=widgets.ForeignKeyWidget(District, field="code"),
    )

    class Meta:
        model = Shop
        fields = [
            "name",
            "name_kana",
            "address",
            "district",
            "category",
            "goods",
            "contact_name",
            "phone",
            "email",
            "active",
        ]
        import_id_fields = ["name", "address"]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
