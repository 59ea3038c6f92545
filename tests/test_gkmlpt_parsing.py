"""The gkmlpt platform parsers (``crawler.platforms.gkmlpt``) edge by edge: URLs, shell config, TREE,
list pages, detail pages and the attachment union. Pure functions on hand-written strings;
``test_platform_parsing.py`` has the spec-shaped examples, the crawl tests the real pages.
"""

from __future__ import annotations

import json

import pytest

from crawler.platforms import gkmlpt, merge_attachments
from crawler.platforms.gkmlpt import AttachmentRef, PlatformError

BASE = "https://www.huadu.gov.cn/gzhdslz/gkmlpt/content/1/1/post_1.html"


def _error(function, *args) -> str:
    with pytest.raises(PlatformError) as raised:
        function(*args)
    return str(raised.value)


# --- URLs ----------------------------------------------------------------------------------

def test_gkmlpt_base_takes_the_first_gkmlpt_segment():
    assert gkmlpt.gkmlpt_base("https://a.gov.cn/p/gkmlpt/x/gkmlpt/y#3") == "https://a.gov.cn/p/gkmlpt/"
    assert gkmlpt.gkmlpt_base("/gkmlpt/index") == "/gkmlpt/"  # the marker at position 0
    assert gkmlpt.gkmlpt_base("https://a.gov.cn/p/gkmlpt") == "https://a.gov.cn/p/gkmlpt/"
    assert gkmlpt.gkmlpt_base("https://a.gov.cn/p/gkmlpt#6198") == "https://a.gov.cn/p/gkmlpt/"


def test_a_url_outside_gkmlpt_is_a_platform_error_naming_it():
    assert _error(gkmlpt.gkmlpt_base, "https://a.gov.cn/news/") == \
        "https://a.gov.cn/news/ is not a gkmlpt URL"
    assert _error(gkmlpt.gkmlpt_base, "https://a.gov.cn/GKMLPT") == \
        "https://a.gov.cn/GKMLPT is not a gkmlpt URL"


def test_list_api_url_with_and_without_sid():
    assert gkmlpt.list_api_url("https://a/gkmlpt/", 6198, 3, "200123") == \
        "https://a/gkmlpt/api/all/6198?page=3&sid=200123"
    assert gkmlpt.list_api_url("https://a/gkmlpt/", 6198, 3, "") == \
        "https://a/gkmlpt/api/all/6198?page=3"


def test_fragment_category():
    assert gkmlpt.fragment_category("https://a/gkmlpt/index# 2680 x") == 2680
    assert gkmlpt.fragment_category("https://a/gkmlpt/index#x2680") is None


# --- shell config and TREE -----------------------------------------------------------------

def _shell(body: str) -> str:
    return f"<html><script>var x = 1; window._CONFIG = {{ {body} }};</script></html>"


def test_shell_without_tree_sid_or_app_url():
    shell = gkmlpt.parse_shell_config(_shell("ACTION: 'index'"))
    assert (shell.sid, shell.tree, shell.app_url) == (None, [], None)


def test_shell_errors_say_what_is_wrong():
    assert _error(gkmlpt.parse_shell_config, "<html>no config</html>") == "no window._CONFIG in page"
    assert _error(gkmlpt.parse_shell_config, _shell('TREE: {"id": 1}')) == \
        "TREE in window._CONFIG is not a list"
    message = _error(gkmlpt.parse_shell_config, _shell("TREE: [{'id': 1}]"))
    assert message.startswith("TREE in window._CONFIG is not JSON: ")


def test_json_after_a_missing_key():
    with pytest.raises(PlatformError, match=r"^no DETAIL in window\._CONFIG$"):
        gkmlpt._json_after("window._CONFIG = { A: 1 }", "DETAIL")


def test_tree_nodes_flattened_with_defaults_and_bad_nodes_skipped():
    tree = [
        "not a node", {"name": "no id"},
        {"id": "7", "name": "政府信息 公开年报", "parent": None, "post_count": 4, "jump_url": None},
        {"id": 8, "parent": 7, "post_count": 0, "jump_url": "http://x/",
         "children": [{"id": 9, "name": "年报", "parent": 8}]},
    ]
    shell = gkmlpt.parse_shell_config(_shell(f"SID: '5', TREE: {json.dumps(tree)}"))
    assert [(c.id, c.name, c.parent, c.post_count, c.jump_url) for c in shell.tree] == [
        (7, "政府信息 公开年报", 0, 4, ""), (8, "", 7, 0, "http://x/"), (9, "年报", 8, None, "")]


def test_report_categories_by_name_skip_links_and_need_disclosure():
    tree = [gkmlpt.Category(1, "年度报告", jump_url="http://elsewhere/"),
            gkmlpt.Category(2, "政务公开 年报"), gkmlpt.Category(3, "年度报告"),
            gkmlpt.Category(4, "信息公开"), gkmlpt.Category(5, "信息公开年报")]
    # a node named just 年度报告 or 年报 is the annual-report category too (issue 13)
    assert [c.id for c in gkmlpt.find_report_categories(tree)] == [2, 3, 5]


def test_gkmlpt_link_on_a_portal_root():
    base = "http://www.dg.gov.cn/fg/"
    assert gkmlpt.find_gkmlpt_link('<a href="/fg/news/">x</a><a href=" /dgfgz/gkmlpt">y</a>',
                                   base) == "http://www.dg.gov.cn/dgfgz/gkmlpt"
    assert gkmlpt.find_gkmlpt_link('<a href="/gkmlpt">y</a>', base) == "http://www.dg.gov.cn/gkmlpt"
    assert gkmlpt.find_gkmlpt_link('<a href="/fg/news/">x</a>', base) is None
    assert gkmlpt.find_gkmlpt_link("", base) is None


# --- list pages ----------------------------------------------------------------------------

def test_list_page_defaults_and_errors():
    page = gkmlpt.parse_list_page(b'{"total": "12", "articles": [{"id": 1}]}')
    assert (page.total, page.classify, [a["id"] for a in page.articles]) == (None, {}, [1])
    page = gkmlpt.parse_list_page('{"total": 2, "classify": {"id": 5}}')
    assert (page.total, page.classify, page.articles) == (2, {"id": 5}, [])
    assert _error(gkmlpt.parse_list_page, "[1, 2]") == "list API answer has no articles list"
    assert _error(gkmlpt.parse_list_page, '{"articles": {"id": 1}}') == \
        "list API answer has no articles list"
    assert _error(gkmlpt.parse_list_page, b"\xff{").startswith("list API answer is not JSON: ")
    assert _error(gkmlpt.parse_list_page, "{").startswith("list API answer is not JSON: ")


# --- detail pages --------------------------------------------------------------------------

def _page(head: str = "", body: str = "", config: str | None = None) -> str:
    script = f"<script>window._CONFIG = {{ {config} }};</script>" if config is not None else ""
    return f"<html><head>{head}</head><body>{body}{script}</body></html>"


def test_detail_meta_and_classify_table():
    page = _page('<meta name="ArticleTitle" content="标题"><meta name="Keywords">'
                 '<meta content="nameless">',
                 '<div class="classify"><table><tr>'
                 '<td><label>发布 机构</label><label>：</label><span>凤岗镇</span><span>人民政府</span></td>'
                 '<td><label></label><span>x</span></td></tr></table></div>'
                 '<div class="article-content"><p>正文</p></div>')
    detail = gkmlpt.parse_detail_page(page)
    assert detail.meta == {"ArticleTitle": "标题", "Keywords": ""}
    assert detail.classify_table == {"发布机构": "凤岗镇 人民政府"}
    assert (detail.title, detail.template, detail.detail) == ("标题", "portal", None)
    assert detail.content_html == '<div class="article-content"><p>正文</p></div>'


def test_a_config_without_detail_is_a_portal_template_page():
    page = _page(body='<h1 class="content-title"> 年度报告 </h1><div class="content">正文</div>',
                 config="SID: '1', TREE: []")
    detail = gkmlpt.parse_detail_page(page)
    assert (detail.template, detail.title, detail.detail) == ("portal", "年度报告", None)
    assert detail.content_html == '<div class="content">正文</div>'


def test_detail_that_is_not_an_object_falls_back_to_the_page():
    page = _page(body="<h1>页面标题</h1>", config="DETAIL: null")
    detail = gkmlpt.parse_detail_page(page)
    assert (detail.template, detail.title, detail.content_html, detail.detail) == \
        ("portal", "页面标题", "", None)


def test_detail_without_title_or_content_takes_them_from_the_page():
    page = _page('<meta name="ArticleTitle" content=" 元标题 ">',
                 '<h1>页面标题</h1><div class="article-content">正文</div>',
                 config='DETAIL: {"id": 1}')
    detail = gkmlpt.parse_detail_page(page)
    assert (detail.template, detail.title, detail.detail) == ("gkmlpt", "元标题", {"id": 1})
    assert detail.content_html == '<div class="article-content">正文</div>'
    bare = gkmlpt.parse_detail_page(_page(body="<h1> 页面标题 </h1>", config='DETAIL: {"id": 1}'))
    assert (bare.title, bare.content_html) == ("页面标题", "")


def test_portal_template_title_only_from_its_content_title():
    page = _page(body='<h1 class="logo">网站</h1><h1 class="content-title">报告</h1>')
    assert gkmlpt.parse_detail_page(page).title == "报告"
    assert gkmlpt.parse_detail_page(_page(body="<p>无标题</p>")).title == ""


# --- attachments ---------------------------------------------------------------------------

def test_body_links_which_count_and_how_they_are_named():
    content = (
        '<a href="/fg/news/1.html">新闻</a>'
        '<a href="1.pdf" class="nfw-cms-attachment" attachment-id="77">报告.pdf</a>'
        '<a href="/attachment/0/1/2/3.docx" title="附表.docx">点击下载</a>'
        '<a href="/attachment/0/1/2/4.xls" attachment-id="x9">点击下载</a>'
        '<a href="/attachment/0/1/2/5.doc" alt="别名.doc" title="标题.doc">文本</a>')
    refs = gkmlpt.body_attachment_links(content, BASE)
    assert [(r.url, r.name, r.attachment_id, r.listed_in) for r in refs] == [
        ("https://www.huadu.gov.cn/gzhdslz/gkmlpt/content/1/1/1.pdf", "报告.pdf", 77, {"body"}),
        ("https://www.huadu.gov.cn/attachment/0/1/2/3.docx", "附表.docx", None, {"body"}),
        ("https://www.huadu.gov.cn/attachment/0/1/2/4.xls", "", None, {"body"}),
        ("https://www.huadu.gov.cn/attachment/0/1/2/5.doc", "别名.doc", None, {"body"}),
    ]
    assert gkmlpt.body_attachment_links("  ", BASE) == []


def test_api_attachments_skip_entries_without_url():
    article = {"attachment": ["x", {"name": "无地址"}, {"id": "12", "url": "/attachment/a.pdf"},
                              {"id": "1a", "url": "b.doc", "name": "乙.doc"}]}
    refs = gkmlpt.api_attachments(article, BASE)
    assert [(r.url, r.name, r.attachment_id, r.listed_in, r.api_entry) for r in refs] == [
        ("https://www.huadu.gov.cn/attachment/a.pdf", "", 12, {"api"}, article["attachment"][2]),
        ("https://www.huadu.gov.cn/gzhdslz/gkmlpt/content/1/1/b.doc", "乙.doc", None, {"api"},
         article["attachment"][3]),
    ]
    assert gkmlpt.api_attachments({"attachment": None}, BASE) == []


def test_merge_keeps_one_ref_per_url_and_remembers_both_lists():
    api = AttachmentRef("https://h/attachment/1.pdf", "", None, {"api"}, {"id": 1})
    body = AttachmentRef("https://h/attachment/1.pdf#page=2", "链接名.pdf", 41, {"body"})
    named_api = AttachmentRef("https://h/attachment/2.doc", "接口名.doc", 2, {"api"}, {"id": 2})
    named_body = AttachmentRef("https://h/attachment/2.doc", "链接名.doc", 3, {"body"})
    body_first = AttachmentRef("https://h/attachment/3.xls", "", None, {"body"})
    api_later = AttachmentRef("https://h/attachment/3.xls", "", 33, {"api"}, {"id": 33})
    merged = merge_attachments([api, named_api], [body, named_body, body_first],
                                      [api_later])
    assert [(r.url, r.name, r.attachment_id, r.listed_in, r.api_entry) for r in merged] == [
        ("https://h/attachment/1.pdf", "链接名.pdf", 41, {"api", "body"}, {"id": 1}),
        ("https://h/attachment/2.doc", "接口名.doc", 2, {"api", "body"}, {"id": 2}),
        ("https://h/attachment/3.xls", "attachment-33.xls", 33, {"api", "body"}, {"id": 33}),
    ]


def test_a_nameless_attachment_gets_a_name_from_its_id_and_extension():
    refs = merge_attachments([AttachmentRef("https://h/attachment/7", "", None, {"api"}),
                                     AttachmentRef("https://h/attachment/8.PDF", "", 8, {"body"})])
    assert [r.name for r in refs] == ["attachment-unnamed", "attachment-8.pdf"]


@pytest.mark.parametrize("url, ext", [
    ("https://h/attachment/1.PDF", "pdf"), ("https://h/a.b/attachment", ""),
    ("https://h/attachment/1.tar.gz?x=1", "gz"), ("https://h/", ""),
])
def test_attachment_extension_from_the_url_path(url, ext):
    assert AttachmentRef(url, "n").ext == ext


def test_edges_of_links_labels_and_detail_objects():
    assert gkmlpt.find_gkmlpt_link('<a href="/x/gkmlptX">y</a>', "http://h/") is None
    page = _page(body='<div class="classify"><table><tr><td><label>编号 TAX：</label>'
                      '<span>1</span></td></tr></table></div>')
    assert gkmlpt.parse_detail_page(page).classify_table == {"编号TAX": "1"}
    listed = gkmlpt.parse_detail_page(_page(body="<h1>标题</h1>", config="DETAIL: [1, 2]"))
    assert (listed.template, listed.detail, listed.title) == ("portal", None, "标题")


def test_an_href_with_trailing_whitespace_still_links_the_catalogue():
    assert gkmlpt.find_gkmlpt_link('<a href="/dgfgz/gkmlpt ">y</a>', "http://h/") == \
        "http://h/dgfgz/gkmlpt"
