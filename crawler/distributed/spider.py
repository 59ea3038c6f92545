"""The gkmlpt spider as a crawl worker runs it: the same walk, with the per-run state that
one process used to keep in memory carried where several workers can see it.

- A list page may be parsed by another worker than the shell that found the site's report
  categories: they travel in the list request's meta (``report_categories``).
- Which posts the lists showed, and which lists failed, go to Redis sets, so the writer can
  mark removed posts at the end exactly as a single process does.
- ``start()`` yields nothing: the writer seeds the frontier once for the whole run.
"""

from __future__ import annotations

from collections import defaultdict

from crawler.spiders.gkmlpt import GkmlptSpider, SiteState


class WorkerGkmlptSpider(GkmlptSpider):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state = defaultdict(SiteState)

    async def start(self):
        return
        yield  # an async generator that yields nothing

    def list_request(self, site, base, classify, page, sid, referer, bad_json=0, delay=0.0):
        categories = sorted(self.state[site].report_categories)
        for request in super().list_request(site, base, classify, page, sid, referer,
                                            bad_json, delay):
            request.meta["report_categories"] = categories
            yield request

    def parse_list(self, response):
        site = response.meta["site"]
        state = self.state[site]
        state.report_categories |= set(response.meta.get("report_categories", ()))
        posts, failures = set(state.posts), state.list_failures
        yield from super().parse_list(response)
        self.note_listing(site, state.posts - posts, state.list_failures - failures)

    def note_listing(self, site: str, new_posts: set, new_failures: int) -> None:
        session = self.session
        keys = session.keys
        with session.conn.pipeline(transaction=True) as pipe:
            pipe.sadd(keys.listed_sites, site)
            if new_posts:
                pipe.sadd(keys.seen_posts(site), *[str(p) for p in new_posts])
            if new_failures:
                pipe.hincrby(keys.list_failures, site, new_failures)
            pipe.execute()
