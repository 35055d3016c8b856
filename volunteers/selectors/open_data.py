"""Open data: the fiscal year's statistics as CSV tables in the city's open-data style.

One table per subject, one row per district / category / month as the subject has
them, a Japanese header row (the published column names: they do not change with the
reader's language) and nothing about a person: no names, addresses, contacts, places
of residence below the district, nor any id.

Small counts (1 up to ``OPEN_DATA_MIN_COUNT`` − 1) are shown as
``OPEN_DATA_SUPPRESSED_MARK`` (:mod:`core.stats`), and so are the figures of the same
row that describe those few people or requests (hours, yen, points). Secondary
suppression is not applied: no total rows are published, but a reader who has the
report's totals could subtract the rest (see README, "Reports and open data").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import translation

from core import formats
from core.stats import Period, is_small, suppressed, suppression_mark
from points.selectors.fiscal import points_by_month
from volunteers.selectors.fiscal import (
    activities_by_month_kind_district,
    fees_by_month,
    requests_by_month_district_category,
    volunteers_by_district_and_age,
)


@dataclass(frozen=True)
class Column:
    heading: str
    #: A count of people, requests or awards: hidden when small.
    count: bool = False
    #: A figure about the row's people or requests: hidden when a count of the row is.
    measure: bool = False


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    columns: tuple[Column, ...]
    rows: Callable[[Period], list[list]]
    #: Only for those who may see the points ledger.
    points: bool = False


def _year_columns() -> tuple[Column, ...]:
    return (Column("年度"), Column("年度（和暦）"))


def _year(period: Period) -> list:
    return [period.fiscal_year, formats.fiscal_year_label(period.fiscal_year)]


def _month(month) -> str:
    return f"{month:%Y-%m}"


def _volunteer_rows(period: Period) -> list[list]:
    table = volunteers_by_district_and_age(period)
    return [
        [*_year(period), row, column, table.cell(row, column)]
        for row in table.rows
        for column in table.columns
    ]


def _activity_rows(period: Period) -> list[list]:
    return [
        [
            *_year(period),
            _month(f.month),
            f.district,
            f.kind,
            f.activities,
            f.volunteers,
            f.hours,
        ]
        for f in activities_by_month_kind_district(period)
    ]


def _request_rows(period: Period) -> list[list]:
    return [
        [
            *_year(period),
            _month(f.month),
            f.district,
            f.category,
            f.received,
            f.carried_out,
            f.cancelled,
        ]
        for f in requests_by_month_district_category(period)
    ]


def _fee_rows(period: Period) -> list[list]:
    return [
        [*_year(period), _month(f.month), f.assignments, f.minutes, f.fee_yen, f.cash_yen]
        for f in fees_by_month(period)
    ]


def _points_rows(period: Period) -> list[list]:
    return [
        [
            *_year(period),
            _month(f.month),
            f.awards,
            f.earned,
            f.capped,
            f.expired,
            f.exchanged,
            f.redeemed,
        ]
        for f in points_by_month(period)
    ]


TABLES: tuple[Table, ...] = (
    Table(
        "volunteers",
        "ボランティア登録者数（地区・年齢階級別）",
        (*_year_columns(), Column("地区"), Column("年齢階級"), Column("登録者数", count=True)),
        _volunteer_rows,
    ),
    Table(
        "activities",
        "ボランティア活動（月・地区・活動場所の種類別）",
        (
            *_year_columns(),
            Column("年月"),
            Column("地区"),
            Column("活動場所の種類"),
            Column("活動回数", count=True),
            Column("活動者数（実人数）", count=True),
            Column("活動時間（時間）", measure=True),
        ),
        _activity_rows,
    ),
    Table(
        "requests",
        "支えあいセンターへの依頼（月・地区・依頼の種類別）",
        (
            *_year_columns(),
            Column("年月"),
            Column("地区"),
            Column("依頼の種類"),
            Column("依頼件数", count=True),
            Column("実施件数", count=True),
            Column("取消件数", count=True),
        ),
        _request_rows,
    ),
    Table(
        "fees",
        "支えあいセンターの利用料（月別）",
        (
            *_year_columns(),
            Column("年月"),
            Column("実施件数", count=True),
            Column("利用時間（分）", measure=True),
            Column("利用料（円）", measure=True),
            Column("現金受領額（円）", measure=True),
        ),
        _fee_rows,
    ),
    Table(
        "points",
        "いきいきポイント（月別）",
        (
            *_year_columns(),
            Column("年月"),
            Column("付与件数", count=True),
            Column("付与ポイント", measure=True),
            Column("上限により付与されなかったポイント", measure=True),
            Column("失効ポイント"),
            Column("商品券交換ポイント"),
            Column("商品券利用ポイント"),
        ),
        _points_rows,
        points=True,
    ),
)


def open_data_table(slug: str) -> Table | None:
    return next((table for table in TABLES if table.slug == slug), None)


def open_data_rows(table: Table, period: Period) -> list[list]:
    """The table's header and rows for ``period`` (a fiscal year), small counts and
    the figures that go with them replaced by the suppression mark. Labels (kinds of
    place, age bands) are written in Japanese whatever the reader's language."""
    with translation.override("ja"):
        rows = table.rows(period)
    out = [[column.heading for column in table.columns]]
    for row in rows:
        hidden = any(
            column.count and is_small(value)
            for column, value in zip(table.columns, row, strict=True)
        )
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            if column.count:
                value = suppressed(value)
            elif column.measure and hidden:
                value = suppression_mark()
            cells.append(value)
        out.append(cells)
    return out
