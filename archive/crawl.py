"""Running the gkmlpt spider in-process, for ``gkarchive crawl`` and ``gkarchive backfill``.

Example::

    summary = run_crawl(CrawlOptions(sites=["huadu-shiling"], years="2020",
                                     db="data/archive.db", proxy="http://127.0.0.1:8600"))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.lock import run_lock
from archive.reports import build_reports
from archive.sites import DEFAULT_SITES_FILE, load_sites
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
    settings: dict = field(default_factory=dict)  # extra Scrapy settings (tests, benchmarks)


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
    }, priority="cmdline")
    settings.setdict(options.settings, priority="cmdline")
    return settings


def run_crawl(options: CrawlOptions, command: str = "crawl") -> dict:
    """Crawl the selected sites into the archive, then extract and parse what the run brought
    (in worker processes, after the reactor has stopped); return the per-site summary."""
    years = parse_year_range(options.years)  # fail early on a bad --year
    sites_file = load_sites(options.sites_file)
    # Fail early on an unknown --site or --group; the spider gets the resolved slugs.
    sites = [s.slug for s in sites_file.select(options.sites, options.groups)]
    chosen = ",".join(sites) if options.sites or options.groups else "all"
    with run_lock(options.db):
        process = CrawlerProcess(crawl_settings(options))
        crawler = process.create_crawler("gkmlpt")
        crawler.spidercls.command = command
        process.crawl(crawler, site=chosen, year=options.years,
                      revisit="1" if options.revisit else "")
        process.start()
        from crawler.session import ArchiveSession

        session = ArchiveSession.of(crawler)
        if session.summary and options.extract:
            built = build_reports(options.db, session.run_id, sites=sites, years=years,
                                  only_run=session.run_id)
            session.summary["extraction"] = vars(built)
        return session.summary
