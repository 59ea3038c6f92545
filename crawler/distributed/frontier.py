"""The shared frontier of a distributed crawl, in Redis: its keys and atomic scripts.

The queue and the seen-set are scrapy-redis's (a sorted set of serialised requests scored by
priority, a set of request fingerprints); what this module adds is the lease: a popped request
is held under a lease that its worker renews; when the worker dies, the lease expires and the
request goes back to the queue (``requeue_expired``). Enqueueing (seen-set + queue) and
pop + lease are each one Lua script, so a worker killed between two commands loses nothing.

Example::

    keys = RunKeys.for_run(7, "3f2a9c")
    frontier = Frontier(conn, keys)
    frontier.push(fingerprint, data, priority=0)
    lease_id, data = frontier.pop("worker-a", ttl_ms=30_000)
    frontier.release([lease_id])
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

CURRENT_RUN = "gkarchive:current-run"  # the run workers should serve (its key prefix)
# Request meta of a request counted in a set while it is in the frontier or leased (a site's
# discovery requests): (set key, token, site); each queued copy gets a fresh token.
FRONTIER_TAG = "gk_frontier_tag"


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


_PUSH = """
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 or ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  if #KEYS > 2 then redis.call('SADD', KEYS[3], ARGV[5]) end
  return 1
end
return 0
"""

_POP = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return false end
redis.call('ZREM', KEYS[1], item[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = redis.call('INCR', KEYS[5])
redis.call('HSET', KEYS[2], id, item[1])
redis.call('HSET', KEYS[4], id, item[2] .. ' ' .. ARGV[1])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), id)
return {id, item[1]}
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
  if data then
    local score = meta and string.match(meta, '^(%S+)') or '0'
    redis.call('ZADD', KEYS[3], score, data)
  end
  redis.call('HDEL', KEYS[1], id); redis.call('HDEL', KEYS[4], id); redis.call('ZREM', KEYS[2], id)
end
return #ids
"""


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

    def push(self, fingerprint: str, data: bytes, priority: int, dont_filter: bool = False,
             tag: tuple[str, str] | None = None) -> bool:
        """Queue a request unless its fingerprint was seen; True when queued. ``tag`` (a set's
        key, a member): added to that set in the same step when the request is queued."""
        keys, args = [self.keys.frontier, self.keys.seen], [fingerprint, -priority,
                                                            "1" if dont_filter else "0", data]
        if tag:
            keys.append(tag[0])
            args.append(tag[1])
        return bool(self._push(keys=keys, args=args))

    def pop(self, worker: str, ttl_ms: int) -> tuple[str, bytes] | None:
        """The next request and its lease id, or None when the queue is empty."""
        got = self._pop(keys=[self.keys.frontier, self.keys.leases, self.keys.lease_expiry,
                              self.keys.lease_meta, self.keys.lease_seq], args=[worker, ttl_ms])
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
        with self.conn.pipeline(transaction=False) as pipe:
            pipe.zcard(self.keys.frontier).hlen(self.keys.leases)
            queued, leased = pipe.execute()
        return int(queued), int(leased)
