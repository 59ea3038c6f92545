"""Connecting to the run's Redis, with a clear error instead of a traceback.

Example::

    >>> parse_redis_url("redis://10.0.0.5:6379/2")
    'redis://10.0.0.5:6379/2'
    >>> parse_redis_url("10.0.0.5:6379")
    Traceback (most recent call last):
    ...
    ValueError: --redis wants redis://HOST:PORT/DB (or rediss://, unix://), got '10.0.0.5:6379'
"""

from __future__ import annotations

from urllib.parse import urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry


# A restart of Redis (seconds) is ridden out: each command is retried with backoff for about
# RETRY_SECONDS before the error reaches the caller.
RETRY_SECONDS = 60
RESILIENT = {
    "health_check_interval": 15, "socket_keepalive": True, "socket_connect_timeout": 5,
    "retry": Retry(ExponentialBackoff(cap=2.0, base=0.1), retries=RETRY_SECONDS // 2),
    "retry_on_error": [redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError],
}


class RedisUnavailable(OSError):
    """The run's Redis cannot be reached (down, restarting, wrong address)."""


def parse_redis_url(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise ValueError(f"--redis wants redis://HOST:PORT/DB (or rediss://, unix://), got {url!r}")
    return url


def connect(url: str, *, decode: bool = False) -> redis.Redis:
    """A client for ``url`` that has answered PING (``RedisUnavailable`` at once when it does
    not), and that later rides out a restart of Redis."""
    client = redis.Redis.from_url(parse_redis_url(url), decode_responses=decode,
                                  **RESILIENT)
    probe = redis.Redis.from_url(url, socket_connect_timeout=5)  # fail fast at start
    try:
        probe.ping()
    except redis.RedisError as exc:
        raise RedisUnavailable(f"Redis at {url} does not answer: {exc}") from exc
    finally:
        probe.close()
    return client
