"""``gkarchive crawl --redis URL``: the one writer of a distributed crawl.

It opens the run in the archive, hands the workers what the archive knows (known posts,
attachment validators, the sites file, the run's settings) through Redis, seeds the shared
frontier with the spider's own ``start()``, then writes every exchange and item the workers
send, in the order they sent them. The run ends when the frontier is empty, no request is
leased and no message is waiting, twice in a row; then removed posts are marked, the run is
closed, and extraction runs on the extraction workers (or here when there are none).

Killed, it resumes on restart: the run's state lives in Redis, the message being written
is replayed (writes are idempotent: fetch rows carry their id), and the run row, marked
interrupted by the run lock, is reopened. If Redis loses the run's state (restarted without
its data), the run is closed as failed with that reason, never reported as complete.
"""

from __future__ import annotations

import asyncio
import pickle
import secrets
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import redis
from scrapy import Request
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter

from archive.db import unit_of_work
from archive.distributed.redisconn import RedisUnavailable, connect
from archive.lock import run_lock
from archive.reports import build_reports
from archive.sites import load_sites
from archive.store import ArchiveWriter
from archive.health import record_site_runs
from archive.summary import summarize_run
from crawler.distributed.frontier import CURRENT_RUN, Frontier, RunKeys
from crawler.distributed.session import RunConfig
from crawler.pipelines import ArchivePipeline

POLL_SECONDS = 0.5
STABLE_CHECKS = 2  # consecutive empty checks before the run counts as drained
PROGRESS_EVERY = 15.0


class RunLost(RuntimeError):
    """Redis no longer has the run's state: what was in flight cannot be accounted for."""


def run_distributed_crawl(options, command: str, *, sites: list[str], years,
                          by_platform: dict[str, list[str]]) -> dict:
    """Open (or resume) the run, write what the workers send until drained, then extract."""
    conn = connect(options.redis)
    with run_lock(Path(options.db)):
        writer = ArchiveWriter.open(options.db)
        try:
            config = (_resume(conn, writer, options)
                      or _start(conn, writer, options, command, sites, years, by_platform))
            keys = RunKeys(config.keys)
            try:
                _drain(conn, writer, config)
            except (RunLost, RedisUnavailable, redis.RedisError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
                writer.finish_run(config.run_id, "failed", reason,
                                  summarize_run(writer.db, config.run_id, sites))
                raise RedisUnavailable(f"run {config.run_id} failed: {reason}") from exc
            summary = _close_run(conn, writer, config, keys, sites, years)
        finally:
            writer.close()
        if summary and options.extract:
            built = build_reports(options.db, config.run_id, sites=sites, years=years,
                                  only_run=config.run_id, redis_url=options.redis)
            summary["extraction"] = vars(built)
        return summary


def _resume(conn, writer: ArchiveWriter, options) -> RunConfig | None:
    prefix = conn.get(CURRENT_RUN)
    if not prefix:
        return None
    keys = RunKeys(prefix.decode())
    if conn.get(keys.status) != b"running":
        return None
    owner = (conn.get(keys.db) or b"").decode()
    if owner != str(Path(options.db).resolve()):
        raise RedisUnavailable(f"{options.redis} serves a run of another archive ({owner}); "
                               "give each archive its own Redis database number")
    config: RunConfig = pickle.loads(conn.get(keys.config))
    unit_of_work(writer.db, lambda: writer.db.execute(
        "UPDATE runs SET status = 'running', finished_at = NULL, finish_reason = NULL "
        "WHERE id = ?", [config.run_id]))
    print(f"resuming run {config.run_id} from {options.redis}", file=sys.stderr, flush=True)
    return config


def _start(conn, writer: ArchiveWriter, options, command: str, sites, years,
           by_platform) -> RunConfig:
    from archive.crawl import crawl_settings

    run_id = writer.start_run(command, {"sites": sites, "years": years,
                                        "revisit": options.revisit,
                                        "platforms": sorted(by_platform)})
    settings = crawl_settings(options)
    keys = RunKeys.for_run(run_id, secrets.token_hex(4))
    config = RunConfig(
        run_id=run_id, keys=keys.prefix, command=command,
        sites_toml=Path(options.sites_file).read_text(encoding="utf-8"), platforms=by_platform,
        years=options.years, revisit=options.revisit, known=writer.known_posts(),
        proxy=options.proxy, delay=settings.getfloat("DOWNLOAD_DELAY"),
        # one download slot per host of the run and more (crawl_settings): a worker takes one
        # request of a host at a time, so with fewer slots than hosts some hosts would idle
        settings={"USER_AGENT": settings.get("USER_AGENT"),
                  "CONCURRENT_REQUESTS": settings.getint("CONCURRENT_REQUESTS"),
                  **options.settings})
    _publish_validators(conn, writer, keys)
    top = writer.db.execute("SELECT coalesce(max(id), 0) FROM fetches").fetchone()[0]
    with conn.pipeline(transaction=True) as pipe:
        pipe.set(keys.config, pickle.dumps(config)).set(keys.fetch_seq, top)
        pipe.set(keys.db, str(Path(options.db).resolve())).set(keys.status, "seeding")
        pipe.execute()
    for platform, slugs in sorted(by_platform.items()):
        _seed(conn, keys, config, platform, slugs, writer, options.sites_file)
    with conn.pipeline(transaction=True) as pipe:
        pipe.set(keys.status, "running").set(CURRENT_RUN, keys.prefix)
        pipe.execute()
    print(f"run {run_id}: seeded {options.redis} ({keys.prefix}); waiting for workers",
          file=sys.stderr, flush=True)
    return config


def _publish_validators(conn, writer: ArchiveWriter, keys: RunKeys) -> None:
    """ETag/Last-Modified/sha256 of every archived attachment URL (``ArchiveWriter.validators``),
    and the reports listed as unassigned (``known_unassigned``)."""
    urls = [url for (url,) in writer.db.execute(
        "SELECT DISTINCT url FROM attachments WHERE status = 'ok'")]
    with conn.pipeline(transaction=False) as pipe:
        for url in urls:
            found = writer.validators(url)
            if found[2]:
                pipe.hset(keys.validators, url, pickle.dumps(found))
        for url, body in writer.known_unassigned().items():
            pipe.hset(keys.unassigned, url, body or "")
        pipe.execute()


def _platform_spider(conn, keys: RunKeys, config: RunConfig, platform: str, slugs: list[str]):
    """The workers' spider of one platform, as the writer uses it: to seed, and at the end."""
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    from crawler.distributed.spider import worker_spider

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    spidercls = worker_spider(SpiderLoader.from_settings(settings).load(platform))
    spider = spidercls(site=",".join(slugs), year=config.years,
                       revisit="1" if config.revisit else "")
    spider.session = SimpleNamespace(conn=conn, keys=keys, known=config.known)
    return spider


def _seed(conn, keys: RunKeys, config: RunConfig, platform: str, slugs: list[str],
          writer: ArchiveWriter, sites_path) -> None:
    """The platform spider's own start(): requests into its frontier, items (disabled sites)
    written; the sites' rows upserted as a local spider's session does."""
    spider = _platform_spider(conn, keys, config, platform, slugs)
    spider.session.list_templates = writer.list_templates()  # UCAP: the template known to work
    spider.sites = load_sites(sites_path).select(spider.site_arg, platform=platform)
    spider.configs = {site.slug: site for site in spider.sites}
    writer.upsert_sites([site.to_dict() for site in spider.sites], config.run_id)
    frontier = Frontier(conn, keys.of_platform(platform))
    fingerprints = RFPDupeFilter(conn, keys.of_platform(platform).seen)
    pipeline = ArchivePipeline(SimpleNamespace(writer=writer, run_id=config.run_id))

    async def seed() -> None:
        async for output in spider.seed():
            if isinstance(output, Request):  # as the workers' scheduler queues it
                frontier.push_request(fingerprints.request_fingerprint(output), output,
                                      lambda r: picklecompat.dumps(r.to_dict(spider=spider)))
            else:
                pipeline.process_item(output)

    asyncio.run(seed())


def _drain(conn, writer: ArchiveWriter, config: RunConfig) -> None:
    """Write the workers' messages until the frontier is drained and every worker idle."""
    keys = RunKeys(config.keys)
    frontiers = [Frontier(conn, keys.of_platform(p)) for p in sorted(config.platforms)]
    pipeline = ArchivePipeline(SimpleNamespace(writer=writer, run_id=config.run_id))
    for raw in conn.lrange(keys.processing, 0, -1):  # written or not when the writer died
        _apply(writer, pipeline, raw)
    conn.delete(keys.processing)
    stable, written, last_check, last_progress = 0, 0, 0.0, time.monotonic()
    while stable < STABLE_CHECKS:
        raw = conn.blmove(keys.items, keys.processing, POLL_SECONDS, "LEFT", "RIGHT")
        if raw is not None:
            _apply(writer, pipeline, raw)
            conn.lpop(keys.processing)
            written += 1
        if raw is None or time.monotonic() - last_check > POLL_SECONDS:
            last_check = time.monotonic()
            if conn.get(keys.status) != b"running":
                raise RunLost("Redis no longer has the run's state (restarted without its "
                              "data, or flushed); messages in flight may be lost")
            requeued = sum(frontier.requeue_expired() for frontier in frontiers)
            if requeued:
                print(f"run {config.run_id}: requeued {requeued} requests whose worker stopped "
                      "renewing its lease (dead?)", file=sys.stderr, flush=True)
            queued, leased = map(sum, zip(*(frontier.pending() for frontier in frontiers)))
            waiting = conn.llen(keys.items)
            stable = stable + 1 if raw is None and queued == leased == waiting == 0 else 0
            if time.monotonic() - last_progress > PROGRESS_EVERY:
                last_progress = time.monotonic()
                print(f"run {config.run_id}: {written} messages written, {queued} requests "
                      f"queued, {leased} in progress, {waiting} waiting", file=sys.stderr,
                      flush=True)


def _apply(writer: ArchiveWriter, pipeline: ArchivePipeline, raw: bytes) -> None:
    kind, payload = pickle.loads(raw)
    if kind == "fetch":
        writer.record_fetch(payload)
    elif kind == "item":
        pipeline.process_item(payload)
    else:
        raise ValueError(f"unknown message kind {kind!r} from a worker")


def _close_run(conn, writer: ArchiveWriter, config: RunConfig, keys: RunKeys, sites,
               years) -> dict:
    """Mark removed posts of fully listed sites, summarise, write the sites' health rows
    (``site_runs``, alarms), close the run, tell the workers."""
    from crawler.distributed.spider import fully_listed_sites

    conn.set(keys.status, "finished")
    shapes: dict[str, tuple[int | None, int]] = {}
    for platform, slugs in sorted(config.platforms.items()):  # the spider's own rule
        spider = _platform_spider(conn, keys, config, platform, slugs)
        for site, seen in sorted(fully_listed_sites(spider, conn, keys, slugs).items()):
            writer.mark_removed(site, seen, config.run_id)
        for site in slugs:  # the shape the health compares: shells read, posts listed
            has_shells = spider.state[site].shells is not None  # the platform's fresh state
            shells = conn.scard(keys.of_site("shells", site)) if has_shells else None
            shapes[site] = (shells, conn.scard(keys.seen_posts(site)))
    summary = summarize_run(writer.db, config.run_id, sites)
    summary["alarms"] = record_site_runs(writer.db, config.run_id, summary, shapes,
                                         full=not years)
    writer.finish_run(config.run_id, "finished", "finished", summary)
    _forget_run(conn, keys)
    return summary


def _forget_run(conn, keys: RunKeys) -> None:
    """Delete the run's keys but its status (kept an hour, so late workers see it ended)."""
    if conn.get(CURRENT_RUN) == keys.prefix.encode():
        conn.delete(CURRENT_RUN)
    stale = [key for key in conn.scan_iter(match=keys.prefix + ":*") if key != keys.status.encode()]
    for start in range(0, len(stale), 500):
        conn.delete(*stale[start:start + 500])
    conn.expire(keys.status, 3600)
