"""Politeness across every worker of a run: one request at a time per host, and at least the
run's delay between the starts of two requests to a host (as Scrapy's ``DOWNLOAD_DELAY`` with
one request per host: the next starts when the last one is done and ``delay`` after it started).

A per-host lock in Redis, taken just before the request goes on the wire (this middleware is
the last before the download handler, so a retry's backoff sleep holds no lock) and given
back when the response or the failure comes back, with the host's claim that the frontier set
when the request was popped (``frontier.py``). The lock has a short TTL that its holder
renews (``LeaseKeeper``), so a worker killed mid-request frees the host within seconds.
Times are Redis's clock (``TIME``), so machines' clocks need not agree.

Example::

    DOWNLOADER_MIDDLEWARES = {"crawler.distributed.politeness.HostLockMiddleware": 900}
    GKARCHIVE_HOST_DELAY = 2.0
"""

from __future__ import annotations

import uuid

from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.distributed.frontier import LEASE_META, RunKeys, host_of
from crawler.middlewares import RobotsMiddleware

HOST_LOCK_MS = 6000  # renewed every lease tick; a dead holder frees the host after this
HELD_POLL_S = 0.05  # while another request holds the host: how often to look again

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local ready = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < ready then return ready - now end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], now + tonumber(ARGV[3]), 'PX', tonumber(ARGV[3]) + 60000)
return 0
"""

# The lock (if this request holds it) and the host's claim (if this request's lease made it).
_RELEASE = """
if ARGV[2] ~= '' and redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""

_RENEW = """
local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[i + 1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[1]); n = n + 1
  end
end
return n
"""


class HostLocks:
    """The host locks this worker holds (token per request), for release and renewal."""

    def __init__(self, conn, keys: RunKeys, delay_s: float):
        self.conn = conn
        self.keys = keys
        self.delay_ms = int(delay_s * 1000)
        self.held: dict[str, str] = {}  # lock key -> token
        self._acquire = conn.register_script(_ACQUIRE)
        self._release = conn.register_script(_RELEASE)
        self._renew = conn.register_script(_RENEW)

    def lock_keys(self, host: str) -> tuple[str, str]:
        return f"{self.keys.prefix}:host_lock:{host}", f"{self.keys.prefix}:host_ready:{host}"

    async def acquire(self, host: str) -> str:
        lock, ready = self.lock_keys(host)
        token = uuid.uuid4().hex
        while True:
            wait_ms = int(self._acquire(keys=[lock, ready],
                                        args=[token, HOST_LOCK_MS, self.delay_ms]))
            if wait_ms == 0:
                self.held[lock] = token
                return token
            # -1: held by another request (its end is unknown); else ms until the host is ready
            await sleep(HELD_POLL_S if wait_ms < 0 else wait_ms / 1000)

    def release(self, host: str, token: str | None, lease: str | None = None) -> None:
        """Give back the host's lock (``token``) and the claim of the request's lease."""
        lock, _ = self.lock_keys(host)
        if token and self.held.get(lock) == token:
            del self.held[lock]
        self._release(keys=[lock, f"{self.keys.prefix}:host_claim:{host}"],
                      args=[token or "", lease or ""])

    def renew(self) -> None:
        if self.held:
            locks = list(self.held)
            self._renew(keys=locks, args=[HOST_LOCK_MS, *[self.held[k] for k in locks]])


class HostLockMiddleware:
    def __init__(self, locks: HostLocks):
        self.locks = locks

    @classmethod
    def from_crawler(cls, crawler):
        from archive.distributed.redisconn import connect

        settings = crawler.settings
        locks = HostLocks(connect(settings.get("REDIS_URL")),
                          RunKeys(settings.get("GKARCHIVE_RUN_KEYS")),
                          settings.getfloat("GKARCHIVE_HOST_DELAY"))
        crawler.gk_host_locks = locks
        return cls(locks)

    async def process_request(self, request):
        host = host_of(request.url)
        request.meta["gk_host_lock"] = (host, await self.locks.acquire(host))
        return None

    def process_response(self, request, response):
        self._release(request)
        return response

    def process_exception(self, request, exception):
        self._release(request)
        return None

    def _release(self, request) -> None:
        """Also when the request never reached the wire (refused by an earlier middleware:
        robots.txt, the site guard): its host's claim goes."""
        host, token = request.meta.pop("gk_host_lock", None) or (None, None)
        lease = request.meta.pop(LEASE_META, None)
        if token or lease:
            self.locks.release(host or host_of(request.url), token, lease)


class SharedRobotsMiddleware(RobotsMiddleware):
    """robots.txt once per host for the whole run, not once per worker: the first worker to
    read a host's robots.txt puts its body in Redis; the others parse that copy (a fetch that
    failed is not shared: each worker then tries for itself, as one process would)."""

    @classmethod
    def from_crawler(cls, crawler):
        from archive.distributed.redisconn import connect

        middleware = super().from_crawler(crawler)
        middleware.conn = connect(crawler.settings.get("REDIS_URL"))
        middleware.key = RunKeys(crawler.settings.get("GKARCHIVE_RUN_KEYS")).robots
        return middleware

    async def robot_parser(self, request):
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            body = self.conn.hget(self.key, netloc)
            if body is not None:
                self._parsers[netloc] = Deferred()
                url = f"{urlparse_cached(request).scheme}://{netloc}/robots.txt"
                await super()._parse_robots(Response(url, body=body), netloc, request)
        return await super().robot_parser(request)

    async def _parse_robots(self, response, netloc: str, request) -> None:
        if response.status == 200:
            self.conn.hsetnx(self.key, netloc, response.body)
        await super()._parse_robots(response, netloc, request)
