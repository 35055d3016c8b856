"""The window of help a request may ask for (volunteers/rules.py), at its edges: a
window starting exactly when service starts and ending exactly when it ends is
allowed, a minute outside is not; an empty window and one across midnight are not."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from volunteers.exceptions import InvalidWindow, OutsideServiceHours
from volunteers.rules import service_window_check

TOKYO = ZoneInfo("Asia/Tokyo")
CATEGORY = SimpleNamespace(service_starts=dt.time(9, 0), service_ends=dt.time(17, 0))


def at(hour, minute=0, day=10):
    return dt.datetime(2099, 6, day, hour, minute, tzinfo=TOKYO)


def test_the_whole_service_day_exactly_is_allowed():
    service_window_check(CATEGORY, at(9), at(17))
    service_window_check(CATEGORY, at(9), at(9, 1))


@pytest.mark.parametrize(("start", "end"), [(at(8, 59), at(10)), (at(16), at(17, 1))])
def test_a_minute_outside_service_hours_is_refused(start, end):
    with pytest.raises(OutsideServiceHours) as refused:
        service_window_check(CATEGORY, start, end)
    assert refused.value.field == "starts_at"
    assert refused.value.details == {"starts": "09:00", "ends": "17:00"}


@pytest.mark.parametrize(
    ("start", "end"),
    [(at(10), at(10)), (at(11), at(10)), (at(16), at(10, day=11))],
)
def test_empty_backwards_or_overnight_windows_are_refused(start, end):
    with pytest.raises(InvalidWindow) as refused:
        service_window_check(CATEGORY, start, end)
    assert refused.value.field == "ends_at"


def test_the_day_and_hours_are_tokyos_whatever_the_given_zone():
    # 00:30 UTC is 09:30 in Tokyo; 07:30 UTC is 16:30.
    utc = dt.UTC
    service_window_check(
        CATEGORY,
        dt.datetime(2099, 6, 10, 0, 30, tzinfo=utc),
        dt.datetime(2099, 6, 10, 7, 30, tzinfo=utc),
    )
    # 23:30 UTC on the 9th is 08:30 on the 10th in Tokyo: before service starts.
    with pytest.raises(OutsideServiceHours):
        service_window_check(
            CATEGORY,
            dt.datetime(2099, 6, 9, 23, 30, tzinfo=utc),
            dt.datetime(2099, 6, 10, 1, 0, tzinfo=utc),
        )
