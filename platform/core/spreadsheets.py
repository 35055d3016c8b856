"""Reading uploaded spreadsheets for the back office's imports (shops, volunteers)."""

from __future__ import annotations


def read_dataset(upload):
    """A tablib Dataset from an uploaded CSV (UTF-8, with or without BOM) or XLSX."""
    import tablib

    raw = upload.read()
    if upload.name.lower().endswith(".xlsx"):
        return tablib.Dataset().load(raw, format="xlsx")
    return tablib.Dataset().load(raw.decode("utf-8-sig"), format="csv")
