"""Contracts over every spider and every platform: each platform of the config has one spider,
built on the shared base, with its hooks; a spider without them is refused when defined; a
spider crawls only the sites of its platform."""

from __future__ import annotations

import subprocess
import sys

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from archive.sites import PLATFORMS, SiteConfigError, load_sites
from crawler.spiders.base import PlatformSpider
from tests.crawl_support import PORTAL_SITES, REPO


def spiders() -> dict[str, type]:
    settings = Settings()
    settings.setmodule("crawler.settings")
    loader = SpiderLoader.from_settings(settings)
    return {name: loader.load(name) for name in loader.list()}


def test_one_spider_per_platform_and_nothing_else():
    assert sorted(spiders()) == sorted(PLATFORMS)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_spider_is_a_platform_spider_with_its_hooks(platform):
    spider = spiders()[platform]
    assert issubclass(spider, PlatformSpider) and spider.platform == platform
    for hook in ("start_site", "read_detail"):
        assert getattr(spider, hook) is not getattr(PlatformSpider, hook), hook
    assert spider.__module__ == f"crawler.spiders.{platform}"
    assert spider.__doc__ or sys.modules[spider.__module__].__doc__


@pytest.mark.parametrize("sites_file", [None, PORTAL_SITES], ids=["config", "portal"])
def test_every_site_row_has_a_spider(sites_file):
    sites = load_sites(sites_file) if sites_file else load_sites()
    assert {s.platform for s in sites.sites.values()} <= set(spiders())


def test_a_platform_spider_without_its_hooks_is_refused_when_defined():
    with pytest.raises(TypeError, match="read_detail"):
        class HalfSpider(PlatformSpider):  # noqa: F841
            name = platform = "half"

            def start_site(self, site):
                yield from ()


def test_a_spider_refuses_a_site_of_another_platform(tmp_path):
    sites = load_sites(PORTAL_SITES)
    with pytest.raises(SiteConfigError, match="not ucap sites"):
        sites.select(["dg-fenggang"], platform="ucap")


def test_scrapy_list_shows_every_platform():
    result = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == sorted(PLATFORMS)
