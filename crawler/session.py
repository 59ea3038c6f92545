"""One crawl's link to the archive: the single writer, the run row, and the site configs.

Middlewares, the pipeline and the spider of one crawler share one :class:`ArchiveSession`
(``ArchiveSession.of(crawler)``). It opens the run when the spider opens and closes it, with
its per-site summary, when the spider closes.
"""

from __future__ import annotations

import logging
import weakref
from contextlib import ExitStack
from pathlib import Path

from scrapy import signals

from archive.health import record_site_runs
from archive.lock import run_lock
from archive.sites import SitesFile, load_sites
from archive.store import ArchiveWriter, Exchange
from archive.summary import summarize_run

logger = logging.getLogger(__name__)

_SESSIONS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class ArchiveSession:
    def __init__(self, crawler):
        settings = crawler.settings
        self.db_path = settings.get("GKARCHIVE_DB")
        self.sites_file: SitesFile = load_sites(settings.get("GKARCHIVE_SITES_FILE"))
        self.writer: ArchiveWriter | None = None
        self.run_id: int | None = None
        self.selected: list[str] = []
        self.summary: dict = {}
        self.known: dict[str, dict[int, tuple[str, bool]]] = {}
        self._browser_hosts: set[str] | None = None
        # `scrapy crawl gkmlpt` takes the run lock here; `gkarchive crawl` already holds it.
        self._lock = ExitStack()
        if not settings.getbool("GKARCHIVE_RUN_LOCKED"):
            self._lock.enter_context(run_lock(Path(self.db_path)))
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def of(cls, crawler) -> "ArchiveSession":
        session = _SESSIONS.get(crawler)
        if session is None:
            session = _SESSIONS[crawler] = cls(crawler)
        return session

    @classmethod
    def bind(cls, spider, crawler, site_arg: list[str]) -> "ArchiveSession":
        """Give ``spider`` the crawl's session and its selected site configs
        (``spider.sites``, ``spider.configs``)."""
        session = spider.session = cls.of(crawler)
        spider.sites = session.sites_file.select(site_arg)
        spider.configs = {site.slug: site for site in spider.sites}
        return session

    def allowed_hosts(self, site: str | None) -> set[str]:
        sites = self.sites_file.sites
        if site in sites:
            return set(sites[site].allowed_hosts)
        return {host for config in sites.values() for host in config.allowed_hosts}

    def host_needs_browser_ua(self, host: str) -> bool:
        if self._browser_hosts is None:  # once: hundreds of sites, thousands of requests
            self._browser_hosts = {h for config in self.sites_file.sites.values()
                                   if config.browser_ua for h in config.allowed_hosts}
        return host in self._browser_hosts

    def spider_opened(self, spider) -> None:
        self.writer = ArchiveWriter.open(self.db_path)
        self.selected = [site.slug for site in spider.sites]
        self.run_id = self.writer.start_run(spider.command, spider.run_args())
        self.writer.upsert_sites([site.to_dict() for site in spider.sites], self.run_id)
        self.known = self.writer.known_posts()
        logger.info("run %d: archive %s, sites %s", self.run_id, self.db_path,
                    ", ".join(self.selected))

    def spider_closed(self, spider, reason: str) -> None:
        if self.writer is None:
            return
        if reason == "finished":
            for site, seen in spider.fully_listed_sites().items():
                self.writer.mark_removed(site, seen, self.run_id)
        if hasattr(spider, "summarize"):  # the probe: its own summary, no site runs
            self.summary = spider.summarize(self.writer)
        else:
            self.summary = summarize_run(self.writer.db, self.run_id, self.selected)
            shapes = {site: (state.shells, len(state.posts))
                      for site, state in getattr(spider, "state", {}).items()}
            self.summary["alarms"] = record_site_runs(self.writer.db, self.run_id, self.summary,
                                                      shapes, full=not spider.years)
        status = "finished" if reason == "finished" else "interrupted"
        self.writer.finish_run(self.run_id, status, reason, self.summary)
        self.writer.close()
        self._lock.close()

    def record(self, exchange: Exchange) -> int:
        return self.writer.record_fetch(exchange)
