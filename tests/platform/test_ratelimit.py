"""The failure counter behind the voucher-code, proposal and sign-up limits."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings

from core import ratelimit

PERIOD = 300
LIMIT = 3


@pytest.fixture
def clock(monkeypatch):
    """A clock the local-memory cache also reads, so expiry follows it."""
    now = [PERIOD * 5_000_000 - 1.0]  # a second before a multiple of the period
    monkeypatch.setattr(time, "time", lambda: now[0])
    # A local-memory cache of its own, whatever CACHES says (Redis in CI keeps real
    # time, not this clock); emptied, since local-memory caches of one name share storage.
    local = LocMemCache("ratelimit-test", {})
    local.clear()
    monkeypatch.setattr(ratelimit, "cache", local)
    yield now


def fail(times: int, name: str = "guesser") -> None:
    for _ in range(times):
        ratelimit.record_failure([name], period=PERIOD)


def test_the_limit_blocks_and_other_names_are_not_blocked(clock):
    fail(LIMIT - 1)
    assert not ratelimit.blocked(["guesser"], limit=LIMIT, period=PERIOD)
    fail(1)
    assert ratelimit.blocked(["guesser"], limit=LIMIT, period=PERIOD)
    assert ratelimit.blocked(["someone-else", "guesser"], limit=LIMIT, period=PERIOD)
    assert not ratelimit.blocked(["someone-else"], limit=LIMIT, period=PERIOD)


def test_failures_keep_counting_when_the_clock_passes_a_multiple_of_the_period(clock):
    """A clock-aligned window started again from zero here (and the shop's rate-limit
    test failed whenever it ran across such a moment)."""
    fail(LIMIT - 1)
    clock[0] += 2
    fail(1)
    assert ratelimit.blocked(["guesser"], limit=LIMIT, period=PERIOD)


def test_the_window_closes_a_period_after_the_first_failure(clock):
    fail(1)
    clock[0] += PERIOD - 10
    fail(LIMIT - 1)  # later failures do not extend the window
    assert ratelimit.blocked(["guesser"], limit=LIMIT, period=PERIOD)
    clock[0] += 11
    assert not ratelimit.blocked(["guesser"], limit=LIMIT, period=PERIOD)
    fail(1)  # a new window
    assert not ratelimit.blocked(["guesser"], limit=LIMIT, period=PERIOD)


@pytest.mark.redis
def test_a_counter_that_expires_during_an_increment_still_expires(redis_url, monkeypatch):
    """Django's Redis ``incr()`` checks that the key exists, then sends INCR, which
    creates a key that expired in between with no expiry at all: with a fixed key the
    name would then stay blocked for good. Reproduced by making the check see a key
    that has just gone."""
    import redis

    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": "ratelimit-test",
            }
        }
    ):
        cache.clear()
        with monkeypatch.context() as patch:
            patch.setattr(RedisCache, "add", lambda *args, **kwargs: False)  # it existed
            patch.setattr(redis.Redis, "exists", lambda self, *keys: 1)  # and still did
            ratelimit.record_failure(["guesser"], period=PERIOD)

        key = cache.make_and_validate_key(ratelimit._key("guesser", PERIOD))
        server = redis.Redis.from_url(redis_url)
        assert server.get(key) == b"1"
        assert 0 < server.ttl(key) <= PERIOD
        cache.clear()


def test_the_limit_is_reached_exactly_at_the_limit_for_every_name(clock):
    fail(LIMIT - 1, "a")
    fail(LIMIT - 1, "b")
    assert not ratelimit.blocked(["a", "b"], limit=LIMIT, period=PERIOD)
    ratelimit.record_failure(["a", "b"], period=PERIOD)  # one failure counts for both
    assert ratelimit.blocked(["a"], limit=LIMIT, period=PERIOD)
    assert ratelimit.blocked(["b"], limit=LIMIT, period=PERIOD)
    assert not ratelimit.blocked(["a"], limit=LIMIT + 1, period=PERIOD)


def test_a_window_ending_exactly_now_is_closed(clock):
    """Without Redis (the local-memory cache, on a fake clock): the window is open for
    ``period`` seconds after the first failure, and closed at that very second."""
    fail(LIMIT)
    clock[0] += PERIOD - 1  # whole seconds: exact in floating point
    assert ratelimit.blocked(["guesser"], limit=LIMIT, period=PERIOD)
    clock[0] += 1
    assert not ratelimit.blocked(["guesser"], limit=LIMIT, period=PERIOD)


def test_windows_of_different_periods_count_apart(clock):
    fail(LIMIT)
    assert ratelimit.blocked(["guesser"], limit=LIMIT, period=PERIOD)
    assert not ratelimit.blocked(["guesser"], limit=1, period=PERIOD * 2)
    assert ratelimit._key("guesser", PERIOD) == f"ratelimit:guesser:{PERIOD}"


class FakeCache:
    """A cache whose key is there for ``add`` and gone by ``incr`` (or comes back new
    from it), the two races record_failure handles, without Redis."""

    def __init__(self, incr_result):
        self.incr_result = incr_result
        self.calls = []

    def add(self, key, value, timeout):
        self.calls.append(("add", key, value, timeout))
        return False  # it existed

    def incr(self, key):
        self.calls.append(("incr", key))
        if isinstance(self.incr_result, Exception):
            raise self.incr_result
        return self.incr_result

    def set(self, key, value, timeout):
        self.calls.append(("set", key, value, timeout))

    def touch(self, key, timeout):
        self.calls.append(("touch", key, timeout))


def test_a_counter_gone_between_add_and_incr_opens_a_new_window(monkeypatch):
    fake = FakeCache(ValueError("gone"))
    monkeypatch.setattr(ratelimit, "cache", fake)
    ratelimit.record_failure(["guesser"], period=PERIOD)
    key = f"ratelimit:guesser:{PERIOD}"
    assert fake.calls == [("add", key, 1, PERIOD), ("incr", key), ("set", key, 1, PERIOD)]


@pytest.mark.parametrize(("count", "touched"), [(1, True), (2, False)])
def test_a_counter_recreated_by_incr_gets_its_period_back(monkeypatch, count, touched):
    fake = FakeCache(count)
    monkeypatch.setattr(ratelimit, "cache", fake)
    ratelimit.record_failure(["guesser"], period=PERIOD)
    key = f"ratelimit:guesser:{PERIOD}"
    expected = [("add", key, 1, PERIOD), ("incr", key)]
    if touched:
        expected.append(("touch", key, PERIOD))
    assert fake.calls == expected
