"""Politeness across every worker of a run: one request at a time per host, and at least
the run's delay between the end of one request to a host and the start of the next.

A per-host lock in Redis, taken just before the request goes on the wire (this middleware is
the last before the download handler, so a retry's backoff sleep holds no lock) and given
back when the response or the failure comes back. The lock has a short TTL that its holder
renews (``LeaseKeeper``), so a worker killed mid-request frees the host within seconds.
Times are Redis's clock (``TIME``), so machines' clocks need not agree.

Example::

    DOWNLOADER_MIDDLEWARES = {"crawler.distributed.politeness.HostLockMiddleware": 900}
    GKARCHIVE_HOST_DELAY = 2.0
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from scrapy.utils.asyncio import sleep

from crawler.distributed.frontier import RunKeys

HOST_LOCK_MS = 6000  # renewed every lease tick; a dead holder frees the host after this
HELD_POLL_S = 0.03  # while another request holds the host: how often to look again

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local ready = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < ready then return ready - now end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], now + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2]) + 60000)
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
            wait_ms = int(self._acquire(keys=[lock, ready], args=[token, HOST_LOCK_MS]))
            if wait_ms == 0:
                self.held[lock] = token
                return token
            # -1: held by another request (its end is unknown); else ms until the host is ready
            await sleep(HELD_POLL_S if wait_ms < 0 else wait_ms / 1000)

    def release(self, host: str, token: str) -> None:
        lock, ready = self.lock_keys(host)
        if self.held.get(lock) == token:
            del self.held[lock]
        self._release(keys=[lock, ready], args=[token, self.delay_ms])

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
        host = urlsplit(request.url).hostname or ""
        request.meta["gk_host_lock"] = (host, await self.locks.acquire(host))
        return None

    def process_response(self, request, response):
        self._release(request)
        return response

    def process_exception(self, request, exception):
        self._release(request)
        return None

    def _release(self, request) -> None:
        held = request.meta.pop("gk_host_lock", None)
        if held:
            self.locks.release(*held)
