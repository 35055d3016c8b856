"""The one formatting module (core.formats): dates, times, ranges, money, points and
fiscal years read the same way wherever they are shown, in Asia/Tokyo."""

import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import translation

from core import formats

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
UTC = dt.UTC


@pytest.fixture(autouse=True)
def japanese():
    with translation.override("ja"):
        yield


def test_an_instant_reads_in_tokyo_whatever_zone_it_comes_in():
    # 21:53 UTC on 2 December is 06:53 on Thursday 3 December in Tokyo.
    instant = dt.datetime(2026, 12, 2, 21, 53, tzinfo=UTC)
    assert formats.datetime(instant) == "2026年12月3日(木) 06:53"
    assert formats.date(instant) == "2026年12月3日(木)"
    assert formats.weekday(instant) == "木"
    assert formats.time(instant) == "06:53"
    assert formats.month(instant) == "2026年12月"
    assert formats.datetime(instant, year=False) == "12月3日(木) 06:53"
    assert formats.datetime(instant.astimezone(TOKYO)) == formats.datetime(instant)


def test_dates_times_and_empty_values():
    assert formats.date(dt.date(2026, 12, 4)) == "2026年12月4日(金)"
    assert formats.date(dt.date(2026, 12, 4), year=False) == "12月4日(金)"
    assert formats.time(dt.time(9, 5)) == "09:05"
    assert formats.date(None) == "" and formats.local_datetime(None) == "—"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # same day: the end's time only
        (
            dt.datetime(2026, 12, 3, 10, 0, tzinfo=TOKYO),
            dt.datetime(2026, 12, 3, 11, 0, tzinfo=TOKYO),
            "2026年12月3日(木) 10:00〜11:00",
        ),
        # across days in one year: the end's date without the year
        (
            dt.datetime(2026, 12, 3, 10, 0, tzinfo=TOKYO),
            dt.datetime(2026, 12, 4, 12, 0, tzinfo=TOKYO),
            "2026年12月3日(木) 10:00〜12月4日(金) 12:00",
        ),
        # across years: the end keeps its year
        (
            dt.datetime(2026, 11, 18, 21, 28, tzinfo=UTC),
            dt.date(2027, 1, 7),
            "2026年11月19日(木) 06:28〜2027年1月7日(木)",
        ),
        (
            dt.datetime(2026, 12, 31, 22, 0, tzinfo=TOKYO),
            dt.datetime(2027, 1, 1, 1, 0, tzinfo=TOKYO),
            "2026年12月31日(木) 22:00〜2027年1月1日(金) 01:00",
        ),
    ],
)
def test_datetime_ranges(start, end, expected):
    assert formats.datetime_range(start, end) == expected


def test_date_and_time_ranges():
    assert formats.time_range(dt.time(10), dt.time(11)) == "10:00〜11:00"
    assert (
        formats.date_range(dt.date(2026, 12, 28), dt.date(2027, 1, 4))
        == "2026年12月28日(月)〜2027年1月4日(月)"
    )
    assert formats.date_range(dt.date(2026, 4, 1), dt.date(2026, 5, 24)) == (
        "2026年4月1日(水)〜5月24日(日)"
    )


def test_money_and_points():
    assert formats.yen(1500) == "1,500円"
    assert formats.yen(-1500) == "-1,500円"
    assert formats.yen(0) == "0円" and formats.yen(None) == "—"
    assert formats.points(12000) == "12,000 pt"
    with translation.override("en"):
        assert formats.yen(1500) == "¥1,500"


@pytest.mark.parametrize(
    ("day", "year", "label"),
    [
        (dt.date(2026, 3, 31), 2025, "令和7年度"),
        (dt.date(2026, 4, 1), 2026, "令和8年度"),
        (dt.date(2019, 4, 1), 2019, "令和元年度"),  # the era began on 1 May 2019
        (dt.date(2019, 3, 31), 2018, "平成30年度"),
        (dt.date(2020, 1, 15), 2019, "令和元年度"),
    ],
)
def test_fiscal_years_run_april_to_march_and_carry_the_era(day, year, label):
    assert formats.fiscal_year(day) == year
    assert formats.fiscal_year_label(year) == label


def test_a_calendar_year_scheme_names_the_year_in_its_era():
    assert formats.fiscal_year(dt.date(2026, 3, 31), start_month=1) == 2026
    assert formats.fiscal_year_label(2026, start_month=1) == "令和8年度"
    assert formats.fiscal_year_label(2019, start_month=1) == "令和元年度"


def test_english_reads_the_same_information():
    instant = dt.datetime(2026, 12, 2, 21, 53, tzinfo=UTC)
    with translation.override("en"):
        assert formats.datetime(instant) == "Thu 3 Dec 2026, 06:53"
        assert formats.fiscal_year_label(2025) == "FY2025"
        assert formats.time_range(dt.time(10), dt.time(11)) == "10:00–11:00"


def test_template_filters_are_the_module():
    instant = dt.datetime(2026, 12, 2, 21, 53, tzinfo=UTC)
    end = dt.datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
    html = Template(
        "{% load formatting %}{{ t|jdatetime }}|{{ t|jdate }}|{{ t|jdate_short }}|"
        "{{ t|jtime }}|{{ t|jmonth }}|{{ n|yen }}|{{ n|pt }}|{{ fy|fiscal_year }}|"
        "{% datetime_range t e %}|{% datetime_range_short t e %}"
    ).render(Context({"t": instant, "e": end, "n": 12345, "fy": 2025}))
    assert html.split("|") == [
        formats.datetime(instant),
        formats.date(instant),
        formats.date(instant, year=False),
        formats.time(instant),
        formats.month(instant),
        "12,345円",
        "12,345 pt",
        "令和7年度",
        "2026年12月3日(木) 06:53〜08:00",
        "12月3日(木) 06:53〜08:00",
    ]


def test_django_prints_dates_in_the_same_style():
    """What a template prints without a filter (Wagtail's list columns) reads as the
    module writes it: the project's Japanese format module (config.formats.ja)."""
    instant = dt.datetime(2026, 12, 2, 21, 56, tzinfo=UTC)
    html = Template("{{ t }}|{{ d }}").render(Context({"t": instant, "d": dt.date(2026, 12, 4)}))
    assert html == f"{formats.datetime(instant)}|{formats.date(dt.date(2026, 12, 4))}"
