"""Report periods and the small tables the statistics are shown in.

A :class:`Period` is a run of whole days in the site's time zone (Asia/Tokyo): a fiscal
year (April–March, ``令和8年度``) or any dates the user picks. Its instants are
half-open, ``[starts_at, ends_before)``: a posting at 31 March 23:59:59 JST belongs to
the year that ends that day, one at 1 April 00:00 JST to the next.

:func:`suppressed` is the open-data rule for small counts (総務省's convention of
hiding counts that could point at a person): a count of 1 up to the threshold minus
one is shown as a mark instead of its value. Zero stays zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from core import formats


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date
    #: The fiscal year (by the calendar year it starts in) when the period is one.
    fiscal_year: int | None = None

    @classmethod
    def fiscal(cls, year: int) -> Period:
        """The fiscal year starting on 1 April ``year``."""
        return cls(dt.date(year, 4, 1), dt.date(year + 1, 3, 31), year)

    @classmethod
    def between(cls, first: dt.date, last: dt.date) -> Period:
        """Any run of days; named as a fiscal year when it is exactly one."""
        if first.month == 4 and first.day == 1 and last == dt.date(first.year + 1, 3, 31):
            return cls.fiscal(first.year)
        return cls(first, last)

    @property
    def starts_at(self) -> dt.datetime:
        """The first instant of the period, in the site's time zone."""
        return _midnight(self.first)

    @property
    def ends_before(self) -> dt.datetime:
        """The first instant after the period (midnight after its last day)."""
        return _midnight(self.last + dt.timedelta(days=1))

    @property
    def label(self) -> str:
        """``令和8年度`` for a fiscal year, otherwise the dates (``2026年4月1日〜…``)."""
        if self.fiscal_year is not None:
            return formats.fiscal_year_label(self.fiscal_year)
        return formats.date_range(self.first, self.last)

    def months(self) -> list[dt.date]:
        """The first day of every month the period touches, in order."""
        month, months = self.first.replace(day=1), []
        while month <= self.last:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def month_of(value) -> dt.date | None:
    """The first day of the month of ``value`` (a date, or a datetime read in the site's
    time zone, as ``TruncMonth(..., tzinfo=...)`` hands it back); None stays None."""
    if value is None:
        return None
    value = formats.as_local(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.replace(day=1)


@dataclass
class Crosstab:
    """Counts of rows × columns (e.g. districts × age bands) with the totals of each."""

    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def of(
        cls, items: Iterable[tuple[str, str, int]], *, rows: list[str], columns: list[str]
    ) -> Crosstab:
        """From grouped ``(row, column, count)`` triples; rows and columns keep the given
        order, and a row or column met only in the data is added at the end."""
        table = cls(list(rows), list(columns))
        for row, column, count in items:
            if row not in table.rows:
                table.rows.append(row)
            if column not in table.columns:
                table.columns.append(column)
            table.cells[row, column] = table.cells.get((row, column), 0) + count
        return table

    def cell(self, row: str, column: str) -> int:
        return self.cells.get((row, column), 0)

    def row_total(self, row: str) -> int:
        return sum(self.cell(row, column) for column in self.columns)

    def column_total(self, column: str) -> int:
        return sum(self.cell(row, column) for row in self.rows)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    def lines(self) -> list[tuple[str, list[int], int]]:
        """``(row, counts per column, row total)`` for each row, for templates."""
        return [
            (row, [self.cell(row, c) for c in self.columns], self.row_total(row))
            for row in self.rows
        ]

    def column_totals(self) -> list[int]:
        return [self.column_total(column) for column in self.columns]


def suppression_threshold() -> int:
    """Counts below this (and above zero) are hidden in open data
    (``OPEN_DATA_MIN_COUNT``, 3 by default: counts of 1 and 2 are hidden)."""
    return settings.OPEN_DATA_MIN_COUNT


def is_small(count: int) -> bool:
    """Is ``count`` a small count that open data must hide?"""
    return 0 < count < suppression_threshold()


def suppression_mark() -> str:
    """What open data shows instead of a hidden figure (``OPEN_DATA_SUPPRESSED_MARK``)."""
    return settings.OPEN_DATA_SUPPRESSED_MARK


def suppressed(count: int):
    """``count`` as open data shows it: the mark for a small count, the number
    otherwise."""
    return suppression_mark() if is_small(count) else count
