"""The simulated portal's where-reports-are behaviours over real loopback HTTP: the list
window, the search JSONP service, jump entries, link shapes, empty anchors, report columns."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

from tests.portal import Portal
from tests.test_portal import api, fetch

REPORT = quote("年度报告")


def search(portal, sid: str, page: int = 1, text: str = REPORT, callback: str | None = "cb"):
    query = f"page={page}&pagesize=5&text={text}&position=title"
    query += f"&callback={callback}" if callback else ""
    return fetch(portal, f"http://search.gd.gov.cn/jsonp/site/{sid}?{query}")


def jsonp(body: bytes) -> dict:
    match = re.fullmatch(rb"cb\((.*)\);", body, re.DOTALL)
    assert match, body[:200]
    return json.loads(match.group(1))


def test_list_window_hides_old_posts_that_search_still_finds():
    with Portal(faults={"list_window"}) as p:
        listing = json.loads(fetch(p, api("http://www.dg.gov.cn/dgfgz", 2680, 1))[2])
        assert listing["offset"] == 0 and listing["total"] < listing["classify"]["post_count"]
        listed = {a["id"] for a in listing["articles"]}
        truth = {r.year: r.post_id for r in p.expected()["dg-fenggang"].reports}
        assert truth[2019] not in listed and truth[2020] not in listed and truth[2023] in listed
        found, page = set(), 1
        while True:
            hits = jsonp(search(p, "769120", page)[2])
            if not hits["results"]:
                break
            found |= {int(r["id"]) for r in hits["results"]}
            page += 1
        assert set(truth.values()) <= found and hits["count"] == len(found)
        first = jsonp(search(p, "769120")[2])["results"][0]
        assert "<em>年度报告</em>" in first["title"] and isinstance(first["attachment"], str)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", first["pub_time"]) and first["isgkml"] == 1


def test_search_protocol_errors():
    with Portal() as p:
        status, _, body = search(p, "769120", callback=None)
        assert status == 200 and json.loads(body)["errcode"] == -1
        assert jsonp(search(p, "769120", page=0)[2])["results"] == []
        assert jsonp(search(p, "999999")[2]) == {"results": [], "count": 0}


def test_jump_entries_link_styles_and_empty_hrefs():
    switches = {"jump_entries", "http_links", "link_decor", "bare_host", "empty_href"}
    with Portal(faults=switches) as p:
        arts = json.loads(fetch(p, api("https://www.huadu.gov.cn/gzhdslz", 6198, 1))[2])["articles"]
        jump = [a for a in arts if a["type"] == "url"]
        assert len(jump) == 1 and "gz.gov.cn" in jump[0]["url"]
        normal = [a for a in arts if a["type"] == "normal"]
        assert all(a["url"].startswith("http://huadu.gov.cn/") for a in normal)
        assert all(a["url"].endswith("?jump=true") or re.search(r"#\d+$", a["url"]) for a in normal)
        report = next(r for r in p.expected()["huadu-shiling"].reports if r.year == 2022)
        html = fetch(p, report.detail_url)[2].decode()
        assert re.search(r'<a class="nfw-cms-attachment" attachment-id="\d+" href="" alt=', html)
        assert fetch(p, "http://dg.gov.cn/dgfgz/gkmlpt/index")[0] == 200


@pytest.mark.parametrize("markup", [set(), {"column_markup_b"}])
def test_report_columns_pages_and_unassigned(markup):
    with Portal(faults={"portal_columns"} | markup) as p:
        column = "https://www.huadu.gov.cn/xxgk/xxgkml/xxgknb/gzj/"
        ids, page = [], 1
        while True:
            url = column + ("index.html" if page == 1 else f"index_{page}.html")
            status, _, body = fetch(p, url)
            if status == 404:
                break
            ids += [int(i) for i in re.findall(r"content/post_(\d+)\.html", body.decode())]
            page += 1
        assert page == 4 and fetch(p, column)[0] == 200
        truth = p.expected()
        own = {r.post_id for s in ("huadu-shiling", "huadu-chini") for r in truth[s].reports}
        others = {int(u.url.rsplit("_", 1)[1].split(".")[0]) for u in p.unassigned()}
        assert set(ids) == own | others and len(others) == 5
        only = next(r for r in truth["huadu-chini"].reports if r.year == 2019)
        html = fetch(p, only.detail_url)[2].decode()
        assert 'name="ContentSource" content="广州市花都区赤坭镇人民政府"' in html
        assert 'class="content-title"' in html
