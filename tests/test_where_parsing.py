"""The pure parsers of where reports are: report columns (NFCMS), the search service's JSONP,
report ownership in shared columns, and generated titles of every shape a column shows."""

from __future__ import annotations

import json
import random

import pytest

from crawler.claims import Claims, body_names, named_body
from crawler.platforms import PlatformError
from crawler.platforms.gdsearch import parse_search_page, search_ends, search_url
from crawler.platforms.nfcms import (column_page_url, column_root, content_source, is_column_url,
                                     parse_column_page)

COLUMN = "https://www.huadu.gov.cn/xxgk/xxgkml/xxgknb/gzj/"
SYLLABLES = "凤岗清溪狮岭赤坭炭步新华花东梯面秀全雅瑶横沥常平石排桥头道滘洪梅沙田虎门厚街长安"
TITLE_SHAPES = ("{full}{year}年政府信息公开工作年度报告", "{district}{town}{year}年度政府信息公开工作年度报告",
                "{town}{year}年政府信息公开工作年度报告", "{year}年{town}政府信息公开工作 年度报告",
                "{town}政府信息公开工作年度报告", "{city}{district}{town}人民政府{year}年政府信息公开年报")


def test_column_pages_in_both_markups():
    relative = ('<ul><li><a href="./content/post_11319746.html" title="狮岭镇2023年报告">狮岭镇…</a>'
                '<span class="date">2024-01-31</span></li>'
                '<li><a href="./content/post_11319746.html">again</a></li>'
                '<li><a href="/xxgk/">首页</a></li></ul><a href="index_2.html">下一页</a>')
    page = parse_column_page(relative, COLUMN + "index.html")
    assert [(i.post_id, i.title, i.date) for i in page.items] == [("11319746", "狮岭镇2023年报告",
                                                                   "2024-01-31")]
    assert page.items[0].url == COLUMN + "content/post_11319746.html" and page.pages is None
    table = (f'<table><tr><td><a href="{COLUMN}content/post_7.html">甲</a></td><td>2020-01-02</td>'
             '</tr></table><script>createPageHTML(3, 1, "index", "html");</script>')
    page = parse_column_page(table, COLUMN + "index_2.html")
    assert page.pages == 3 and page.items[0].post_id == "7" and page.items[0].date == ""
    assert column_root(COLUMN + "index_2.html") == COLUMN
    assert [column_page_url(COLUMN + "index.html", n) for n in (1, 2)] == [
        COLUMN + "index.html", COLUMN + "index_2.html"]
    assert is_column_url(COLUMN) and is_column_url(
        "http://www.dg.gov.cn/zwgk/zfxxgkml/fgz/zfxxgkgzndbg/")
    assert not is_column_url("http://www.dg.gov.cn/fg/")
    assert not is_column_url("https://www.huadu.gov.cn/gzhdslz/gkmlpt/annualreport")
    assert content_source({"ContentSource": " 赤坭镇 "}, "") == "赤坭镇"
    assert content_source({}, "<span>来源：广州市花都区新华街道办事处</span>") == "广州市花都区新华街道办事处"


def test_search_jsonp_pages_and_refusals():
    hits = [{"id": str(n), "title": f"<em>年度报告</em>{n}", "url": f"http://x/post_{n}.html",
             "pub_time": "2021-01-02", "isgkml": 1,
             "attachment": json.dumps([{"id": 1, "name": "a.pdf", "url": "http://x/a.pdf"}])}
            for n in range(3)]
    body = f"gkarchive({json.dumps({'results': hits, 'count': 53})});".encode()
    page = parse_search_page(body)
    assert [h.title for h in page.hits] == ["年度报告0", "年度报告1", "年度报告2"]
    assert page.count == 53 and page.hits[0].attachments[0]["name"] == "a.pdf"
    assert not search_ends(page, 1, 3) and search_ends(page, 2, 3, page_size=30)
    assert search_ends(page, 1, 0)  # nothing new: a service repeating itself ends too
    for bad in (b'{"errcode":-1,"errmsg":"\xe8\xb0\x83\xe7\x94\xa8\xe5\xa4\xb1\xe8\xb4\xa5"}',
                b"<html>502</html>", b'{"results":[]}'):
        with pytest.raises(PlatformError):
            parse_search_page(bad)
    assert "page=1&" in search_url("http://search.gd.gov.cn/jsonp/site/2", "年报", 1)


def _random_body(rng: random.Random) -> dict[str, str]:
    pick = lambda n: "".join(rng.sample(SYLLABLES, n))  # noqa: E731
    city, district, town = pick(2) + "市", pick(2) + "区", pick(2) + rng.choice(("镇", "街道"))
    suffix = "人民政府" if town.endswith("镇") else "办事处"
    return {"city": city, "district": district, "town": town,
            "full": f"{city}{district}{town}{suffix}", "year": str(rng.randint(2008, 2025))}


@pytest.mark.parametrize("seed", range(40))
def test_generated_titles_are_claimed_by_their_body_only(seed):
    rng = random.Random(seed)
    ours, theirs = _random_body(rng), _random_body(rng)
    if ours["town"][:2] == theirs["town"][:2]:
        pytest.skip("two random bodies share a name")
    claims = Claims({"ours": body_names(ours["full"])})
    for shape in TITLE_SHAPES:
        assert claims.claim(shape.format(**ours)).site == "ours", shape.format(**ours)
        other = claims.claim(shape.format(**theirs))
        assert other.site is None and theirs["town"] in other.body, shape.format(**theirs)
    anonymous = f"{ours['year']}年政府信息公开工作年度报告"
    assert claims.claim(anonymous) == claims.claim(anonymous, "") and not named_body(anonymous)
    assert claims.claim(anonymous, ours["full"]).site == "ours"
    assert claims.claim(anonymous, theirs["full"]).site is None


def test_aliases_and_longest_name_wins():
    claims = Claims({"a": body_names("广州市花都区狮岭镇人民政府", ("狮岭",)),
                     "b": body_names("广州市花都区人民政府")})
    assert claims.claim("狮岭2021年政府信息公开年报").site == "a"
    assert claims.claim("广州市花都区狮岭镇2021年政府信息公开工作年度报告").site == "a"
    assert claims.claim("广州市花都区2021年政府信息公开工作年度报告").site == "b"


def test_report_category_named_just_nianbao_is_found():
    from crawler.platforms.gkmlpt import Category, find_report_categories

    tree = [Category(1, "年度报告"), Category(2, "年报"), Category(3, "政府信息公开年报"),
            Category(4, "企业年报", jump_url=""), Category(5, "年度报告", jump_url="http://x/"),
            Category(6, "统计年鉴"), Category(7, "本机关信息公开工作年度报告")]
    assert [c.id for c in find_report_categories(tree)] == [1, 2, 3, 7]


def test_list_page_end_rules():
    from crawler.platforms.gkmlpt import parse_list_page

    page = lambda **kw: parse_list_page(json.dumps(kw))  # noqa: E731
    arts = [{"id": n} for n in range(37)]
    assert page(total=137, offset=100, articles=arts).is_last(2)
    assert not page(total=221, offset=100, articles=arts).is_last(2)  # short page, not the end
    assert page(total=137, articles=arts).is_last(2)  # no offset: page 2 starts at 100
    assert page(total=5, offset=0, articles=[]).is_last(1)
    assert not page(articles=arts).is_last(9)  # no total: only "nothing new" ends it
