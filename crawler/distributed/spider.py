"""Platform spiders as crawl workers run them: the same walk, with the per-run state that one
process keeps in memory carried where several workers can see it.

- A platform's own per-site state (its ``site_state_class`` fields beyond
  :class:`SiteState`, e.g. gkmlpt's report categories found in the shell) travels in each
  request's meta and is merged back before the next callback, since the next page of a
  site may be parsed by another worker.
- Which lists were read, which posts they showed and which lists failed (the base's
  ``claim_list``, ``first_sighting`` and ``list_failed`` hooks) also go to Redis, so that the
  writer marks removed posts at the end exactly as a single process does.
- ``start()`` yields nothing: the writer seeds the frontier once for the whole run.

Example::

    spidercls = worker_spider(GkmlptSpider)   # what `gkarchive worker` crawls with
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from crawler.spiders.base import SiteState

STATE_META = "gk_site_state"
_BASE_FIELDS = {f.name for f in dataclasses.fields(SiteState)}


class WorkerSpiderMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state = defaultdict(self.site_state_class)

    async def start(self):
        return
        yield  # an async generator that yields nothing

    def request(self, site, url, callback, kind, referer=None, cb_kwargs=None, **meta):
        request = super().request(site, url, callback, kind, referer, cb_kwargs, **meta)
        shared = platform_state(self.state[site])
        if shared:
            request.meta[STATE_META] = shared
        return request

    def absorb_state(self, site: str | None, shared: dict) -> None:
        """Merge state another worker carried in a request's meta: sets are united."""
        state = self.state[site]
        for name, value in shared.items():
            mine = getattr(state, name)
            setattr(state, name, mine | value if isinstance(mine, set) else value)

    def claim_list(self, site: str, key) -> bool:
        claimed = super().claim_list(site, key)
        if claimed:
            self.session.conn.sadd(self.session.keys.listed_sites, site)
        return claimed

    def first_sighting(self, site: str, post_id: str) -> bool:
        new = super().first_sighting(site, post_id)
        if new:
            self.session.conn.sadd(self.session.keys.seen_posts(site), post_id)
        return new

    def list_failed(self, site: str) -> None:
        super().list_failed(site)
        self.session.conn.hincrby(self.session.keys.list_failures, site, 1)


def platform_state(state: SiteState) -> dict:
    """The platform's state fields that the next page of a site needs (``CARRIED`` of the
    state class, else every field beyond the base's), those that hold something."""
    names = getattr(type(state), "CARRIED", None) or [
        f.name for f in dataclasses.fields(state) if f.name not in _BASE_FIELDS]
    return {name: value for name in names if (value := getattr(state, name))}


def worker_spider(spidercls, custom_settings: dict | None = None):
    """The worker's version of a platform spider class."""
    return type(f"Worker{spidercls.__name__}", (WorkerSpiderMixin, spidercls),
                {"custom_settings": {**(spidercls.custom_settings or {}),
                                     **(custom_settings or {})}})


class SiteStateMiddleware:
    """Spider middleware: before a callback, merge the state its request carried."""

    def process_spider_input(self, response):
        shared = response.meta.get(STATE_META)
        if shared:
            from crawler.fetch import FetchMeta

            spider = self.crawler.spider
            spider.absorb_state(FetchMeta.of(response.request).site, shared)
        return None

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls()
        middleware.crawler = crawler
        return middleware
