"""The failure counter behind the voucher-code, proposal and sign-up limits."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
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
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    ):
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
