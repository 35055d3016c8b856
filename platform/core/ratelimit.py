"""A small failure counter in the cache (Redis in production, so every web process
shares it). Used to slow down code guessing: callers check :func:`blocked` before a
lookup and call :func:`record_failure` after a miss.

Each name's window opens at its first failure and lasts ``period`` seconds (the
counter's expiry). Windows aligned to the clock instead (``time // period``) let a
guesser make twice the limit across a boundary, and let a count that straddled one
start again from zero.
"""

from __future__ import annotations

from django.core.cache import cache


def _key(name: str, period: int) -> str:
    return f"ratelimit:{name}:{period}"


def blocked(names: list[str], *, limit: int, period: int) -> bool:
    """True when any of ``names`` has had ``limit`` failures in its open window."""
    counts = cache.get_many([_key(name, period) for name in names])
    return any(count >= limit for count in counts.values())


def record_failure(names: list[str], *, period: int) -> None:
    """Count one failure for each of ``names``; the first opens a window of ``period``
    seconds (later ones do not extend it: ``incr`` keeps the expiry)."""
    for name in names:
        key = _key(name, period)
        if not cache.add(key, 1, timeout=period):
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=period)
            else:
                if count == 1:
                    # It expired inside incr(): Django's Redis incr() checks that the
                    # key exists, then INCR creates it anew, without an expiry. Give
                    # the new window its period, or this counter would never reset.
                    cache.touch(key, period)
