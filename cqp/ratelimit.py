"""A fixed-window counter per client address in the cache: enough to make guessing slow.

The cache is per process with the default local-memory backend; configure CACHE_URL
(e.g. redis://127.0.0.1:6379/1) so that every worker process shares the counters.
"""

import time

from django.core.cache import cache


def client_address(request) -> str:
    # Behind a proxy, REMOTE_ADDR is the proxy's: the proxy must set it from the client
    # (gunicorn's --forwarded-allow-ips with a trusted proxy does).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def over_limit(request, scope: str, *, limit: int, window: int = 60) -> bool:
    """Count one hit of `scope` for this client; True once more than `limit` in `window` s."""
    bucket = int(time.time() // window)
    key = f"ratelimit:{scope}:{client_address(request)}:{bucket}"
    if cache.add(key, 1, timeout=window + 1):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    return count > limit
