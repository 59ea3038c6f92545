"""One crawl's link to the archive: the single writer, the run row, and the site configs.

Middlewares, the pipeline and the spider share one :class:`ArchiveSession`
(``ArchiveSession.of(crawler)``). ``gkarchive crawl`` runs one crawler per platform in one
process; they share one session (the ``GKARCHIVE_SESSION`` setting names it), so the whole
crawl is **one run**: it opens when the first spider opens and closes, with its per-site
summary, when the last one closes. ``scrapy crawl <platform>`` has a session of its own.
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

_SESSIONS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # one per crawler
_SHARED: dict[str, "ArchiveSession"] = {}  # one per in-process run, by GKARCHIVE_SESSION


class ArchiveSession:
    def __init__(self, settings):
        self._blank(settings.get("GKARCHIVE_DB"),
                    load_sites(settings.get("GKARCHIVE_SITES_FILE")))
        # `scrapy crawl` takes the run lock here; `gkarchive crawl` already holds it.
        if not settings.getbool("GKARCHIVE_RUN_LOCKED"):
            self._lock.enter_context(run_lock(Path(self.db_path)))

    def _blank(self, db_path: str | None, sites_file: SitesFile) -> None:
        """Every attribute the run's components read, as they are before the run opens (a
        crawl worker's session, ``crawler.distributed.session``, starts from here too)."""
        self.db_path = db_path
        self.sites_file = sites_file
        self.writer: ArchiveWriter | None = None
        self.run_id: int | None = None
        self.selected: list[str] = []
        self.summary: dict = {}
        self.known: dict[str, dict[str, tuple[str, bool]]] = {}
        self.list_templates: dict[tuple[str, str], str] = {}
        self.progress = None  # the run's progress counts (crawler.progress)
        self.command: str | None = None  # a planned run: set by its caller
        self.run_args: dict | None = None
        self.expected = 1  # spiders of the run; it finishes when they all have closed
        self._open: set[int] = set()  # ids of the spiders open now
        self._reasons: list[str] = []
        self._shapes: dict[str, tuple[int | None, int]] = {}  # site → (shells read, posts listed)
        self._full = True  # no spider of the run had a year filter: alarms are assessed
        self._browser_hosts: set[str] | None = None
        self._lock = ExitStack()

    @classmethod
    def of(cls, crawler) -> "ArchiveSession":
        session = _SESSIONS.get(crawler)
        if session is None:
            key = crawler.settings.get("GKARCHIVE_SESSION")
            if key:
                session = _SHARED.get(key) or _SHARED.setdefault(key, cls(crawler.settings))
            else:
                session = cls(crawler.settings)
            _SESSIONS[crawler] = session
            session._attach(crawler)
        return session

    @classmethod
    def plan(cls, settings, *, command: str, run_args: dict, spiders: int) -> "ArchiveSession":
        """The one session of an in-process run of ``spiders`` crawlers built with ``settings``
        (whose ``GKARCHIVE_SESSION`` names it)."""
        session = _SHARED[settings.get("GKARCHIVE_SESSION")] = cls(settings)
        session.command, session.run_args, session.expected = command, run_args, spiders
        return session

    @classmethod
    def forget(cls, settings) -> None:
        _SHARED.pop(settings.get("GKARCHIVE_SESSION"), None)

    @classmethod
    def bind(cls, spider, crawler, site_arg: list[str]) -> "ArchiveSession":
        """Give a spider that is no platform spider (the probe) the crawl's session and its
        selected site configs (``spider.sites``, ``spider.configs``)."""
        session = spider.session = cls.of(crawler)
        spider.sites = session.sites_file.select(site_arg)
        spider.configs = {site.slug: site for site in spider.sites}
        return session

    def _attach(self, crawler) -> None:
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

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
        self._open.add(id(spider))
        if self.writer is None:
            self.writer = ArchiveWriter.open(self.db_path)
            args = self.run_args or spider.run_args()
            self.run_id = self.writer.start_run(self.command or spider.command, args)
            self.known = self.writer.known_posts()
            self.list_templates = self.writer.list_templates()
            logger.info("run %d: archive %s, sites %s", self.run_id, self.db_path,
                        ", ".join(args["sites"]))
        self.selected += [s.slug for s in spider.sites if s.slug not in self.selected]
        self.writer.upsert_sites([site.to_dict() for site in spider.sites], self.run_id)

    def spider_closed(self, spider, reason: str) -> None:
        if self.writer is None or id(spider) not in self._open:
            return
        self._open.discard(id(spider))
        self._reasons.append(reason)
        if reason == "finished":
            for site, seen in spider.fully_listed_sites().items():
                self.writer.mark_removed(site, seen, self.run_id)
        self._shapes.update({site: (_count(getattr(state, "shells", None)), len(state.posts))
                             for site, state in getattr(spider, "state", {}).items()})
        self._full = self._full and not getattr(spider, "years", None)
        if len(self._reasons) < self.expected:
            return
        if hasattr(spider, "summarize"):  # the probe: its own summary, no site runs
            self.summary = spider.summarize(self.writer)
        else:
            planned = self.run_args["sites"] if self.run_args else []
            self.summary = summarize_run(self.writer.db, self.run_id, planned or self.selected)
            self.summary["alarms"] = record_site_runs(self.writer.db, self.run_id, self.summary,
                                                      self._shapes, full=self._full)
            from crawler.challenge import transport_summary  # it imports this module

            self.summary["transport"] = transport_summary(self)
        unfinished = [r for r in self._reasons if r != "finished"]
        status = "interrupted" if unfinished else "finished"
        self.writer.finish_run(self.run_id, status, unfinished[0] if unfinished else "finished",
                               self.summary)
        self.writer.close()
        self._lock.close()

    def record(self, exchange: Exchange) -> int:
        return self.writer.record_fetch(exchange)


def _count(urls: set[str] | None) -> int | None:
    return None if urls is None else len(urls)
