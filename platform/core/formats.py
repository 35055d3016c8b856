"""One style for dates, times, money and points, wherever they are shown.

Pages, admin lists and inspect views, CSV/XLSX exports, emails and print all format
through these functions (templates through the ``formatting`` template library), so
the same instant reads the same everywhere: ``2026年12月3日(木) 06:53`` in the site's
time zone (``Asia/Tokyo``), whatever zone the database handed back.

* dates: ``2026年12月3日(木)``; without the year ``12月3日(木)`` (only where the year is
  plain from the page, e.g. a month's list); months ``2026年12月``;
* times: ``06:53`` (two-digit hours, so columns line up);
* ranges with ``〜``: ``2026年12月3日(木) 10:00〜11:00``; across days the end date is
  written, across years the end year too
  (``2026年11月19日(木) 06:28〜2027年1月7日(木)``);
* money ``1,500円``, points ``1,200 pt``;
* fiscal years (April–March) with the era: ``令和7年度``.

In English (the second language) the same information reads
``Thu 3 Dec 2026, 06:53``, ``¥1,500``, ``FY2025``.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation
from django.utils.dateformat import format as date_format

WEEKDAYS_JA = "月火水木金土日"
RANGE_JA = "〜"
RANGE_EN = "–"
EMPTY = "—"

#: The eras a fiscal year can fall in (first day of the era, name). A fiscal year is
#: named by the era of its first day, except the year an era began part way through:
#: FY2019 (April 2019 – March 2020) is 令和元年度, as the cities write it.
ERAS = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
)


def _ja() -> bool:
    return (translation.get_language() or "ja").startswith("ja")


def as_local(value):
    """An aware datetime moved to the site's time zone; anything else (a date, a naive
    datetime, None) as it is."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def weekday(value) -> str:
    """``木`` (``Thu`` in English), in the site's time zone."""
    value = as_local(value)
    if _ja():
        return WEEKDAYS_JA[value.weekday()]
    return date_format(value, "D")


def date(value, *, year: bool = True, with_weekday: bool = True, empty: str = "") -> str:
    """``2026年12月3日(木)``; ``year=False`` → ``12月3日(木)``."""
    if not value:
        return empty
    value = as_local(value)
    if _ja():
        text = f"{value.month}月{value.day}日"
        if year:
            text = f"{value.year}年{text}"
        return f"{text}({weekday(value)})" if with_weekday else text
    parts = ("D " if with_weekday else "") + "j M" + (" Y" if year else "")
    return date_format(value, parts)


def time(value, *, empty: str = "") -> str:
    """``06:53`` (a time, or a datetime in the site's time zone)."""
    if value is None or value == "":
        return empty
    value = as_local(value)
    return f"{value:%H:%M}"


def datetime(value, *, year: bool = True, empty: str = "") -> str:
    """``2026年12月3日(木) 06:53``."""
    if not value:
        return empty
    value = as_local(value)
    if not isinstance(value, dt.datetime):
        return date(value, year=year)
    separator = " " if _ja() else ", "
    return f"{date(value, year=year)}{separator}{time(value)}"


def month(value, *, empty: str = "") -> str:
    """``2026年12月`` (``December 2026``)."""
    if not value:
        return empty
    value = as_local(value)
    if _ja():
        return f"{value.year}年{value.month}月"
    return date_format(value, "F Y")


def local_datetime(value: dt.datetime | None, empty: str = EMPTY) -> str:
    """:func:`datetime`, with ``empty`` (—) when there is no value: the admin
    listings' cells."""
    return datetime(value, empty=empty)


def _range_mark() -> str:
    return RANGE_JA if _ja() else RANGE_EN


def time_range(start, end) -> str:
    """``10:00〜11:00``."""
    if not start:
        return ""
    if not end:
        return f"{time(start)}{_range_mark()}"
    return f"{time(start)}{_range_mark()}{time(end)}"


def _end_part(start, end, *, with_time: bool, year: bool = True) -> str:
    """The end of a range, as much as the reader needs: its time alone on the same
    day, the date without the year within the year, everything across years."""
    end_has_time = isinstance(end, dt.datetime)
    start_day = start.date() if isinstance(start, dt.datetime) else start
    end_day = end.date() if end_has_time else end
    if with_time and end_has_time and end_day == start_day:
        return time(end)
    text = date(end, year=year and end_day.year != start_day.year)
    if with_time and end_has_time:
        text += (" " if _ja() else ", ") + time(end)
    return text


def date_range(start, end) -> str:
    """``2026年12月3日(木)〜12月5日(土)``; ``2026年12月28日(月)〜2027年1月4日(月)``."""
    if not start:
        return ""
    start, end = as_local(start), as_local(end)
    if not end or (end.date() if isinstance(end, dt.datetime) else end) == (
        start.date() if isinstance(start, dt.datetime) else start
    ):
        return date(start) + ("" if end else _range_mark())
    return f"{date(start)}{_range_mark()}{_end_part(start, end, with_time=False)}"


def datetime_range(start, end, *, year: bool = True) -> str:
    """``2026年12月3日(木) 10:00〜11:00``, ``…10:00〜12月4日(金) 12:00`` across days,
    ``2026年11月19日(木) 06:28〜2027年1月7日(木)`` across years (an end that is a date
    rather than a datetime is written without a time). ``year=False`` leaves the
    years out (a day's board, where the year is plain)."""
    if not start:
        return ""
    start, end = as_local(start), as_local(end)
    text = datetime(start, year=year) + _range_mark()
    if not end:
        return text
    return text + _end_part(start, end, with_time=True, year=year)


def number(value, *, empty: str = EMPTY) -> str:
    """``1,234``."""
    if value is None or value == "":
        return empty
    return f"{value:,}"


def yen(value, *, empty: str = EMPTY) -> str:
    """``1,500円`` (``¥1,500`` in English); negative amounts ``-1,500円``."""
    if value is None or value == "":
        return empty
    return f"{value:,}円" if _ja() else f"¥{value:,}"


def points(value, *, empty: str = EMPTY) -> str:
    """``1,200 pt``."""
    if value is None or value == "":
        return empty
    return f"{value:,} pt"


def fiscal_year(day, *, start_month: int = 4) -> int:
    """The fiscal year ``day`` belongs to, named by the calendar year it starts in:
    2026-03-31 → 2025, 2026-04-01 → 2026 (April–March by default)."""
    day = as_local(day)
    if isinstance(day, dt.datetime):
        day = day.date()
    return day.year if day.month >= start_month else day.year - 1


def era_year(year: int, *, start_month: int = 4) -> tuple[str, int]:
    """The era and the era's year of the fiscal year starting in ``year``:
    2025 → (令和, 7); 2019 → (令和, 1): a fiscal year most of which falls in a new era
    carries that era's name (令和元年度), as the cities write it."""
    last_day = dt.date(year + 1, start_month, 1) - dt.timedelta(days=1)
    for first_day, name in ERAS:
        if last_day >= first_day:
            return name, year - first_day.year + 1
    return "", year


def fiscal_year_label(year: int, *, start_month: int = 4) -> str:
    """``令和7年度`` for the fiscal year starting in April 2025 (``FY2025`` in English);
    the first year of an era is 元年度."""
    if not _ja():
        return f"FY{year}"
    era, number_in_era = era_year(year, start_month=start_month)
    if not era:
        return f"{year}年度"
    return f"{era}{'元' if number_in_era == 1 else number_in_era}年度"
