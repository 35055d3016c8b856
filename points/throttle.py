"""Slowing down voucher-code guessing: failed lookups are limited per user and per
client address (shared by the shop pages and the API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from core import ratelimit
from core.clientip import client_ip
from points.exceptions import TooManyAttempts, VoucherMistyped, VoucherUnknown

FAILURE_LIMIT = 10
PERIOD_SECONDS = 300

T = TypeVar("T")


def keys_for(request) -> list[str]:
    return [
        f"voucher-lookup:user:{request.user.pk}",
        # Both: one clerk cannot guess past the limit, nor one address through many
        # shop accounts. The address is the client's, behind trusted proxies.
        f"voucher-lookup:ip:{client_ip(request)}",
    ]


def guarded(request, lookup: Callable[[], T]) -> T:
    """Run ``lookup`` unless this user or address has failed too often; count an
    unknown or mistyped code as a failure. Raises :class:`TooManyAttempts`."""
    keys = keys_for(request)
    if ratelimit.blocked(keys, limit=FAILURE_LIMIT, period=PERIOD_SECONDS):
        raise TooManyAttempts()
    try:
        return lookup()
    except (VoucherUnknown, VoucherMistyped):
        ratelimit.record_failure(keys, period=PERIOD_SECONDS)
        raise
