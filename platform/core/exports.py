"""CSV/XLSX exports of the back office that read the way the screens do.

Wagtail's spreadsheet export writes aware datetimes in UTC (XLSX cells are made naive
in UTC, CSV gets ``2026-12-02 01:00:00+00:00``) and choice fields as their stored
values (``assigned``). A coordinator who opens the file in Excel should see 10:00 for
a request at 10:00 and 担当決定 for its status, as on the screen.

Text that people type themselves (names, memos, reasons) reaches these files too, and a
cell beginning with ``=`` (or ``+``, ``-``, ``@``, a tab or a carriage return) is run as
a formula by Excel and LibreOffice: ``=HYPERLINK(...)`` as a user's name would become a
link in the city's own spreadsheet. :func:`spreadsheet_safe` neutralises such cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

import openpyxl
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from wagtail.admin.views.generic.models import IndexView

from core.admin_views import TextSearchMixin


def local_wall_clock(value: dt.datetime) -> dt.datetime:
    """An aware datetime as naive wall-clock time in the current time zone, to the
    second (what a spreadsheet cell can hold, and what the screens show)."""
    if timezone.is_aware(value):
        value = timezone.make_naive(value)
    return value.replace(microsecond=0)


def _choice_label(item, path: str):
    """The display label of the choice field at ``path`` (``a.b.status``), or None."""
    *parents, name = path.split(".")
    obj = item
    for part in parents:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    meta = getattr(obj, "_meta", None)
    if meta is None:
        return None
    try:
        field = meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not getattr(field, "choices", None):
        return None
    return getattr(obj, f"get_{field.name}_display")()


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def spreadsheet_safe(value):
    """``value`` for a CSV cell: text that a spreadsheet would read as a formula gets a
    leading single quote (shown as text, OWASP's advice); numbers, and text that is
    just a number such as ``-100``, are left alone so amounts stay numeric."""
    if value is None or isinstance(value, int | float | Decimal | dt.date | dt.time):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return value


def csv_text(rows: Iterable[Sequence]) -> str:
    """``rows`` as CSV for Excel (a BOM, so it reads UTF-8), each cell made
    :func:`spreadsheet_safe`."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return "\ufeff" + buffer.getvalue()


def xlsx_bytes(title: str, rows: Iterable[Sequence]) -> bytes:
    """``rows`` as a one-sheet workbook named ``title``. openpyxl stores text that
    begins with ``=`` as a formula; such cells are kept as the text they are."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class LocalisedExportMixin:
    """For Wagtail views with ``SpreadsheetExportMixin`` (report and index views):
    datetimes in local time, choices as their translated labels, and no cell that a
    spreadsheet would run as a formula (XLSX cells are written as text by Wagtail
    already; CSV has no types, so the text itself is neutralised)."""

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        return spreadsheet_safe(value) if export_format == self.FORMAT_CSV else value

    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        for path, value in row.items():
            if isinstance(value, dt.datetime):
                row[path] = local_wall_clock(value)
                continue
            label = _choice_label(item, path)
            if label is not None:
                row[path] = label
        return row


class LocalisedIndexView(LocalisedExportMixin, TextSearchMixin, IndexView):
    """``ModelViewSet.index_view_class`` for viewsets that export."""
