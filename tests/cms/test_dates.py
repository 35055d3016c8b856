"""Japanese-style dates: the weekday is Tokyo's, not UTC's."""

import datetime as dt

from django.utils import translation

from cms.templatetags.cms_tags import jp_date, when

UTC = dt.UTC
TOKYO = dt.timezone(dt.timedelta(hours=9))


def test_same_day_range():
    with translation.override("ja"):
        start = dt.datetime(2026, 12, 5, 10, 0, tzinfo=TOKYO)
        assert when(start, start + dt.timedelta(hours=2)) == "2026年12月5日(土) 10:00〜12:00"


def test_weekday_and_date_come_from_tokyo_not_utc():
    # 2026-12-05 20:00 UTC is Sunday 6 December 05:00 in Tokyo.
    start = dt.datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
    with translation.override("ja"):
        assert jp_date(start) == "2026年12月6日(日)"
        assert when(start, start + dt.timedelta(hours=1)) == "2026年12月6日(日) 05:00〜06:00"


def test_range_across_days_repeats_the_end_date_and_across_years_its_year():
    start = dt.datetime(2026, 12, 31, 22, 0, tzinfo=TOKYO)
    with translation.override("ja"):
        assert (
            when(start, start + dt.timedelta(hours=4))
            == "2026年12月31日(木) 22:00〜2027年1月1日(金) 02:00"
        )


def test_plain_dates_and_english():
    assert jp_date(dt.date(2027, 1, 1)) == "2027年1月1日(金)"
    with translation.override("en"):
        start = dt.datetime(2026, 12, 5, 10, 0, tzinfo=TOKYO)
        assert when(start, start + dt.timedelta(hours=2)) == "Sat 5 Dec 2026, 10:00–12:00"
