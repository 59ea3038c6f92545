"""A platform's per-site state (gkmlpt: the report categories its shell named) reaches the
worker that parses the next page of the site: it travels in the request's meta."""

from __future__ import annotations

from scrapy.http import HtmlResponse

from archive.sites import load_sites
from crawler.distributed.spider import STATE_META, SiteStateMiddleware, worker_spider
from crawler.spiders.gkmlpt import GkmlptSpider, ListCursor
from tests.crawl_support import PORTAL_SITES


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
