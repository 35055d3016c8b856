"""The client's address, as seen through a configured number of trusted proxies.

Behind a proxy every request's ``REMOTE_ADDR`` is the proxy's, so a per-address limit
keyed on it becomes one limit for the whole city. With ``TRUSTED_PROXY_COUNT = n``
(n proxies in front of the web processes, each appending the address it received the
request from to ``X-Forwarded-For``), the client is the n-th entry counted from the
right: the entries left of it were written by the client and are not trusted. With 0
(the default) ``X-Forwarded-For`` is ignored and ``REMOTE_ADDR`` is the client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _clean(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.9:5123"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The client's address; ``REMOTE_ADDR`` when no proxy is trusted or the header
    does not hold a valid address where the trusted proxies put it."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count > 0 and forwarded:
        entries = [entry for entry in forwarded.split(",") if entry.strip()]
        if entries:
            # Fewer entries than proxies: every one was written by a trusted proxy,
            # the leftmost is nearest the client.
            found = _clean(entries[-min(count, len(entries))])
            if found:
                return found
    return _clean(remote) or remote


def client_key(prefix: str, request) -> str:
    """A rate-limit key for this client: the user when signed in, else the address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"{prefix}:user:{user.pk}"
    return f"{prefix}:ip:{client_ip(request)}"
