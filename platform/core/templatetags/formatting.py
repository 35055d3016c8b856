"""Template filters over :mod:`core.formats`: ``{% load formatting %}``.

``{{ value|jdate }}`` 2026年12月3日(木) · ``{{ value|jdate_short }}`` 12月3日(木) ·
``{{ value|jdatetime }}`` 2026年12月3日(木) 06:53 · ``{{ value|jdatetime_short }}``
12月3日(木) 06:53 · ``{{ value|jtime }}`` 06:53 · ``{{ value|jmonth }}`` 2026年12月 ·
``{{ amount|yen }}`` 1,500円 · ``{{ n|pt }}`` 1,200 pt · ``{{ year|fiscal_year }}``
令和7年度 · ``{% datetime_range start end %}`` 2026年12月3日(木) 10:00〜11:00 ·
``{% time_range start end %}`` 10:00〜11:00 · ``{% date_range start end %}``.
"""

from __future__ import annotations

from django import template

from core import formats

register = template.Library()


@register.filter
def jdate(value) -> str:
    return formats.date(value)


@register.filter
def jdate_short(value) -> str:
    return formats.date(value, year=False)


@register.filter
def jdatetime(value) -> str:
    return formats.datetime(value)


@register.filter
def jdatetime_short(value) -> str:
    return formats.datetime(value, year=False)


@register.filter
def jtime(value) -> str:
    return formats.time(value)


@register.filter
def jmonth(value) -> str:
    return formats.month(value)


@register.filter
def num(value) -> str:
    """``1,234``."""
    return formats.number(value)


@register.filter
def yen(value) -> str:
    return formats.yen(value)


@register.filter
def pt(value) -> str:
    return formats.points(value)


@register.filter
def fiscal_year(value) -> str:
    """A fiscal year (the calendar year it starts in) as 令和7年度."""
    return formats.fiscal_year_label(int(value)) if value not in (None, "") else ""


@register.simple_tag
def datetime_range(start, end=None) -> str:
    return formats.datetime_range(start, end)


@register.simple_tag
def datetime_range_short(start, end=None) -> str:
    return formats.datetime_range(start, end, year=False)


@register.simple_tag
def date_range(start, end=None) -> str:
    return formats.date_range(start, end)


@register.simple_tag
def time_range(start, end=None) -> str:
    return formats.time_range(start, end)


@register.filter
def jcell(value) -> str:
    """A table cell of any plain value: dates and times as the project writes them,
    nothing recorded as a dash."""
    from core.exports import cell_text

    if value is None or value == "":
        return formats.EMPTY
    return cell_text(value)
