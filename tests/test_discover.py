"""`gkarchive sites discover`: guide pages, a city's list of bodies, unassigned reports (the
m006 table, or none), pluggable page kinds; pages fetched through the simulated portal."""

import sqlite3
import subprocess
import tomllib

from archive.db import open_db
from archive.discover import Proposal, discover_page, names_a_body
from tests.crawl_support import GKARCHIVE, PORTAL_SITES, REPO
from tests.portal import Portal
from tests.portal.province import build_province, install

GUIDE = """<html><head><title>政府信息公开指南</title></head><body>
<script>window._CONFIG = { SID: '769130', SITE_NAME: '东莞市麻涌镇人民政府', TREE: [] };</script>
<h1>东莞市麻涌镇人民政府政府信息公开指南</h1>
<p>本机关政府信息公开目录：<a href="/dgmcz/gkmlpt/index">/dgmcz/gkmlpt/index</a></p>
<p>相关链接：<a href="http://www.dg.gov.cn/dgfgz/gkmlpt/index">东莞市凤岗镇人民政府</a>
<a href="https://amr.dg.gov.cn/gkmlpt/index#21">东莞市市场监督管理局</a></p>
</body></html>"""

BODIES = """<html><body><div class="bmlist"><a href="/">首页</a><a href="/zwgk/">政务公开</a>
<a href="http://www.dg.gov.cn/dghjz/">东莞市黄江镇人民政府</a>
<a href="http://www.dg.gov.cn/dgtxz/">东莞市塘厦镇人民政府</a>
<a href="https://jyj.dg.gov.cn/">东莞市教育局</a>
<a href="https://sfj.dg.gov.cn/gkmlpt/index">东莞市司法局</a>
<a href="https://www.gdzwfw.gov.cn/">广东政务服务网</a></div></body></html>"""


def discover(portal_url, db, *urls, sites=PORTAL_SITES):
    return subprocess.run([*GKARCHIVE, "sites", "discover", *urls, "--sites", str(sites),
                           "--db", str(db), "--proxy", portal_url, "--delay", "0"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)


def proposed(stdout: str) -> dict:
    return tomllib.loads(stdout).get("sites", {})


def test_discover_pages_through_the_portal(tmp_path):
    province = build_province(sites=1, hosts=1, news=(3,), reports=(1, 1), pdf=b"%PDF tiny")
    province.pages.update({"www.dg.gov.cn/dgmcz/gkmlpt/guide": GUIDE,
                           "www.dg.gov.cn/zwgk/bmlist/": BODIES,
                           "h00.sim.gd.gov.cn/plain/": "<html><p>新闻</p></html>"})
    db = tmp_path / "archive.db"
    with install(Portal(), province) as portal:
        result = discover(portal.url, db, "http://www.dg.gov.cn/dgmcz/gkmlpt/guide",
                          "http://www.dg.gov.cn/zwgk/bmlist/", "http://h00.sim.gd.gov.cn/plain/",
                          "http://h00.sim.gd.gov.cn/missing/")
    assert result.returncode == 0, result.stderr[-3000:]
    sites = proposed(result.stdout)
    by_name = {s["name"]: s for s in sites.values()}
    # 凤岗 is configured (the fixture sites file); 首页, 政务公开 and 广东政务服务网 name no body.
    assert set(by_name) == {"东莞市麻涌镇人民政府", "东莞市市场监督管理局", "东莞市塘厦镇人民政府",
                            "东莞市黄江镇人民政府", "东莞市教育局", "东莞市司法局"}, result.stdout
    assert by_name["东莞市麻涌镇人民政府"]["entry_urls"] == ["http://www.dg.gov.cn/dgmcz/gkmlpt/index"]
    assert by_name["东莞市市场监督管理局"]["entry_urls"] == ["https://amr.dg.gov.cn/gkmlpt/index"]
    assert by_name["东莞市塘厦镇人民政府"]["entry_urls"] == ["http://www.dg.gov.cn/dgtxz/gkmlpt/index"]
    assert by_name["东莞市教育局"]["entry_urls"] == ["https://jyj.dg.gov.cn/gkmlpt/index"]
    assert {"dg-machong", "dg-tangsha", "dg-jyj", "dg-amr"} <= set(sites)
    for slug, site in sites.items():
        assert slug.startswith("dg-") and site["enabled"] is False and site["group"] == "东莞市"
    assert "gkmlpt-guide, 3 bodies" in result.stdout and "body-list, 4 bodies" in result.stdout
    assert "plain/: no page kind matched" in result.stdout
    assert "missing/: not fetched (http_error" in result.stdout
    with sqlite3.connect(db) as conn:
        kinds = {kind for (kind,) in conn.execute("SELECT DISTINCT kind FROM fetches")}
    assert "discover" in kinds  # archived like any fetch


def test_unassigned_reports_become_proposals_and_their_absence_is_fine(tmp_path):
    db = tmp_path / "archive.db"
    with Portal() as portal:
        none = discover(portal.url, db)
        assert none.returncode == 0 and "0 new sites" in none.stdout, none.stderr
        open_db(db).conn.close()  # an archive at the current schema (m006 included)
        with sqlite3.connect(db) as conn:  # the table of migration m006, as a crawl fills it
            conn.execute("PRAGMA foreign_keys = OFF")  # runs 1 and 1 stand for real runs
            column = "https://www.huadu.gov.cn/xxgk/xxgkml/xxgknb/gzj/"
            rows = [(f"{column}content/post_{n}.html", body, f"{body}{year}年政府信息公开工作年度报告",
                     year, column, "huadu-shiling", 1, 1)
                    for n, (body, year) in enumerate([("广州市花都区炭步镇人民政府", 2021),
                                                      ("广州市花都区炭步镇人民政府", 2022),
                                                      ("广州市花都区狮岭镇人民政府", 2022)])]
            conn.executemany("INSERT INTO unassigned_reports VALUES (?,?,?,?,?,?,?,?)", rows)
        some = discover(portal.url, db)
    assert some.returncode == 0, some.stderr
    sites = proposed(some.stdout)
    assert list(sites) == ["huadu-tanbu"], some.stdout  # 狮岭 is configured already
    site = sites["huadu-tanbu"]
    assert site["entry_urls"] == [column] and "base unknown" in site["disabled_reason"]
    assert "2 reports" in site["notes"]


class FakeDirectory:
    name = "ucap-directory"

    def matches(self, url, page):
        return "ucap" in url

    def discover(self, url, page):
        return [Proposal("赣州市章贡区人民政府", "https://www.zgq.gov.cn", url, self.name)]


def test_page_kinds_are_pluggable():
    page = "<a href='http://x.gov.cn/a/'>某某市某局</a>" * 3
    assert discover_page("https://www.ganzhou.gov.cn/ucap/dir", page,
                         [FakeDirectory()]).proposals[0].name == "赣州市章贡区人民政府"
    assert discover_page("https://www.ganzhou.gov.cn/ucap/dir", page).kind == "body-list"
    assert discover_page("https://www.ganzhou.gov.cn/other", "<p>x</p>",
                         [FakeDirectory()]).kind is None
    assert names_a_body("东莞市教育局") and not names_a_body("政务公开") and not names_a_body("首页")


UCAP_DIRECTORY = "https://gzjkq.ganzhou.gov.cn/jkqxxgk/"


def test_a_ucap_directory_proposes_each_units_report_column(tmp_path):
    """The directory page is fetched by the crawler, its unit pages politely through the same
    proxy; each unit with a 年度报告 column is a ucap row, and configured columns are not new."""
    from tests.ucap_portal import UcapPortal

    with UcapPortal() as portal:
        result = discover(portal.url, tmp_path / "a.db", UCAP_DIRECTORY)
        known = discover(portal.url, tmp_path / "b.db", UCAP_DIRECTORY,
                         sites=REPO / "tests" / "ucap_portal" / "sites.toml")
    assert result.returncode == 0, result.stderr[-3000:]
    sites = proposed(result.stdout)
    assert {tuple(s["entry_urls"]) for s in sites.values()} == {
        (UCAP_DIRECTORY + "c110595/",), (UCAP_DIRECTORY + "c110022/",),
        (UCAP_DIRECTORY + "c110040/",)}, result.stdout
    assert {s["platform"] for s in sites.values()} == {"ucap"}
    assert "ucap-directory, 3 bodies" in result.stdout
    assert known.returncode == 0, known.stderr[-3000:]
    assert proposed(known.stdout) == {} and "0 new sites proposed" in known.stdout
