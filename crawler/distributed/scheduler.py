"""The crawl workers' scheduler: scrapy-redis's, with every popped request held under a lease.

scrapy-redis 0.9.1 works with Scrapy 2.19 as it is for what is used here: its ``Scheduler``
(construction from settings, ``open``/``close``), its ``PriorityQueue`` request serialisation
(``request.to_dict`` + pickle) and its ``RFPDupeFilter`` fingerprints. Two of its operations
are replaced because they can lose requests: ``enqueue_request`` (SADD then ZADD: a worker
killed between them loses the request; here one script) and ``next_request`` (a popped
request lives only in the worker's memory; here it is leased, see ``frontier.py``).
Its ``RedisSpider`` is not used: the writer seeds the run, not a start-URL key.

A request is released once the engine is done with it (its response went through the
callback, whose items and requests are then in Redis); ``LeaseKeeper`` does that and renews
the leases still held.
"""

from __future__ import annotations

import logging

from scrapy import Request, signals
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.items import ErrorItem
from crawler.distributed.frontier import FRONTIER_TAG, LEASE_META, Frontier, RunKeys

logger = logging.getLogger(__name__)


class LeasedScheduler(Scheduler):
    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        settings = crawler.settings
        scheduler.frontier = Frontier(scheduler.server,
                                      RunKeys(settings.get("GKARCHIVE_FRONTIER_KEYS")))
        scheduler.worker = settings.get("GKARCHIVE_WORKER_NAME")
        scheduler.run_prefix = settings.get("GKARCHIVE_RUN_KEYS")
        scheduler.lease_ms = int(settings.getfloat("GKARCHIVE_LEASE_SECONDS") * 1000)
        scheduler.held = {}  # lease id -> the Request object the engine holds
        return scheduler

    def enqueue_request(self, request) -> bool:
        queued = self.frontier.push_request(self.df.request_fingerprint(request), request,
                                            self.queue._encode_request)
        if not queued:
            self.df.log(request, self.spider)
        elif self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return queued

    def next_request(self):
        popped = self.frontier.pop(self.worker, self.lease_ms, self.run_prefix)
        if popped is None:
            return None
        lease_id, data = popped
        request = self.queue._decode_request(data)
        request.meta[LEASE_META] = lease_id  # the claim on its host (HostLockMiddleware)
        self.held[lease_id] = request
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return self.frontier.pending()[0] > 0


class LeaseKeeper:
    """Every ``interval`` s: release the leases of requests the engine has finished with,
    renew the others (and the host locks of downloads in progress)."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.loop = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, min(1.0, crawler.settings.getfloat("GKARCHIVE_LEASE_SECONDS") / 6))

    def spider_opened(self, spider) -> None:
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        self.tick()

    def tick(self) -> None:
        engine = self.crawler.engine
        scheduler = engine._slot.scheduler if engine and engine._slot else None
        if scheduler is None:
            return
        # The engine's slot holds a request from its download until its callback's output
        # is handled (Scrapy internals: ExecutionEngine._slot.inprogress).
        busy = engine._slot.inprogress
        done = [lease for lease, request in scheduler.held.items() if request not in busy]
        self.crawler.spider.flush_sightings()  # what their callbacks saw, before leases go
        plain = [lease for lease in done if not scheduler.held[lease].meta.get(FRONTIER_TAG)]
        scheduler.frontier.release(plain)
        for lease in done:
            request = scheduler.held.pop(lease)
            if lease not in plain:
                self.finish_tagged(scheduler, lease, request)
        scheduler.frontier.renew(list(scheduler.held), scheduler.lease_ms)
        hosts = getattr(self.crawler, "gk_host_locks", None)
        if hosts is not None:
            hosts.renew()

    def finish_tagged(self, scheduler, lease: str, request) -> None:
        """A site's discovery request is done, its output in the frontier: the last one of
        the site makes this worker take the site's deferred candidates, then let go."""
        key, token, site = request.meta[FRONTIER_TAG]
        spider = self.crawler.spider
        if not scheduler.frontier.finish(lease, (key, token), spider.last_discovery_key(site)):
            return
        try:
            for output in spider.take_shared_deferred(site):
                if isinstance(output, Request):
                    self.crawler.engine.crawl(output)
                else:
                    spider.publish_item(output)
        except Exception as exc:  # a bug: recorded, and the run still ends
            logger.exception("taking the deferred candidates of %s failed", site)
            spider.publish_item(ErrorItem(site, request.url, "spider_error",
                                          f"taking the deferred candidates: "
                                          f"{type(exc).__name__}: {exc}"))
        spider.flush_sightings()
        scheduler.frontier.release([lease])
