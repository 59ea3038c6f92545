"""The shared frontier of a distributed crawl, in Redis: its keys and atomic scripts.

Requests are serialised as scrapy-redis does, and told apart by scrapy-redis's fingerprints
(a set); the queue is one sorted set per host, scored by priority, so that a worker takes only
requests of hosts that no request of the run holds or has claimed (politeness is one request at
a time per host: a request of a busy host would only hold a download slot). What this module
adds is the lease: a popped request is held under a lease that its worker renews; when the
worker dies, the lease expires and the request goes back to its host's queue
(``requeue_expired``). Enqueueing (seen-set + queue) and pop + lease + host claim are each one
Lua script, so a worker killed between two commands loses nothing.

Example::

    keys = RunKeys.for_run(7, "3f2a9c")
    frontier = Frontier(conn, keys.of_platform("gkmlpt"))
    frontier.push(fingerprint, data, priority=0, url="https://www.dg.gov.cn/…")
    lease_id, data = frontier.pop("worker-a", ttl_ms=30_000, run_prefix=keys.prefix)
    frontier.release([lease_id])
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

CURRENT_RUN = "gkarchive:current-run"  # the run workers should serve (its key prefix)
# Request meta of a request counted in a set while it is in the frontier or leased (a site's
# discovery requests): (set key, token, site); each queued copy gets a fresh token.
FRONTIER_TAG = "gk_frontier_tag"
LEASE_META = "gk_lease"  # request meta: its lease id (its host's claim)
HOST_CLAIM_MS = 15_000  # a claim whose request never reached the wire frees its host after this


def fresh_tag(meta: dict) -> tuple[str, str] | None:
    """Give a tagged request's meta a new token (a retry is a new copy: the copy that ends
    must not take its retry's token out); (set key, token) to add when it is queued."""
    tag = meta.get(FRONTIER_TAG)
    if not tag:
        return None
    meta[FRONTIER_TAG] = (tag[0], uuid.uuid4().hex, *tag[2:])
    return meta[FRONTIER_TAG][:2]


@dataclass(frozen=True)
class RunKeys:
    """Every Redis key of one distributed run, under one prefix."""

    prefix: str

    @classmethod
    def for_run(cls, run_id: int, token: str) -> "RunKeys":
        return cls(f"gkarchive:run:{run_id}:{token}")

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return f"{self.prefix}:{name}"  # frontier, seen, leases, items, config, …

    def of_platform(self, platform: str) -> "RunKeys":
        """The keys of one platform's frontier (its requests name that spider's callbacks)."""
        return RunKeys(f"{self.prefix}:{platform}")

    def seen_posts(self, site: str) -> str:
        return f"{self.prefix}:seen_posts:{site}"

    def of_site(self, name: str, site: str, *more: str) -> str:
        """A per-site key (``discovery_pending``, ``deferred``, …)."""
        return ":".join((self.prefix, name, site, *more))


# The frontier is one queue per host (a sorted set scored by priority) and the set of hosts
# with queued requests. A popped request claims its host until its download is over
# (``politeness.HostLocks.release``, or the claim's TTL): no worker takes a request of a host
# that is claimed or locked, so a worker's download slots never wait on another's host.
_PUSH = """
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 or ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1] .. ':q:' .. ARGV[5], ARGV[2], ARGV[4])
  redis.call('SADD', KEYS[1] .. ':hosts', ARGV[5])
  if #KEYS > 2 then redis.call('SADD', KEYS[3], ARGV[6]) end
  return 1
end
return 0
"""

_POP = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local best, best_key = nil, nil
for _, host in ipairs(redis.call('SMEMBERS', KEYS[1] .. ':hosts')) do
  local queue = KEYS[1] .. ':q:' .. host
  local top = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
  if #top == 0 then
    redis.call('SREM', KEYS[1] .. ':hosts', host)
  elseif redis.call('EXISTS', ARGV[3] .. ':host_claim:' .. host) == 0
     and redis.call('EXISTS', ARGV[3] .. ':host_lock:' .. host) == 0 then
    local ready = tonumber(redis.call('GET', ARGV[3] .. ':host_ready:' .. host) or '0')
    -- hosts ready now first, then the best priority, then the host ready soonest
    local key = {ready > now and 1 or 0, tonumber(top[2]), ready}
    if best_key == nil or key[1] < best_key[1] or (key[1] == best_key[1] and
        (key[2] < best_key[2] or (key[2] == best_key[2] and key[3] < best_key[3]))) then
      best, best_key = {host, queue, top[1], top[2]}, key
    end
  end
end
if best == nil then return false end
local host, queue, item, score = best[1], best[2], best[3], best[4]
redis.call('ZREM', queue, item)
local id = redis.call('INCR', KEYS[5])
redis.call('SET', ARGV[3] .. ':host_claim:' .. host, id, 'PX', ARGV[4])
redis.call('HSET', KEYS[2], id, item)
redis.call('HSET', KEYS[4], id, score .. ' ' .. host .. ' ' .. ARGV[1])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), id)
return {id, item}
"""

_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
return #ARGV - 1
"""

_RELEASE = """
for i = 1, #ARGV do
  redis.call('HDEL', KEYS[1], ARGV[i]); redis.call('HDEL', KEYS[3], ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
end
return #ARGV
"""

# A tagged request is done: its token leaves the set; the request that empties the set keeps
# its lease (released once its work is done) and is told so, as is the same request run again
# after its worker died before that.
_FINISH = """
local removed = redis.call('SREM', KEYS[4], ARGV[2])
if redis.call('SCARD', KEYS[4]) == 0 then
  if (removed == 1 and redis.call('SETNX', KEYS[5], ARGV[2]) == 1)
     or redis.call('GET', KEYS[5]) == ARGV[2] then
    return 1
  end
end
redis.call('HDEL', KEYS[1], ARGV[1]); redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 0
"""

_REQUEUE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(ids) do
  local data = redis.call('HGET', KEYS[1], id)
  local meta = redis.call('HGET', KEYS[4], id)
  if data and meta then
    local score, host = string.match(meta, '^(%S+) (%S+)')
    redis.call('ZADD', KEYS[3] .. ':q:' .. host, score, data)
    redis.call('SADD', KEYS[3] .. ':hosts', host)
  end
  redis.call('HDEL', KEYS[1], id); redis.call('HDEL', KEYS[4], id); redis.call('ZREM', KEYS[2], id)
end
return #ids
"""


_PENDING = """
local queued = 0
for _, host in ipairs(redis.call('SMEMBERS', KEYS[1] .. ':hosts')) do
  queued = queued + redis.call('ZCARD', KEYS[1] .. ':q:' .. host)
end
return {queued, redis.call('HLEN', KEYS[2])}
"""


def host_of(url: str) -> str:
    """The politeness unit: the URL's host name (``-`` for none)."""
    return urlsplit(url).hostname or "-"


class Frontier:
    """Push, pop under a lease, renew, release and requeue requests of one run."""

    def __init__(self, conn, keys: RunKeys):
        self.conn = conn
        self.keys = keys
        self._push = conn.register_script(_PUSH)
        self._pop = conn.register_script(_POP)
        self._renew = conn.register_script(_RENEW)
        self._release = conn.register_script(_RELEASE)
        self._requeue = conn.register_script(_REQUEUE)
        self._finish = conn.register_script(_FINISH)
        self._pending = conn.register_script(_PENDING)

    def push(self, fingerprint: str, data: bytes, priority: int, dont_filter: bool = False,
             tag: tuple[str, str] | None = None, *, url: str) -> bool:
        """Queue a request (of ``url``) unless its fingerprint was seen; True when queued.
        ``tag`` (a set's key, a member): added to that set in the same step when queued."""
        keys = [self.keys.frontier, self.keys.seen]
        args = [fingerprint, -priority, "1" if dont_filter else "0", data, host_of(url)]
        if tag:
            keys.append(tag[0])
            args.append(tag[1])
        return bool(self._push(keys=keys, args=args))

    def push_request(self, fingerprint: str, request, encode) -> bool:
        """Queue a Scrapy request (``push``), serialised by ``encode(request)`` once a tagged
        request's meta has its fresh token (``fresh_tag``); True when queued."""
        tag = fresh_tag(request.meta)  # before the request is serialised
        return self.push(fingerprint, encode(request), request.priority, request.dont_filter,
                         tag, url=request.url)

    def pop(self, worker: str, ttl_ms: int, run_prefix: str,
            claim_ms: int = HOST_CLAIM_MS) -> tuple[str, bytes] | None:
        """The next request of a host no request of the run holds or claims (``run_prefix``:
        the run's keys, where the host locks are) and its lease id; None when there is none."""
        got = self._pop(keys=[self.keys.frontier, self.keys.leases, self.keys.lease_expiry,
                              self.keys.lease_meta, self.keys.lease_seq],
                        args=[worker, ttl_ms, run_prefix, claim_ms])
        if not got:
            return None
        return got[0].decode() if isinstance(got[0], bytes) else str(got[0]), got[1]

    def renew(self, lease_ids: list[str], ttl_ms: int) -> None:
        if lease_ids:
            self._renew(keys=[self.keys.lease_expiry], args=[ttl_ms, *lease_ids])

    def release(self, lease_ids: list[str]) -> None:
        if lease_ids:
            self._release(keys=[self.keys.leases, self.keys.lease_expiry, self.keys.lease_meta],
                          args=lease_ids)

    def finish(self, lease_id: str, tag: tuple[str, str], last_key: str) -> bool:
        """Release a tagged request's lease and its token; True (the lease kept) when its
        token was the set's last: ``last_key`` then names it."""
        return bool(self._finish(keys=[self.keys.leases, self.keys.lease_expiry,
                                       self.keys.lease_meta, tag[0], last_key],
                                 args=[lease_id, tag[1]]))

    def requeue_expired(self) -> int:
        """Requests whose worker stopped renewing their lease go back to the queue."""
        return int(self._requeue(keys=[self.keys.leases, self.keys.lease_expiry,
                                       self.keys.frontier, self.keys.lease_meta]))

    def pending(self) -> tuple[int, int]:
        """(requests queued, requests leased by workers)."""
        return tuple(int(n) for n in self._pending(keys=[self.keys.frontier, self.keys.leases]))
