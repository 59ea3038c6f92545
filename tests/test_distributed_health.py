"""The sites' health rows of a distributed run are the single process's, over random nights.

A generator draws nights of a few gkmlpt sites: which shells are read (none when the entry
fails or the site was redesigned, two when a site has two entries), which list pages are read,
how many posts each lists (none: an emptied list), which list pages fail, which listed posts
are archived reports, and the year filter of the night. The same night is played twice on
real parts: through the spider's hooks of one process (``shell_read``, ``claim_list``,
``first_sighting``, ``list_failed``) closed by :class:`crawler.session.ArchiveSession`, and
through crawl workers' spiders on a real Redis (each event on a random worker; workers killed
at random, their unflushed sightings lost and their requests run again on another; the
sightings flushed at random moments) closed by the writer's ``_close_run``. Both archives
must hold the same ``site_runs`` rows and alarms, and the same removed posts.
"""

from __future__ import annotations

import random
import secrets
import sqlite3
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from scrapy.settings import Settings

from archive.distributed.redisconn import connect
from archive.distributed.writer import _close_run
from archive.sites import load_sites
from archive.store import ArchiveWriter
from crawler.distributed.frontier import RunKeys
from crawler.distributed.session import RunConfig
from crawler.distributed.spider import worker_spider
from crawler.session import ArchiveSession
from crawler.spiders.gkmlpt import GkmlptSpider
from tests.redis_support import RedisServer

SITES = [f"gen-s{n:02d}" for n in range(6)]
NIGHTS = 3
WORKERS = 3


def sites_toml() -> str:
    lines = ["[crawler]", 'user_agent = "gkarchive-test/0.1 (+https://example.org/gkarchive)"', "download_delay = 2.0",
             "concurrent_requests_per_host = 1", ""]
    for n, slug in enumerate(SITES):
        host = f"h{n % 2}.gen.gd.gov.cn"
        lines += [f"[sites.{slug}]", f'name = "生成市第{n}局"', 'region = "广东省生成市"',
                  'group = "gen"', f'entry_urls = ["http://{host}/{slug}/gkmlpt/index"]',
                  f'allowed_hosts = ["{host}"]', ""]
    return "\n".join(lines)


@dataclass
class SiteNight:
    """What one night showed of one site."""

    shells: list[str] = field(default_factory=list)  # shell URLs whose _CONFIG was read
    pages: list[tuple[int, int, list[str]]] = field(default_factory=list)  # classify, page, ids
    failures: list[str] = field(default_factory=list)  # URLs of list pages that failed
    reports: set[str] = field(default_factory=set)  # listed ids archived as reports


def draw_night(rng: random.Random, known: dict[str, set[str]]) -> dict[str, SiteNight]:
    """One night of every site: shells, list pages and their ids, failures, reports."""
    night = {}
    for n, slug in enumerate(SITES):
        site = SiteNight()
        shape = rng.choice(["ok", "ok", "ok", "two_shells", "entry_failed", "redesigned",
                            "emptied", "list_failed"])
        base = f"http://h{n % 2}.gen.gd.gov.cn/{slug}/gkmlpt/"
        if shape == "entry_failed":
            site.failures.append(base + "index")
        if shape in ("entry_failed", "redesigned"):
            night[slug] = site
            continue
        site.shells.append(base + "index")
        if shape == "two_shells":
            site.shells.append(base + "annualreport")
        # The site's ids: its known reports (some no longer listed), new ones.
        pool = sorted(known.get(slug, set())) + [str(1000 * (n + 1) + k) for k in range(60)]
        for classify in (0, 3):
            listed = [] if shape == "emptied" else rng.sample(pool, rng.randint(0, len(pool) // 2))
            per_page = rng.randint(3, 12)
            pages = [listed[i:i + per_page] for i in range(0, len(listed), per_page)] or [[]]
            for page, ids in enumerate(pages, 1):
                site.pages.append((classify, page, ids))
        if shape == "list_failed":
            site.failures.append(base + "api/all/0?page=9")
        shown = {i for _, _, ids in site.pages for i in ids}
        site.reports = set(rng.sample(sorted(shown), min(len(shown), rng.randint(0, 3))))
        night[slug] = site
    return night


def _events(slug: str, site: SiteNight) -> list[tuple]:
    """The hook calls a crawl makes for one site's night, in order."""
    events: list[tuple] = [("shell", slug, url) for url in site.shells]
    for classify, page, ids in site.pages:
        events.append(("claim", slug, (classify, page)))
        events += [("sighting", slug, post_id) for post_id in ids]
        if classify == 0 and ids:
            events.append(("floor", slug, min(int(i) for i in ids)))
    events += [("failed", slug, url) for url in site.failures]
    return events


def play(spider, event: tuple) -> None:
    kind, slug, value = event
    state = spider.state[slug]
    if kind == "shell":
        spider.shell_read(slug, value)
    elif kind == "claim":
        spider.claim_list(slug, value)
    elif kind == "sighting":
        spider.first_sighting(slug, value)
    elif kind == "failed":
        spider.list_failed(slug)
    elif kind == "floor":  # parse_list's floor, then its discovery callback ends
        state.site_list_floor = min(value, state.site_list_floor or value)
        if hasattr(spider, "session") and hasattr(spider.session, "conn"):
            spider.discovered(slug)


def archive_results(writer: ArchiveWriter, run_id: int, night: dict[str, SiteNight],
                    known: dict[str, set[str]]) -> None:
    """The items of the night, the same in both archives: reports new or seen again, and an
    error row for every failed page."""
    for slug, site in night.items():
        for post_id in sorted(site.reports):
            if post_id in known.get(slug, set()):
                writer.touch_post(slug, post_id, None, run_id)
                continue
            writer.record_post({
                "site": slug, "post_id": post_id, "title": f"{slug} 2023年政府信息公开工作年度报告",
                "url": f"http://x/{slug}/{post_id}.html", "publish_date": None,
                "classify_id": 3, "classify_name": "", "report_year": 2023,
                "year_source": "title", "article": "{}", "detail": "{}",
                "detail_fetch_id": None, "list_fetch_id": None, "article_sha256": post_id,
            }, "", [], run_id)
        for url in site.failures:
            writer.record_error(run_id, slug, url, "network_error", "refused", None)


def single_process_night(db, sites_file, night, years, known) -> dict:
    settings = Settings({"GKARCHIVE_DB": str(db), "GKARCHIVE_SITES_FILE": str(sites_file),
                         "GKARCHIVE_RUN_LOCKED": True})
    session = ArchiveSession(settings)
    spider = GkmlptSpider(site=",".join(SITES), year=years)
    spider.session = session
    spider.sites = session.sites_file.select(SITES, platform="gkmlpt")
    spider.configs = {s.slug: s for s in spider.sites}
    session.spider_opened(spider)
    for slug in SITES:  # start(): every enabled site has its state
        spider.state[slug] = spider.site_state_class()
    for slug, site in night.items():
        for event in _events(slug, site):
            play(spider, event)
    archive_results(session.writer, session.run_id, night, known)
    session.spider_closed(spider, "finished")
    return session.summary


def distributed_night(db, sites_file, redis_url, night, years, known, rng) -> dict:
    conn = connect(redis_url)
    writer = ArchiveWriter.open(db)
    run_id = writer.start_run("crawl", {"sites": SITES, "years": years, "revisit": False,
                                        "platforms": ["gkmlpt"]})
    writer.upsert_sites([s.to_dict() for s in load_sites(sites_file).select(SITES)], run_id)
    keys = RunKeys.for_run(run_id, secrets.token_hex(4))
    config = RunConfig(run_id=run_id, keys=keys.prefix, command="crawl",
                       sites_toml=sites_file.read_text(encoding="utf-8"),
                       platforms={"gkmlpt": SITES}, years=years, revisit=False,
                       known=writer.known_posts())
    spidercls = worker_spider(GkmlptSpider)

    def new_worker():
        worker = spidercls(site=",".join(SITES), year=years)
        worker.session = SimpleNamespace(conn=conn, keys=keys, known=config.known)
        return worker

    workers = [new_worker() for _ in range(WORKERS)]
    unflushed: dict[int, list[tuple]] = {i: [] for i in range(WORKERS)}
    events = [e for slug, site in night.items() for e in _events(slug, site)]
    for event in events:
        at = rng.randrange(WORKERS)
        play(workers[at], event)
        unflushed[at].append(event)
        roll = rng.random()
        if roll < 0.05:  # the worker dies (its unflushed sightings lost) and is restarted;
            workers[at] = new_worker()  # its leases expire and another worker runs them again
            again, unflushed[at] = unflushed[at], []
            other = (at + 1 + rng.randrange(WORKERS - 1)) % WORKERS
            for event in again:
                play(workers[other], event)
            unflushed[other] += again
        elif roll < 0.3:  # a lease tick
            workers[at].flush_sightings()
            unflushed[at] = []
    for worker in workers:  # every lease released at the end: every tick made
        worker.flush_sightings()
    archive_results(writer, run_id, night, known)
    try:
        return _close_run(conn, writer, config, keys, SITES, years)
    finally:
        writer.close()


def health_rows(db) -> tuple[set, set]:
    with sqlite3.connect(db) as conn:
        site_runs = set(conn.execute(
            "SELECT run_id, site, full_listing, status, reports, new_reports, errors, listed, "
            "shells, alarms FROM site_runs"))
        posts = set(conn.execute("SELECT site, post_id, first_run, last_run, removed_run "
                                 "FROM posts"))
    return site_runs, posts


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis"), appendfsync="everysec") as server:
        yield server.url


@pytest.mark.parametrize("seed", range(12))
def test_random_nights_give_the_single_process_health_rows(seed, redis_url, tmp_path):
    rng = random.Random(f"distributed-health:{seed}")  # the nights
    workers_rng = random.Random(f"distributed-health:workers:{seed}")  # who runs what
    sites_file = tmp_path / "sites.toml"
    sites_file.write_text(sites_toml(), encoding="utf-8")
    single_db, distributed_db = tmp_path / "single.db", tmp_path / "distributed.db"
    known: dict[str, set[str]] = {}
    for _ in range(NIGHTS):
        night = draw_night(rng, known)
        years = "2023" if rng.random() < 0.15 else None
        single = single_process_night(single_db, sites_file, night, years, known)
        distributed = distributed_night(distributed_db, sites_file, redis_url, night, years,
                                        known, workers_rng)
        assert distributed["alarms"] == single["alarms"]
        assert health_rows(distributed_db) == health_rows(single_db)
        for slug, site in night.items():
            known.setdefault(slug, set()).update(site.reports)
    site_runs, posts = health_rows(single_db)
    assert len(site_runs) == NIGHTS * len(SITES)
    assert {row[7] for row in site_runs} - {0}  # posts were listed


def test_the_generator_draws_every_kind_of_night():
    """Over the seeds above: sites without a shell, with two, emptied lists, failures,
    removed posts and both alarm kinds' conditions all occur."""
    seen = set()
    for seed in range(12):
        rng = random.Random(f"distributed-health:{seed}")
        known: dict[str, set[str]] = {}
        for _ in range(NIGHTS):
            night = draw_night(rng, known)
            rng.random()  # the year filter's draw
            for slug, site in night.items():
                seen.add(f"shells={min(len(site.shells), 2)}")
                seen |= {"failure"} if site.failures else set()
                seen |= {"emptied"} if site.pages and not any(i for _, _, i in site.pages) else set()
                listed = {i for _, _, ids in site.pages for i in ids}
                seen |= {"unlisted known"} if known.get(slug, set()) - listed else set()
                seen |= {"reports"} if site.reports else set()
                known.setdefault(slug, set()).update(site.reports)
    assert seen >= {"shells=0", "shells=1", "shells=2", "failure", "emptied", "unlisted known",
                    "reports"}, seen
