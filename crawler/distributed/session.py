"""A crawl worker's archive session: what the archive knows comes from Redis, what the worker
fetches and scrapes goes back to the writer through Redis. It never opens the SQLite file.

The writer put the run's configuration in Redis (``RunConfig``: run id, the sites file's text,
spider arguments, known posts, settings); validators of archived attachments sit in a hash.
Fetch row ids come from a Redis counter, so the recorder middleware and the spider see a
``fetch_id`` at once, as with a local archive; the writer inserts the row under that id.

Messages on the run's ``items`` list (pickled; Redis is trusted, as by scrapy-redis and RQ):
``("fetch", Exchange)`` and ``("item", item)``, in the order the worker produced them.
"""

from __future__ import annotations

import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from archive.sites import load_sites
from archive.store import Exchange, sha256_hex
from crawler.distributed.frontier import RunKeys
from crawler.session import _SESSIONS, ArchiveSession


@dataclass
class RunConfig:
    """What a worker needs to serve a run, as the writer put it in Redis."""

    run_id: int
    keys: str
    command: str
    sites_toml: str
    platforms: dict  # platform -> the slugs its spider crawls
    years: str | None
    revisit: bool
    known: dict
    settings: dict = field(default_factory=dict)  # Scrapy settings of the run (delay, UA, …)
    proxy: str | None = None
    delay: float = 0.0


def publish(conn, keys: RunKeys, message: tuple) -> None:
    conn.rpush(keys.items, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


class RemoteValidators:
    """``validators(url)`` and ``known_unassigned()`` as ``ArchiveWriter`` answers them, from
    the writer's snapshot."""

    def __init__(self, conn, keys: RunKeys):
        self.conn, self.keys = conn, keys

    def validators(self, url: str) -> tuple[str | None, str | None, str | None]:
        value = self.conn.hget(self.keys.validators, url)
        return pickle.loads(value) if value else (None, None, None)

    def known_unassigned(self) -> dict[str, str]:
        """URL → body of every report the archive lists as unassigned."""
        return {url.decode(): body.decode()
                for url, body in self.conn.hgetall(self.keys.unassigned).items()}


class RemoteSession(ArchiveSession):
    """One per worker process and run, shared by its crawlers (one per platform)."""

    def __init__(self, conn, config: RunConfig):
        self.conn = conn
        self.config = config
        self.keys = RunKeys(config.keys)
        self._folder = tempfile.TemporaryDirectory(prefix="gkworker-")
        sites_path = Path(self._folder.name) / "sites.toml"
        sites_path.write_text(config.sites_toml, encoding="utf-8")
        self._blank(None, load_sites(sites_path))
        self.writer = RemoteValidators(conn, self.keys)
        self.run_id = config.run_id
        self.known = config.known
        self.command, self.expected = config.command, 0

    def install(self, crawler) -> None:
        """Be the session ``ArchiveSession.of(crawler)`` returns to every component."""
        _SESSIONS[crawler] = self
        self._attach(crawler)

    def spider_opened(self, spider) -> None:
        self.selected += [s.slug for s in spider.sites if s.slug not in self.selected]

    def spider_closed(self, spider, reason: str) -> None:
        return None

    def close(self) -> None:
        self._folder.cleanup()

    def record(self, exchange: Exchange) -> int:
        exchange.fetch_id = int(self.conn.incr(self.keys.fetch_seq))
        exchange.sha256 = sha256_hex(exchange.body) if exchange.body is not None else None
        publish(self.conn, self.keys, ("fetch", exchange))
        return exchange.fetch_id


class RedisItemPipeline:
    """The worker's pipeline: every typed item goes to the writer, in order."""

    def __init__(self, session: RemoteSession):
        self.session = session

    @classmethod
    def from_crawler(cls, crawler):
        return cls(ArchiveSession.of(crawler))

    def process_item(self, item):
        publish(self.session.conn, self.session.keys, ("item", item))
        return item
