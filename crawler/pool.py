"""Keep-alive through a proxy: Scrapy's HTTP/1.1 download handler with a connection pool as
large as the run's concurrency.

Scrapy keeps at most ``CONCURRENT_REQUESTS_PER_DOMAIN`` (here 1) idle connections per pool
key. Direct requests are keyed by their host, so one per host is all a host ever needs; but
every plain-http request through a proxy (``gkarchive crawl --proxy``) shares the proxy's
one key, so with one connection kept, nearly every request of a run across many hosts
opened and closed a TCP connection of its own (CPU on both ends, docs/benchmarks.md, "A
simulated province"). Politeness is unchanged: it is the downloader's slots, not the pool,
that allow one request at a time per host.

Example::

    DOWNLOAD_HANDLERS = {"http": "crawler.pool.PooledDownloadHandler"}
"""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler


class PooledDownloadHandler(HTTP11DownloadHandler):
    """Up to ``CONCURRENT_REQUESTS`` idle connections per pool key (per host, or the proxy)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._pool.maxPersistentPerHost = max(self._pool.maxPersistentPerHost,
                                              crawler.settings.getint("CONCURRENT_REQUESTS"))
