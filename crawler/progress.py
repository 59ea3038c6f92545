"""Crawl progress: a live line on a terminal (requests, report posts, attachments, errors),
plain log lines every 30 s otherwise (Scrapy's LogStats adds its own per-minute line); one
line for the whole run when it crawls several platforms."""

from __future__ import annotations

import sys

from dataclasses import dataclass, field

from scrapy import signals
from twisted.internet import task

from crawler.items import AttachmentItem, ErrorItem, ReportPostItem, SeenPostItem
from crawler.session import ArchiveSession


@dataclass
class _RunProgress:
    """The counts of one run, shared by its crawlers (one per platform), and the one loop
    that prints them while any of its spiders is open."""

    counts: dict = field(default_factory=lambda: {
        "responses": 0, "reports": 0, "unchanged": 0, "attachments": 0, "errors": 0})
    open: int = 0
    loop: task.LoopingCall | None = None


class CrawlProgress:
    def __init__(self, crawler, interval: float, run: _RunProgress):
        self.run = run
        self.counts = run.counts
        self.interval = interval
        self.tty = sys.stderr.isatty()
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        session = ArchiveSession.of(crawler)
        if session.progress is None:
            session.progress = _RunProgress()
        return cls(crawler, 1.0 if sys.stderr.isatty() else 30.0, session.progress)

    def spider_opened(self, spider) -> None:
        self.run.open += 1
        if self.run.loop is None:
            self.run.loop = task.LoopingCall(self.show)
            self.run.loop.start(self.interval, now=False)

    def spider_closed(self, spider) -> None:
        self.run.open -= 1
        if self.run.open:
            return
        if self.run.loop and self.run.loop.running:
            self.run.loop.stop()
        if self.tty:
            sys.stderr.write("\r\033[K")

    def response_received(self, response, request, spider) -> None:
        self.counts["responses"] += 1

    def item_scraped(self, item, response, spider) -> None:
        if isinstance(item, ReportPostItem):
            self.counts["reports"] += 1
        elif isinstance(item, SeenPostItem):
            self.counts["unchanged"] += 1
        elif isinstance(item, AttachmentItem):
            self.counts["attachments" if item.status == "ok" else "errors"] += 1
        elif isinstance(item, ErrorItem):
            self.counts["errors"] += 1

    def show(self) -> None:
        line = ", ".join(f"{n} {k}" for k, n in self.counts.items())
        if self.tty:
            sys.stderr.write(f"\r\033[Kcrawling: {line}")
            sys.stderr.flush()
        else:
            print(f"crawling: {line}", file=sys.stderr, flush=True)
