"""Running the platform spiders in-process, for ``gkarchive crawl`` and ``gkarchive backfill``:
one crawler per platform among the selected sites, all in one process and **one run**.

Example::

    summary = run_crawl(CrawlOptions(sites=["huadu-shiling"], years="2020",
                                     db="data/archive.db", proxy="http://127.0.0.1:8600"))
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.lock import run_lock
from archive.reports import build_reports
from archive.sites import DEFAULT_SITES_FILE, SiteConfigError, load_sites
from crawler.selection import parse_year_range


@dataclass
class CrawlOptions:
    sites: list[str] = field(default_factory=list)  # slugs, globs or group names
    groups: list[str] = field(default_factory=list)
    years: str | None = None
    sites_file: Path = DEFAULT_SITES_FILE
    db: Path = Path("data/archive.db")
    proxy: str | None = None
    delay: float | None = None  # seconds between requests to one host; None: the config's
    log_level: str = "INFO"
    revisit: bool = False  # fetch every known post again (conditional requests where possible)
    extract: bool = True  # after the crawl, extract and parse what it brought
    browser: bool = False  # solve JavaScript challenges in headless chromium on every host
    settings: dict = field(default_factory=dict)  # extra Scrapy settings (tests, benchmarks)
    redis: str | None = None  # redis://HOST:PORT/DB: crawl workers fetch, this process writes


def crawl_settings(options: CrawlOptions) -> Settings:
    """Scrapy settings for one run: the project's, the config's politeness, then overrides.

    Politeness is per host (Scrapy's download slot is the host name), so the run needs
    global concurrency for every host at once (two per host: a request waiting out its host's
    delay holds one too): with less, the hosts beyond it would wait while others sit in their
    delays (see docs/benchmarks.md, "A simulated province")."""
    sites_file = load_sites(options.sites_file)
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    defaults = sites_file.crawler
    delay = defaults.download_delay if options.delay is None else options.delay
    hosts = {host for site in sites_file.select(options.sites, options.groups)
             for host in site.allowed_hosts}
    # Twice the hosts: requests waiting out a host's delay count against the global limit too.
    concurrency = max(settings.getint("CONCURRENT_REQUESTS"),
                      2 * len(hosts) * defaults.concurrent_requests_per_host)
    settings.setdict({
        "CONCURRENT_REQUESTS": concurrency,
        "GKARCHIVE_DB": str(options.db),
        "GKARCHIVE_SITES_FILE": str(options.sites_file),
        "GKARCHIVE_PROXY": options.proxy,
        "USER_AGENT": defaults.user_agent,
        "CONCURRENT_REQUESTS_PER_DOMAIN": defaults.concurrent_requests_per_host,
        "DOWNLOAD_DELAY": delay,
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_ENABLED": delay > 0,
        "LOG_LEVEL": options.log_level,
        "GKARCHIVE_RUN_LOCKED": True,  # run_crawl holds the lock for the whole run
        "GKARCHIVE_BROWSER_CHALLENGE": options.browser,
    }, priority="cmdline")
    settings.setdict(options.settings, priority="cmdline")
    return settings


def run_crawl(options: CrawlOptions, command: str = "crawl") -> dict:
    """Crawl the selected sites into the archive, then extract and parse what the run brought
    (in worker processes, after the reactor has stopped); return the per-site summary."""
    from crawler.session import ArchiveSession

    years = parse_year_range(options.years)  # fail early on a bad --year
    # Fail early on an unknown --site or --group; each spider gets its resolved slugs.
    selected = load_sites(options.sites_file).select(options.sites, options.groups)
    sites = [s.slug for s in selected]
    by_platform: dict[str, list[str]] = {}
    for site in selected:
        by_platform.setdefault(site.platform, []).append(site.slug)
    if not by_platform:
        raise SiteConfigError(f"{options.sites_file}: no enabled site to crawl")
    if options.redis:
        from archive.distributed.writer import run_distributed_crawl

        return run_distributed_crawl(options, command, sites=sites, years=years,
                                     by_platform=by_platform)
    with run_lock(options.db):
        settings = crawl_settings(options)
        settings.set("GKARCHIVE_SESSION", f"run-{uuid.uuid4().hex}", priority="cmdline")
        session = ArchiveSession.plan(settings, command=command, spiders=len(by_platform), run_args={
            "sites": sites, "years": years, "revisit": options.revisit,
            "platforms": sorted(by_platform)})
        try:
            process = CrawlerProcess(settings)
            for platform, slugs in by_platform.items():
                process.crawl(process.create_crawler(platform), site=",".join(slugs),
                              year=options.years, revisit="1" if options.revisit else "")
            process.start()
        finally:
            ArchiveSession.forget(settings)
        if session.summary and options.extract:
            built = build_reports(options.db, session.run_id, sites=sites, years=years,
                                  only_run=session.run_id)
            session.summary["extraction"] = vars(built)
        return session.summary
