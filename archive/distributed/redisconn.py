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


class RedisUnavailable(OSError):
    """The run's Redis cannot be reached (down, restarting, wrong address)."""


def parse_redis_url(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise ValueError(f"--redis wants redis://HOST:PORT/DB (or rediss://, unix://), got {url!r}")
    return url


def connect(url: str, *, decode: bool = False) -> redis.Redis:
    """A client for ``url`` that has answered PING; ``RedisUnavailable`` when it does not."""
    client = redis.Redis.from_url(parse_redis_url(url), decode_responses=decode,
                                  health_check_interval=15, socket_keepalive=True,
                                  socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RedisUnavailable(f"Redis at {url} does not answer: {exc}") from exc
    return client
