"""Scrapy settings of the gkarchive crawler. Politeness defaults are for real portals:
one request at a time per host, 2 s ± 10 % between requests, AutoThrottle, robots.txt."""

from archive.sites import DEFAULT_SITES_FILE, DEFAULT_USER_AGENT

BOT_NAME = "gkarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

GKARCHIVE_DB = "data/archive.db"
GKARCHIVE_SITES_FILE = str(DEFAULT_SITES_FILE)
GKARCHIVE_PROXY = None
GKARCHIVE_ALLOW_LOOPBACK = False
GKARCHIVE_RUN_LOCKED = False  # True when the caller (gkarchive crawl) holds the run lock
GKARCHIVE_RETRY_BASE = 1.0
GKARCHIVE_RETRY_CAP = 30.0
GKARCHIVE_BROWSER_CHALLENGE = False  # True: every host may use the browser (crawl --browser)

USER_AGENT = DEFAULT_USER_AGENT
ROBOTSTXT_OBEY = True
# gkarchive crawl raises CONCURRENT_REQUESTS to one per host of the run, so that every host is
# busy at once; the downloader-aware queue hands the next request to the least busy host
# (Scrapy's default queue would let one big host's requests fill every free slot).
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 1
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
# A small jitter (2.0 s ± 10 %). Scrapy draws the delay again each time it looks at a slot
# and waits until a draw falls below the time already waited, so a wide jitter lengthens
# the gaps: by that rule ±50 % makes a 2 s delay about 2.3 s on average (docs/benchmarks.md,
# "A simulated province").
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for the output of every response (100 by
# default), whatever that output holds; the pipelines here are synchronous, so more than one
# gains nothing and 100 was the crawl's largest CPU cost per response (docs/benchmarks.md).
CONCURRENT_ITEMS = 1
DOWNLOAD_DELAY = 2.0
DOWNLOAD_DELAY_JITTER = 0.1
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 200 * 1024 * 1024
DOWNLOAD_WARNSIZE = 50 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 4
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    # Scrapy's robots.txt and decompression, subclassed to classify what they refuse.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsMiddleware": 100,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.DecompressionMiddleware": 590,
    "crawler.middlewares.SiteGuardMiddleware": 60,
    "crawler.middlewares.SiteProfileMiddleware": 450,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.challenge.ChallengeMiddleware": 560,
    "crawler.tls.TLSFallbackMiddleware": 570,
    "crawler.middlewares.FetchRecorderMiddleware": 585,
    "crawler.middlewares.WireHeadersMiddleware": 595,
}
# https with per-host TLS profiles (default, P-256 only, legacy): crawler/tls.py; both keep
# a connection per concurrent request alive, which matters behind a proxy: crawler/pool.py
DOWNLOAD_HANDLERS = {"http": "crawler.pool.PooledDownloadHandler",
                     "https": "crawler.tls.TLSFallbackDownloadHandler"}
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
EXTENSIONS = {"crawler.progress.CrawlProgress": 500}
