"""A small fixed-window failure counter in the cache (Redis in production, so every
web process shares it). Used to slow down code guessing: callers check
:func:`blocked` before a lookup and call :func:`record_failure` after a miss."""

from __future__ import annotations

import time

from django.core.cache import cache


def _key(name: str, period: int) -> str:
    return f"ratelimit:{name}:{int(time.time() // period)}"


def blocked(names: list[str], *, limit: int, period: int) -> bool:
    """True when any of ``names`` has had ``limit`` failures in this window."""
    counts = cache.get_many([_key(name, period) for name in names])
    return any(count >= limit for count in counts.values())


def record_failure(names: list[str], *, period: int) -> None:
    for name in names:
        key = _key(name, period)
        if not cache.add(key, 1, timeout=period + 1):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=period + 1)
