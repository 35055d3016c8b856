"""CSV/XLSX exports of the back office that read the way the screens do.

Wagtail's spreadsheet export writes aware datetimes in UTC (XLSX cells are made naive
in UTC, CSV gets ``2026-12-02 01:00:00+00:00``) and choice fields as their stored
values (``assigned``). A coordinator who opens the file in Excel should see 10:00 for
a request at 10:00 and 担当決定 for its status, as on the screen.

Text that people type themselves (names, memos, reasons) reaches these files too, and a
cell beginning with ``=`` (or ``+``, ``-``, ``@``, a tab or a carriage return) is run as
a formula by Excel and LibreOffice: ``=HYPERLINK(...)`` as a user's name would become a
link in the city's own spreadsheet. :func:`spreadsheet_safe` neutralises such cells.

Every CSV the project serves starts with a byte-order mark (Excel on Japanese Windows
reads a CSV without one as Shift_JIS and garbles it): build responses with
:func:`csv_response` (or :func:`csv_text`); Wagtail's list and report exports get the
BOM from :class:`LocalisedExportMixin`. Dates and times in CSV cells are text in the
style of :mod:`core.formats`; in XLSX they stay date cells (Excel sorts and filters
them) shown in the same style by their number format.
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
from django.http import HttpResponse
from django.utils import timezone
from wagtail.admin.views.generic.models import IndexView

from core import formats
from core.admin_views import TextSearchMixin
from core.db import ReplicaReadsMixin

BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Excel number formats that show date cells as :mod:`core.formats` writes them
#: (``aaa`` is Excel's Japanese weekday, 木).
XLSX_DATETIME_FORMAT = 'yyyy"年"m"月"d"日"(aaa) hh:mm'
XLSX_DATE_FORMAT = 'yyyy"年"m"月"d"日"(aaa)'


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


def cell_text(value):
    """A CSV cell's value: dates and times as :mod:`core.formats` writes them (in the
    site's time zone), anything else as it is."""
    if isinstance(value, dt.datetime):
        return formats.datetime(value)
    if isinstance(value, dt.date):
        return formats.date(value)
    if isinstance(value, dt.time):
        return formats.time(value)
    return value


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
    csv.writer(buffer).writerows(
        [spreadsheet_safe(cell_text(cell)) for cell in row] for row in rows
    )
    return BOM + buffer.getvalue()


def csv_response(rows: Iterable[Sequence], filename: str) -> HttpResponse:
    """A CSV download for Excel: UTF-8 with a BOM, cells made safe and dates written
    in the project's style. ``filename`` without the extension."""
    response = HttpResponse(csv_text(rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(title: str, rows: Iterable[Sequence], filename: str) -> HttpResponse:
    """An XLSX download of :func:`xlsx_bytes`. ``filename`` without the extension."""
    response = HttpResponse(xlsx_bytes(title, rows), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def _xlsx_cell_format(cell, value) -> None:
    if isinstance(value, dt.datetime):
        cell.number_format = XLSX_DATETIME_FORMAT
    elif isinstance(value, dt.date):
        cell.number_format = XLSX_DATE_FORMAT


def xlsx_bytes(title: str, rows: Iterable[Sequence]) -> bytes:
    """``rows`` as a one-sheet workbook named ``title``. openpyxl stores text that
    begins with ``=`` as a formula; such cells are kept as the text they are."""
    return xlsx_workbook_bytes([(title, rows)])


#: What a sheet's name may not hold (Excel's rule), and its longest length.
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "・"))
_SHEET_NAME_MAX = 31


def xlsx_workbook_bytes(sheets: Iterable[tuple[str, Iterable[Sequence]]]) -> bytes:
    """A workbook with one sheet per ``(title, rows)``, cells written as
    :func:`xlsx_bytes` does. Titles are made valid sheet names (Excel forbids some
    characters and allows 31 at most) and kept unique."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for title, rows in sheets:
        name = str(title).translate(_SHEET_NAME_FORBIDDEN)[:_SHEET_NAME_MAX] or "Sheet"
        number = 2
        while name in used:
            suffix = f" ({number})"
            name = str(title).translate(_SHEET_NAME_FORBIDDEN)[: _SHEET_NAME_MAX - len(suffix)]
            name += suffix
            number += 1
        used.add(name)
        sheet = workbook.create_sheet(name)
        for row in rows:
            values = [local_wall_clock(v) if isinstance(v, dt.datetime) else v for v in row]
            sheet.append(values)
            for cell, value in zip(sheet[sheet.max_row], values, strict=False):
                if cell.data_type == "f":
                    cell.data_type = "s"
                _xlsx_cell_format(cell, value)
    if not workbook.worksheets:
        workbook.create_sheet("Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class LocalisedExportMixin:
    """For Wagtail views with ``SpreadsheetExportMixin`` (report and index views):
    datetimes in local time, choices as their translated labels, and no cell that a
    spreadsheet would run as a formula (XLSX cells are written as text by Wagtail
    already; CSV has no types, so the text itself is neutralised). CSV starts with a
    BOM and writes dates as :mod:`core.formats` does; XLSX date cells carry the same
    style as their number format."""

    def preprocess_field_value(self, field, value, export_format):
        if export_format == self.FORMAT_CSV:
            return spreadsheet_safe(super().preprocess_field_value(field, cell_text(value), "csv"))
        return super().preprocess_field_value(field, value, export_format)

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        for cell, value in zip(
            super().generate_xlsx_row(worksheet, row_dict), row_dict.values(), strict=False
        ):
            _xlsx_cell_format(cell, value)
            yield cell

    def stream_csv(self, queryset):
        yield BOM
        yield from super().stream_csv(queryset)

    def write_csv_response(self, queryset):
        response = super().write_csv_response(queryset)
        response["Content-Type"] = CSV_CONTENT_TYPE
        return response

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


class LocalisedIndexView(ReplicaReadsMixin, LocalisedExportMixin, TextSearchMixin, IndexView):
    """``ModelViewSet.index_view_class`` for viewsets that export. Their exports read
    from the replica when there is one; the listing itself stays on the primary (the
    person just edited a row and comes back to it)."""

    def reads_from_replica(self, request) -> bool:
        return super().reads_from_replica(request) and request.GET.get("export") in self.FORMATS


BOM_BYTES = BOM.encode("utf-8")


def _is_csv(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().lower() == "text/csv"


def with_bom(response):
    """``response`` with a UTF-8 BOM in front if it is CSV without one, its content
    type saying UTF-8 (what :class:`core.middleware.CsvBomMiddleware` applies to every
    answer)."""
    if not _is_csv(response):
        return response
    response["Content-Type"] = CSV_CONTENT_TYPE
    if response.streaming:
        chunks = iter(response.streaming_content)

        def prefixed():
            first = b""
            for chunk in chunks:
                first = chunk if isinstance(chunk, bytes) else str(chunk).encode("utf-8")
                if first:
                    break
            if not first.startswith(BOM_BYTES):
                yield BOM_BYTES
            yield first
            yield from chunks

        response.streaming_content = prefixed()
        return response
    if not response.content.startswith(BOM_BYTES):
        response.content = BOM_BYTES + response.content
    return response
