"""A fixed-window counter per client in the cache: enough to make guessing slow.

The cache is per process with the default local-memory backend; configure CACHE_URL
(e.g. redis://127.0.0.1:6379/1) so that every worker process shares the counters. Behind
reverse proxies, set TRUSTED_PROXY_HOPS to their number: the client is then read from
X-Forwarded-For (the address the outermost trusted proxy saw), not from the proxy's socket.
"""

import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def _raw_address(request) -> str:
    """REMOTE_ADDR, or behind TRUSTED_PROXY_HOPS proxies the address they saw the client at."""
    address = request.META.get("REMOTE_ADDR", "")
    hops = getattr(settings, "TRUSTED_PROXY_HOPS", 0)
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        # Each trusted proxy appends the address it received from: the one added by the
        # outermost trusted proxy is the client's; anything before it the client may forge.
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    return address


def client_ip(request) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The client as one IP address, None if unreadable; an IPv6 client counts as its /64
    (one subscriber's network), given as the network's first address."""
    try:
        ip = ipaddress.ip_address(_raw_address(request))
    except ValueError:
        return None
    if ip.version == 6:
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        return ipaddress.ip_network(f"{ip}/64", strict=False).network_address
    return ip


def client_address(request) -> str:
    """The client as a key for counters and records: an IP address, an IPv6 /64 network."""
    ip = client_ip(request)
    if ip is None:
        return _raw_address(request) or "unknown"
    return f"{ip}/64" if ip.version == 6 else str(ip)


def client_ip_or_none(request) -> str | None:
    """The client's own IP address (an IPv6 one whole), None if unreadable: what records keep."""
    try:
        ip = ipaddress.ip_address(_raw_address(request))
    except ValueError:
        return None
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


def client_network_or_none(request) -> str | None:
    """The client for django-axes' counters: one IP address, an IPv6 client's /64 as its
    first address (one subscriber's network, as the rate limits count it), None if unknown."""
    ip = client_ip(request)
    return str(ip) if ip is not None else None


def over_limit(request, scope: str, *, limit: int, window: int = 60) -> bool:
    """Count one hit of `scope` for this client; True once more than `limit` in `window` s.

    A cache that cannot be reached lets the request through: the limit slows guessing down,
    it must not take the page down with the cache.
    """
    bucket = int(time.time() // window)
    key = f"ratelimit:{scope}:{client_address(request)}:{bucket}"
    try:
        if cache.add(key, 1, timeout=window + 1):
            return limit < 1
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
    except Exception:
        logger.warning("Rate limit of %s not counted: the cache is unreachable.", scope)
        return False
    return count > limit
