"""The catalogue in config/sites.toml: every row checked, the generator reproducible, the slug
scheme stable, and --site taking slugs, globs and groups."""

import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from archive.catalogue import (CITY_CODES, DEFAULT_CATALOGUE, CatalogueError, CatalogueRow,
                               catalogue_rows, read_catalogue, regenerate, site_from_row)
from archive.sites import DEFAULT_SITES_FILE, SiteConfigError, load_sites
from tests.crawl_support import REPO
from tests.test_sites_config import HAND_WRITTEN

CONFIG = load_sites()
SLUG_RE = re.compile(r"^(%s|huadu)-[a-z0-9]+(-[a-z0-9]+)*$" % "|".join(CITY_CODES.values()))


def test_at_least_200_enabled_sites():
    enabled = [s for s in CONFIG.sites.values() if s.enabled]
    assert len(enabled) >= 200, len(enabled)


# Every Guangdong gkmlpt row (the UCAP rows of Jiangxi follow their own scheme: test_contracts).
@pytest.mark.parametrize("slug", sorted(s for s, c in CONFIG.sites.items() if c.platform == "gkmlpt"))
def test_every_row(slug):
    site = CONFIG.sites[slug]
    assert SLUG_RE.match(slug), slug
    assert site.region.startswith("广东省"), site.region
    assert site.group in CITY_CODES, site.group
    assert site.region == "广东省" if site.group == "省直" else \
        site.region.startswith("广东省" + site.group), (site.group, site.region)
    for url in site.entry_urls:
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.hostname in site.allowed_hosts, url
        assert not parts.query and parts.netloc == parts.hostname, url
        assert re.search(r"/gkmlpt/(index|annualreport)(#\d+)?$", url) or url.endswith("/"), url
    assert site.enabled or site.disabled_reason
    assert not site.sid_hint or site.sid_hint.isdigit()


def test_slugs_and_entry_urls_are_unique():
    # TOML refuses a table defined twice; two enabled rows must not crawl one gkmlpt site.
    # A shared portal report column (Huadu's 各镇街) is an entry URL of every town it holds.
    bases = [re.sub(r"/gkmlpt/.*", "", url.replace("https://", "http://"))
             for s in CONFIG.sites.values() if s.enabled for url in s.entry_urls
             if "/gkmlpt/" in url]
    assert len(bases) == len(set(bases))


def test_config_is_what_the_generator_makes():
    text = DEFAULT_SITES_FILE.read_text(encoding="utf-8")
    assert regenerate(text) == text, "run scripts/catalogue_to_sites.py"
    check = subprocess.run([sys.executable, "scripts/catalogue_to_sites.py", "--check"], cwd=REPO,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr


def test_every_catalogue_row_is_a_site_and_c_rows_are_disabled():
    rows = read_catalogue(DEFAULT_CATALOGUE)
    assert len(rows) == 226
    by_name = {}
    for site in CONFIG.sites.values():
        by_name.setdefault(site.name, []).append(site)
    for row in rows:
        made = site_from_row(row)
        assert made.slug in CONFIG.sites or made.name in by_name, row.body
        if row.confidence == "C" and made.slug in CONFIG.sites and made.slug not in HAND_WRITTEN:
            assert not CONFIG.sites[made.slug].enabled, made.slug
        if row.confidence in "AB" and made.slug in CONFIG.sites:
            assert CONFIG.sites[made.slug].enabled or "catalogue gives" in \
                CONFIG.sites[made.slug].disabled_reason, made.slug


def _row(**kw) -> CatalogueRow:
    base = dict(group="广州市 (28)", body="广州市教育局", level="市直部门",
                base="https://jyj.gz.gov.cn", sid="200016", categories_seen="", confidence="A",
                source="x")
    return CatalogueRow(**(base | kw))


@pytest.mark.parametrize("row,slug,region", [
    (_row(), "gz-jyj", "广东省广州市"),
    (_row(group="深圳市 (60)", body="深圳市市场监督管理局", base="https://amr.sz.gov.cn"),
     "sz-amr", "广东省深圳市"),
    (_row(group="东莞市 (35)", body="东莞市横沥镇人民政府", level="镇街",
          base="http://www.dg.gov.cn/dghlz"), "dg-hengli", "广东省东莞市横沥镇"),
    (_row(body="广州市花都区科技工业商务和信息化局", level="区部门",
          base="https://www.huadu.gov.cn/gzhdkgsx"), "huadu-kgsx", "广东省广州市花都区"),
    (_row(group="深圳市 (60)", body="南山区人民政府", level="区", base="http://www.szns.gov.cn"),
     "sz-nanshan", "广东省深圳市南山区"),
    (_row(group="广东省(省直) (31)", body="广东省人民政府", level="省政府",
          base="http://www.gd.gov.cn"), "gd-gov", "广东省"),
    (_row(group="梅州市 (2)", body="梅州市梅县区南口镇人民政府", level="镇",
          base="https://www.gdmx.gov.cn/mzmxnkzzf"), "mz-nankou", "广东省梅州市梅县区南口镇"),
])
def test_slug_scheme(row, slug, region):
    site = site_from_row(row)
    assert (site.slug, site.region) == (slug, region)


def test_generated_row_fields():
    site = site_from_row(_row(group="广东省(省直) (31)", body="广东省文化和旅游厅", level="省直部门",
                              base="https://whly.gd.gov.cn", sid="175",
                              categories_seen="2629 政府信息公开年报 (annualreport#2629)"))
    assert site.entry_url == "https://whly.gd.gov.cn/gkmlpt/annualreport#2629"
    assert (site.sid_hint, site.group, site.allowed_hosts) == ("175", "省直", ["whly.gd.gov.cn"])
    doubtful = site_from_row(_row(sid="(755325 used for all 12 — dubious)", confidence="C",
                                  base="https://com.gd.gov.cn (also commerce.gd.gov.cn)"))
    assert doubtful.sid_hint == "" and "755325" in doubtful.notes
    assert doubtful.allowed_hosts == ["com.gd.gov.cn", "commerce.gd.gov.cn"]
    assert not doubtful.enabled and "grade C" in doubtful.disabled_reason


def test_a_slug_made_twice_is_an_error():
    with pytest.raises(CatalogueError, match="gz-jyj made twice"):
        catalogue_rows([_row(), _row(body="广州市教育局（重复）")])


def test_hand_written_rows_win():
    hand = {"gz-schools": {"name": "广州市教育局", "entry_urls": ["https://jyj.gz.gov.cn/"]}}
    assert catalogue_rows([_row()], hand) == []


def test_site_takes_slugs_globs_and_groups():
    dongguan = {s.slug for s in CONFIG.select(["dg-*"])}
    assert {"dg-fenggang", "dg-im"} <= dongguan and "dg-zjj" not in dongguan  # disabled
    assert {s.slug for s in CONFIG.select(None, ["东莞市"])} == dongguan
    assert {s.slug for s in CONFIG.select(["东莞市"])} == dongguan
    assert [s.slug for s in CONFIG.select(["dg-zjj"])] == ["dg-zjj"]  # by name: even disabled
    both = CONFIG.select(["huadu-*", "gz-jyj"])
    assert {s.slug for s in both} == {"huadu-shiling", "huadu-chini", "huadu-kgsx", "huadu-wglt",
                                      "huadu-huashan", "gz-jyj"}
    with pytest.raises(SiteConfigError, match="xx-"):
        CONFIG.select(["xx-*"])
    with pytest.raises(SiteConfigError, match="火星市"):
        CONFIG.select(None, ["火星市"])


def test_bad_sid_hint_and_missing_group(tmp_path):
    path = tmp_path / "sites.toml"
    good = ('[sites.x-y]\nname = "n"\nregion = "广东省东莞市"\n'
            'entry_urls = ["http://a.gov.cn/gkmlpt/index"]\nallowed_hosts = ["a.gov.cn"]\n')
    path.write_text(good + 'sid_hint = "7a"\n', encoding="utf-8")
    with pytest.raises(SiteConfigError, match="'sid_hint'"):
        load_sites(path)
    path.write_text(good.replace("广东省东莞市", "某地"), encoding="utf-8")
    with pytest.raises(SiteConfigError, match="'group'"):
        load_sites(path)
    path.write_text(good, encoding="utf-8")
    assert load_sites(path).sites["x-y"].group == "东莞市"


def test_a_crawl_gets_concurrency_for_every_host_of_its_sites():
    """Politeness is per host; the global limit must not leave hosts waiting (the province
    benchmark measures what it buys)."""
    from archive.crawl import CrawlOptions, crawl_settings

    hosts = {h for site in CONFIG.select(None) for h in site.allowed_hosts}
    everything = crawl_settings(CrawlOptions())
    assert len(hosts) > 100 and everything.getint("CONCURRENT_REQUESTS") >= 2 * len(hosts)
    assert everything.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert everything.get("SCHEDULER_PRIORITY_QUEUE").endswith("DownloaderAwarePriorityQueue")
    assert everything.getfloat("DOWNLOAD_DELAY_JITTER") <= 0.1
    assert crawl_settings(CrawlOptions(sites=["huadu-*"])).getint("CONCURRENT_REQUESTS") == 32
