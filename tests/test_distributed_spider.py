"""A platform's per-site state (gkmlpt: the report categories its shell named) reaches the
worker that parses the next page of the site: it travels in the request's meta. The deferral
of search and column entries is the site's, on a real Redis: the worker that takes them knows
what every worker's lists showed, and a site's discovery ends with its last request."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from archive.distributed.redisconn import connect
from archive.sites import load_sites
from crawler.distributed.frontier import FRONTIER_TAG, Frontier, RunKeys, fresh_tag
from crawler.distributed.spider import STATE_META, SiteStateMiddleware, worker_spider
from crawler.fetch import META_KEY, FetchMeta
from crawler.spiders.gkmlpt import GkmlptSpider, ListCursor
from crawler.spiders.sources import Candidate, FoundOn
from crawler.spiders.ucap import UcapSpider
from tests.crawl_support import PORTAL_SITES, REPO
from tests.redis_support import RedisServer


def spider():
    instance = worker_spider(GkmlptSpider)(site="dg-fenggang")
    instance.sites = load_sites(PORTAL_SITES).select(["dg-fenggang"], platform="gkmlpt")
    instance.configs = {site.slug: site for site in instance.sites}
    return instance


def test_report_categories_found_by_one_worker_reach_another():
    shell_worker, list_worker = spider(), spider()
    shell_worker.state["dg-fenggang"].report_categories |= {2680}
    request = shell_worker.request("dg-fenggang", "http://www.dg.gov.cn/dgfgz/gkmlpt/api/all/0",
                                   shell_worker.parse_list, "list",
                                   cb_kwargs={"cursor": ListCursor("b", 0, 1, None),
                                              "bad_json": 0})
    assert request.meta[STATE_META] == {"report_categories": {2680}}
    middleware = SiteStateMiddleware()
    middleware.crawler = type("Crawler", (), {"spider": list_worker})()
    middleware.process_spider_input(HtmlResponse(request.url, body=b"{}", request=request))
    assert list_worker.state["dg-fenggang"].report_categories == {2680}
    listed = list_worker.listed("dg-fenggang", {"id": 1, "title": "凤岗镇年度报告",
                                                "classify_main": 2680}, 0,
                                 "http://www.dg.gov.cn/dgfgz/gkmlpt/api/all/0?page=1")
    assert listed.in_report_category


# -- the deferral of search and column entries, shared through a real Redis ---------------

SITE = "huadu-chini"
TITLE = "赤坭镇{}年政府信息公开工作年度报告"


@pytest.fixture
def redis_url(tmp_path):
    with RedisServer(tmp_path / "redis") as server:
        yield server.url


def redis_worker(url: str):
    """A worker's spider on the run's Redis, as `gkarchive worker` makes it."""
    instance = worker_spider(GkmlptSpider)(site=SITE)
    instance.sites = load_sites(PORTAL_SITES).select([SITE], platform="gkmlpt")
    instance.configs = {site.slug: site for site in instance.sites}
    instance.session = SimpleNamespace(conn=connect(url), keys=RunKeys("gkarchive:run:1:test"),
                                       known={})
    return instance


def search_hit(post_id: str, year: int) -> Candidate:
    url = f"https://www.huadu.gov.cn/gzhdcnz/gkmlpt/content/1/{post_id}/post_{post_id}.html"
    found = FoundOn("http://search.gd.gov.cn/jsonp/site/200124?page=1",
                    {META_KEY: FetchMeta(SITE, "search", fetch_id=9)})
    return Candidate(post_id, TITLE.format(year), url, "search",
                     {"id": post_id, "title": TITLE.format(year), "url": url}, found)


def test_the_worker_that_takes_the_deferred_knows_what_every_worker_listed(redis_url):
    lists, search = redis_worker(redis_url), redis_worker(redis_url)
    assert lists.first_sighting(SITE, "1001")  # a list page parsed by one worker showed it
    seen = lists.session.keys.seen_posts(SITE)
    assert not lists.session.conn.sismember(seen, "1001")  # kept until its lease goes
    lists.flush_sightings()  # LeaseKeeper.tick, before it releases leases
    assert lists.session.conn.sismember(seen, "1001")
    lists.state[SITE].report_categories |= {6160}
    lists.discovered(SITE)  # the list page is done
    hits = [search_hit("1001", 2022), search_hit("1002", 2023)]
    assert search.defer(SITE, hits) == hits
    assert search.defer(SITE, [search_hit("1002", 2023)]) == []  # another term, same hit
    taken = list(redis_worker(redis_url).take_shared_deferred(SITE))
    assert [r.url for r in taken] == [hits[1].url]  # 1001 is read from its list entry
    assert taken[0].cb_kwargs["listed"].in_report_category is False
    assert taken[0].meta[STATE_META]["report_categories"] == {6160}  # carried on


def test_a_sites_discovery_ends_with_its_last_request_whichever_worker_runs_it(redis_url):
    conn, keys = connect(redis_url), RunKeys("gkarchive:run:1:test")
    frontier = Frontier(conn, keys.of_platform("gkmlpt"))
    spider = redis_worker(redis_url)
    requests = [spider.discover(SITE, Request(f"https://www.huadu.gov.cn/p{n}")) for n in (1, 2)]
    for request in requests:
        tag = fresh_tag(request.meta)
        assert frontier.push(str(tag), request.url.encode(), 0, True, tag, url=request.url)
    pending = keys.of_site("discovery_pending", SITE)
    assert conn.scard(pending) == 2
    first, second = frontier.pop("w1", 30_000, keys.prefix), frontier.pop("w2", 30_000, keys.prefix)
    assert second is None  # one host: the first request claims it until its download is over
    conn.delete(f"{keys.prefix}:host_claim:www.huadu.gov.cn")
    second = frontier.pop("w2", 30_000, keys.prefix)
    last = spider.last_discovery_key(SITE)
    retry = requests[0].copy()  # a retry is queued before the request it retries is done
    retry_tag = fresh_tag(retry.meta)
    assert retry_tag != requests[0].meta[FRONTIER_TAG][:2]
    frontier.push("retry", b"retry", 0, True, retry_tag, url=retry.url)
    assert not frontier.finish(first[0], requests[0].meta[FRONTIER_TAG][:2], last)
    assert not frontier.finish(second[0], requests[1].meta[FRONTIER_TAG][:2], last)
    assert frontier.pending() == (1, 0)
    conn.delete(f"{keys.prefix}:host_claim:www.huadu.gov.cn")
    third = frontier.pop("w1", 30_000, keys.prefix)
    assert frontier.finish(third[0], retry_tag, last)  # the last: its lease is kept …
    assert frontier.pending() == (0, 1)
    assert frontier.finish(third[0], retry_tag, last)  # … run again (its worker died): again
    frontier.release([third[0]])
    assert frontier.pending() == (0, 0)


@pytest.mark.parametrize("spidercls, site, sites_file", [
    (GkmlptSpider, SITE, PORTAL_SITES),
    (UcapSpider, "ganzhou-jkq-fenggang", REPO / "tests" / "ucap_portal" / "sites.toml")])
def test_every_platforms_worker_counts_the_shells_it_reads(redis_url, spidercls, site,
                                                            sites_file):
    """``shell_read`` is the base's hook: a worker of any platform counts a shell in its state
    and in Redis (a URL read twice, as after a worker's death, counts once there)."""
    worker = worker_spider(spidercls)(site=site)
    worker.sites = load_sites(sites_file).select([site], platform=spidercls.platform)
    worker.configs = {s.slug: s for s in worker.sites}
    worker.session = SimpleNamespace(conn=connect(redis_url), keys=RunKeys("gkarchive:run:1:t"),
                                     known={})
    for _ in range(2):
        worker.shell_read(site, "https://shell.example/gkmlpt/index")
    assert worker.state[site].shells == {"https://shell.example/gkmlpt/index"}
    assert worker.session.conn.scard(worker.session.keys.of_site("shells", site)) == 1


@pytest.mark.parametrize("spidercls, site", [(GkmlptSpider, SITE),
                                             (UcapSpider, "ganzhou-jkq-fenggang")])
def test_a_single_process_counts_the_shells_it_reads_as_a_worker_does(spidercls, site):
    """The health's shell count is of distinct URLs in a single process too, so that both
    modes write the same ``site_runs.shells``; a platform with shells starts with none read
    (an alarm if it stays so), one without them has no count at all."""
    spider = spidercls()
    spider.state[site] = spider.site_state_class()  # as start() makes it
    assert spider.state[site].shells == (set() if spidercls is GkmlptSpider else None)
    for url in ("https://shell.example/gkmlpt/index", "https://shell.example/gkmlpt/index",
                "https://shell.example/gkmlpt/index?x=1"):
        spider.shell_read(site, url)
    assert len(spider.state[site].shells) == 2
