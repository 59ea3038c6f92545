"""The bare baseline of the crawl benchmark: a plain Scrapy spider that replays the exact URL
list a real crawl fetched (read from the archive's ``fetches`` table) through the same proxy
with the same concurrency, and throws every response away (no middlewares of ours, no pipeline).

Prints one JSON line: ``{"requests": N, "responses": N, "bytes": N, "seconds": S}``, seconds
from spider open to spider close.

Example::

    python -m bench.bare_spider --db /tmp/bench.db --run 1 --proxy http://127.0.0.1:8702
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess


def fetched_urls(db_path: str, run_id: int) -> list[tuple[str, str]]:
    """(method, url) of every exchange of ``run_id``, in the order they were recorded."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return list(conn.execute("SELECT method, url FROM fetches WHERE run_id = ? ORDER BY id",
                                 [run_id]))
    finally:
        conn.close()


class ReplaySpider(scrapy.Spider):
    name = "bench-replay"

    def __init__(self, urls: list[tuple[str, str]], proxy: str, **kwargs):
        super().__init__(**kwargs)
        self.urls, self.proxy = urls, proxy
        self.stats_out = {"requests": len(urls), "responses": 0, "bytes": 0}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.closed_at, signal=signals.spider_closed)
        return spider

    def opened(self, spider) -> None:
        self.stats_out["opened"] = time.perf_counter()

    def closed_at(self, spider, reason) -> None:
        self.stats_out["seconds"] = time.perf_counter() - self.stats_out.pop("opened")

    async def start(self):
        for method, url in self.urls:
            yield scrapy.Request(url, method=method, callback=self.discard, errback=self.failed,
                                 dont_filter=True, meta={"proxy": self.proxy})

    def discard(self, response):
        self.stats_out["responses"] += 1
        self.stats_out["bytes"] += len(response.body)
        return None

    def failed(self, failure):
        self.stats_out.setdefault("failures", 0)
        self.stats_out["failures"] += 1


def replay(urls: list[tuple[str, str]], proxy: str, settings: dict) -> dict:
    """Run the replay in this process (once: Twisted's reactor cannot restart)."""
    process = CrawlerProcess({
        "LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": False, "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False, "RETRY_ENABLED": False, "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False, "HTTPERROR_ALLOW_ALL": True,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7", **settings})
    crawler = process.create_crawler(ReplaySpider)
    process.crawl(crawler, urls=urls, proxy=proxy)
    process.start()
    return crawler.spider.stats_out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_spider", description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--run", type=int, default=1)
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    settings = dict(item.split("=", 1) for item in args.set)
    print(json.dumps(replay(fetched_urls(args.db, args.run), args.proxy, settings)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
