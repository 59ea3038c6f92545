"""``gkarchive worker --redis URL``: serve the runs a writer announces on Redis, one after
another. Each run is crawled in a fresh child process (Scrapy's reactor cannot restart), with
the run's settings, scrapy-redis's scheduler on the shared frontier, per-host locks, and a
pipeline that sends everything back to the writer.

Example::

    run_crawl_worker("redis://10.0.0.5:6379/0", proxy="http://10.1.0.9:3128")
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import socket
import sys
import time
import uuid

from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from archive.distributed.redisconn import RESILIENT, connect
from crawler.distributed.frontier import CURRENT_RUN, RunKeys

WAIT_NOTICE_EVERY = 60.0
LEASE_SECONDS = 30.0  # a dead worker's requests return to the frontier after this
# How often an engine with free download slots asks the frontier again (Scrapy: 5 s); a worker
# also asks after each download. Every host may be claimed by the other workers' requests.
HEARTBEAT_SECONDS = 0.2


def run_crawl_worker(redis_url: str, *, proxy: str | None = None, once: bool = False,
                     log_level: str = "INFO") -> int:
    """Wait for a run, crawl it in a child process, repeat (``once``: after one run)."""
    conn = connect(redis_url)
    name = f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
    served: set[str] = set()
    while True:
        prefix = wait_for_run(conn, served)
        child = multiprocessing.get_context("spawn").Process(
            target=serve_run, args=(redis_url, prefix, name, proxy, log_level),
            name=f"gkarchive-worker {prefix}")
        child.start()
        child.join()
        if child.exitcode == 0:
            served.add(prefix)
        else:  # crashed (Redis gone for long?): its leases expire, the next child resumes
            print(f"worker {name}: crawl of {prefix} exited {child.exitcode}; rejoining",
                  file=sys.stderr, flush=True)
            time.sleep(2)
        if once:
            return child.exitcode or 0


def wait_for_run(conn, served: set[str]) -> str:
    last_notice = 0.0
    while True:
        prefix = conn.get(CURRENT_RUN)
        prefix = prefix.decode() if prefix else None
        if prefix and prefix not in served and run_open(conn, RunKeys(prefix)):
            return prefix
        if time.monotonic() - last_notice > WAIT_NOTICE_EVERY:
            print("worker: waiting for a run (gkarchive crawl --redis …)", file=sys.stderr,
                  flush=True)
            last_notice = time.monotonic()
        time.sleep(0.5)


def run_open(conn, keys: RunKeys) -> bool:
    return conn.get(keys.status) == b"running"


def serve_run(redis_url: str, prefix: str, name: str, proxy: str | None, log_level: str) -> None:
    """Child process: crawl one run, one crawler per platform, until the writer says it is over."""
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import CrawlerProcess
    from scrapy.spiderloader import SpiderLoader

    from crawler.distributed.session import RemoteSession
    from crawler.distributed.spider import worker_spider

    conn = connect(redis_url)
    keys = RunKeys(prefix)
    config = pickle.loads(conn.get(keys.config))
    # Idle workers look for new requests in Redis at each engine heartbeat (Scrapy: 5 s).
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = HEARTBEAT_SECONDS
    settings = worker_settings(config, redis_url, name, proxy, log_level)
    process = CrawlerProcess(settings)
    session = RemoteSession(conn, config)
    loader = SpiderLoader.from_settings(settings)
    for platform, slugs in sorted(config.platforms.items()):
        frontier = keys.of_platform(platform)
        spidercls = worker_spider(loader.load(platform), {
            "GKARCHIVE_FRONTIER_KEYS": frontier.prefix,
            "SCHEDULER_QUEUE_KEY": frontier.frontier, "SCHEDULER_DUPEFILTER_KEY": frontier.seen})
        crawler = process.create_crawler(spidercls)
        session.install(crawler)
        crawler.spidercls.command = config.command
        process.crawl(crawler, site=",".join(slugs), year=config.years,
                      revisit="1" if config.revisit else "")
    try:
        process.start()
    finally:
        session.close()


def worker_settings(config, redis_url: str, name: str, proxy: str | None, log_level: str):
    from scrapy.settings import Settings

    from crawler import settings as project

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(config.settings, priority="cmdline")
    settings.setdict({
        "LOG_LEVEL": log_level,
        "GKARCHIVE_PROXY": proxy or config.proxy,
        "GKARCHIVE_RUN_LOCKED": True,
        # Politeness is global (HostLockMiddleware); a local delay would only add to it.
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
        "GKARCHIVE_HOST_DELAY": config.delay,
        "GKARCHIVE_RUN_KEYS": config.keys, "GKARCHIVE_WORKER_NAME": name,
        "GKARCHIVE_LEASE_SECONDS": float(config.settings.get("GKARCHIVE_LEASE_SECONDS",
                                                             LEASE_SECONDS)),
        "REDIS_URL": redis_url, "REDIS_PARAMS": dict(RESILIENT),
        "SCHEDULER": "crawler.distributed.scheduler.LeasedScheduler",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "ITEM_PIPELINES": {"crawler.distributed.session.RedisItemPipeline": 300},
        "SPIDER_MIDDLEWARES": {"crawler.distributed.spider.SiteStateMiddleware": 950},
        "DOWNLOADER_MIDDLEWARES": {**project.DOWNLOADER_MIDDLEWARES,
                                   "crawler.middlewares.RobotsMiddleware": None,
                                   "crawler.distributed.politeness.SharedRobotsMiddleware":
                                       project.DOWNLOADER_MIDDLEWARES[
                                           "crawler.middlewares.RobotsMiddleware"],
                                   "crawler.distributed.politeness.HostLockMiddleware": 900},
        "EXTENSIONS": {**project.EXTENSIONS,
                       "crawler.distributed.scheduler.LeaseKeeper": 400,
                       "crawler.distributed.worker.RunWatcher": 410},
    }, priority="cmdline")
    return settings


class RunWatcher:
    """An idle worker stays open while the run is: other workers may still add requests."""

    def __init__(self, crawler):
        self.conn = connect(crawler.settings.get("REDIS_URL"))
        self.keys = RunKeys(crawler.settings.get("GKARCHIVE_RUN_KEYS"))
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_idle(self, spider) -> None:
        if run_open(self.conn, self.keys):
            raise DontCloseSpider("the run is still open")
