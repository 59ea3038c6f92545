"""Platform spiders as crawl workers run them: the same walk, with the per-run state that one
process keeps in memory carried where several workers can see it.

- A platform's own per-site state (its ``site_state_class`` fields beyond
  :class:`SiteState`, e.g. gkmlpt's report categories found in the shell) travels in each
  request's meta and is merged back before the next callback, since the next page of a
  site may be parsed by another worker.
- Which lists were read, which posts they showed and which lists failed (the base's
  ``claim_list``, ``first_sighting`` and ``list_failed`` hooks) also go to Redis, so that the
  writer marks removed posts at the end exactly as a single process does.
- The deferral of search hits and report-column entries (``crawler.spiders.sources``) is
  the site's, not one worker's: each discovery request carries a token that enters the site's
  pending set in Redis in the same step as the request enters the frontier, and leaves it, with
  its lease, once the engine is done with it (its output in the frontier); the candidates are
  kept in Redis. The worker whose request empties the set takes the deferred candidates, with
  every post id the site's lists showed and the state all workers carried
  (``SharedDiscoveryMixin``), and only then releases that lease: a worker killed before that
  leaves the request to be run again, and taken again.
- ``start()`` yields nothing: the writer seeds the frontier once for the whole run
  (``seed()``: the platform spider's own ``start()``).

Example::

    spidercls = worker_spider(GkmlptSpider)   # what `gkarchive worker` crawls with
"""

from __future__ import annotations

import dataclasses
import pickle
from collections import defaultdict

from crawler.distributed.frontier import FRONTIER_TAG
from crawler.spiders.base import SiteState
from crawler.spiders.sources import Candidate, ReportSourcesMixin

STATE_META = "gk_site_state"
_BASE_FIELDS = {f.name for f in dataclasses.fields(SiteState)}


class WorkerSpiderMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state = defaultdict(self.site_state_class)
        self._sightings: defaultdict[str, list[str]] = defaultdict(list)  # not yet in Redis
        self._listed_in_redis: set[str] = set()  # sites this spider put in listed_sites

    async def start(self):
        return
        yield  # an async generator that yields nothing

    def seed(self):
        """The platform spider's own ``start()``: what the writer puts in the frontier."""
        return super(WorkerSpiderMixin, self).start()

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
        """As the base; the site goes to the run's listed sites once per spider, not one
        round trip per list page."""
        claimed = super().claim_list(site, key)
        if claimed and site not in self._listed_in_redis:
            self.session.conn.sadd(self.session.keys.listed_sites, site)
            self._listed_in_redis.add(site)
        return claimed

    def first_sighting(self, site: str, post_id: str) -> bool:
        new = super().first_sighting(site, post_id)
        if new:
            self._sightings[site].append(post_id)
        return new

    def flush_sightings(self) -> None:
        """The posts this worker's lists showed go to Redis in one round trip: before any
        lease is released (``LeaseKeeper.tick``), so a request whose lease is gone has its
        sightings in Redis, and one killed before that runs again."""
        if not any(self._sightings.values()):
            return
        with self.session.conn.pipeline(transaction=False) as pipe:
            for site, posts in self._sightings.items():
                if posts:
                    pipe.sadd(self.session.keys.seen_posts(site), *posts)
            pipe.execute()
        self._sightings.clear()

    def shell_read(self, site: str, url: str) -> None:
        """The shells read (any platform's: the base's hook) go to Redis too (a set of URLs:
        a request run again after a worker's death counts once), for the writer's
        ``site_runs`` row."""
        super().shell_read(site, url)
        self.session.conn.sadd(self.session.keys.of_site("shells", site), url)

    def list_failed(self, site: str) -> None:
        super().list_failed(site)
        self.session.conn.hincrby(self.session.keys.list_failures, site, 1)


_LOWEST = """
local now = redis.call('HGET', KEYS[1], ARGV[1])
if not now or tonumber(ARGV[2]) < tonumber(now) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
"""

_DEFER = """
local new = {}
for i = 1, #ARGV, 2 do
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[i + 1]); new[#new + 1] = (i + 1) / 2
  end
end
return new
"""


class SharedDiscoveryMixin:
    """The hooks of :class:`ReportSourcesMixin`'s deferral, on the run's Redis.

    A discovery request is tagged (``FRONTIER_TAG``): its token is in the site's pending set
    from the moment it is queued (``Frontier.push``) until the engine is done with it and its
    output is in the frontier (``LeaseKeeper.finish_tagged``), so the set is empty only when
    every discovery request of the site is done, whichever worker did it. The candidates wait
    in Redis; ``take_shared_deferred`` takes them with what every worker learnt of the site."""

    def discover(self, site: str, request):
        request = super().discover(site, request)
        request.meta[FRONTIER_TAG] = (self.session.keys.of_site("discovery_pending", site), "",
                                      site)
        return request

    def discovered(self, site: str) -> None:
        """The state this worker carries goes to Redis before the request's token leaves
        the pending set, for the worker that takes the deferred."""
        super().discovered(site)
        keys, state = self.session.keys, self.state[site]
        if not hasattr(self, "_lowest_script"):
            self._lowest_script = self.session.conn.register_script(_LOWEST)
        with self.session.conn.pipeline(transaction=False) as pipe:
            for name, value in platform_state(state).items():
                key = keys.of_site("carried", site, name)
                if isinstance(value, set):
                    pipe.sadd(key, *(pickle.dumps(v) for v in value))
                else:
                    pipe.set(key, pickle.dumps(value), nx=True)
            for name in getattr(type(state), "LOWEST", ()):
                if getattr(state, name) is not None:
                    self._lowest_script(keys=[keys.of_site("lowest", site)],
                                        args=[name, getattr(state, name)], client=pipe)
            pipe.execute()

    def discovery_over(self, site: str) -> bool:
        return False  # decided when the request is done (LeaseKeeper), not in its callback

    def last_discovery_key(self, site: str) -> str:
        return self.session.keys.of_site("discovery_last", site)

    def take_shared_deferred(self, site: str):
        """The site's deferred candidates, with every post id its lists showed and the state
        every worker carried."""
        conn, keys, state = self.session.conn, self.session.keys, self.state[site]
        self.flush_sightings()
        state.posts |= {p.decode() for p in conn.smembers(keys.seen_posts(site))}
        carried = {}
        for name in carried_fields(state):
            key = keys.of_site("carried", site, name)
            if isinstance(getattr(state, name), set):
                carried[name] = {pickle.loads(v) for v in conn.smembers(key)}
            elif (value := conn.get(key)) is not None:
                carried[name] = pickle.loads(value)
        self.absorb_state(site, carried)
        return self.take_candidates(site)

    def publish_item(self, item) -> None:
        from crawler.distributed.session import publish

        publish(self.session.conn, self.session.keys, ("item", item))

    def defer(self, site: str, candidates: list[Candidate]) -> list[Candidate]:
        if not candidates:
            return []
        keys = self.session.keys
        if not hasattr(self, "_defer_script"):
            self._defer_script = self.session.conn.register_script(_DEFER)
        args = [part for c in candidates
                for part in (c.post_id, pickle.dumps(c, protocol=pickle.HIGHEST_PROTOCOL))]
        new = self._defer_script(keys=[keys.of_site("deferred_ids", site, candidates[0].group),
                                       keys.of_site("deferred", site)], args=args)
        return [candidates[int(i) - 1] for i in new]

    def deferred_candidates(self, site: str) -> list[Candidate]:
        conn, keys = self.session.conn, self.session.keys
        return [pickle.loads(raw) for raw in conn.lrange(keys.of_site("deferred", site), 0, -1)]


def fully_listed_sites(spider, conn, keys, sites: list[str]) -> dict[str, set[str]]:
    """The platform spider's own ``fully_listed_sites`` over what the workers recorded in
    Redis: which sites were listed, their list failures, the posts their lists showed, the
    state's ``LOWEST`` numbers (the writer calls it at the end of the run)."""
    failures = {k.decode(): int(v) for k, v in conn.hgetall(keys.list_failures).items()}
    listed = {s.decode() for s in conn.smembers(keys.listed_sites)}
    for site in sites:
        if site not in listed:
            continue
        state = spider.state[site]
        state.listed = {"read"}
        state.list_failures = failures.get(site, 0)
        state.posts = {p.decode() for p in conn.smembers(keys.seen_posts(site))}
        for name, value in conn.hgetall(keys.of_site("lowest", site)).items():
            setattr(state, name.decode(), int(value))
    return spider.fully_listed_sites()


def carried_fields(state: SiteState) -> list[str]:
    """The platform's state fields that the next page of a site needs: ``CARRIED`` of the
    state class, else every field beyond the base's."""
    return list(getattr(type(state), "CARRIED", None) or [
        f.name for f in dataclasses.fields(state) if f.name not in _BASE_FIELDS])


def platform_state(state: SiteState) -> dict:
    """The carried fields (``carried_fields``) that hold something."""
    return {name: value for name in carried_fields(state) if (value := getattr(state, name))}


def worker_spider(spidercls, custom_settings: dict | None = None):
    """The worker's version of a platform spider class."""
    shared = (SharedDiscoveryMixin,) if issubclass(spidercls, ReportSourcesMixin) else ()
    return type(f"Worker{spidercls.__name__}", (WorkerSpiderMixin, *shared, spidercls),
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
