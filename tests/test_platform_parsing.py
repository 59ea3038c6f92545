"""The gkmlpt platform parsers on hand-written pages shaped like the spec's examples."""

import json

import pytest

from crawler.platforms import PlatformError, merge_attachments
from crawler.platforms import gkmlpt
from crawler.selection import is_annual_report_title, parse_year_range, report_year

SHELL = """<html><head><script>
window._CONFIG = { APP_URL: 'https://www.huadu.gov.cn/gzhdslz', SID: '200123',
  TREE: [{"id":6198,"name":"政府信息公开年报","parent":0,"post_count":7,"jump_url":"","children":[]},{"id":7000,"name":"工作动态","parent":0,"post_count":130,"jump_url":"","children":[{"id":7001,"name":"政府信息公开工作年度报告","parent":7000,"post_count":2,"jump_url":"","children":[]}]},{"id":7100,"name":"年度报告","parent":0,"post_count":0,"jump_url":"http://elsewhere/","children":[]}], SERVICE_AREA_ID: 4, ACTION: 'index' };
</script></head><body></body></html>"""


def test_shell_config_sid_tree_and_categories_by_name():
    shell = gkmlpt.parse_shell_config(SHELL)
    assert shell.sid == "200123"
    assert shell.app_url == "https://www.huadu.gov.cn/gzhdslz"
    assert [c.id for c in shell.tree] == [6198, 7000, 7001, 7100]
    assert [c.id for c in gkmlpt.find_report_categories(shell.tree)] == [6198, 7001]


def test_shell_without_config_is_a_platform_error():
    with pytest.raises(PlatformError):
        gkmlpt.parse_shell_config("<html><body>portal</body></html>")


def test_urls():
    url = "https://www.huadu.gov.cn/gzhdslz/gkmlpt/annualreport#6198"
    assert gkmlpt.gkmlpt_base(url) == "https://www.huadu.gov.cn/gzhdslz/gkmlpt/"
    assert gkmlpt.fragment_category(url) == 6198
    assert gkmlpt.fragment_category("https://zjj.dg.gov.cn/gkmlpt/index") is None
    assert gkmlpt.list_api_url("https://zjj.dg.gov.cn/gkmlpt/", 0, 2, None) == \
        "https://zjj.dg.gov.cn/gkmlpt/api/all/0?page=2"


def test_portal_root_link():
    page = '<a href="/fg/news/">新闻</a><a href="/dgfgz/gkmlpt/index#2680">信息公开</a>'
    assert gkmlpt.find_gkmlpt_link(page, "http://www.dg.gov.cn/fg/") == \
        "http://www.dg.gov.cn/dgfgz/gkmlpt/index#2680"


def test_list_page_and_malformed_json():
    page = gkmlpt.parse_list_page(json.dumps({"total": 3, "articles": [{"id": 1}, {"x": 2}]}))
    assert page.total == 3 and [a["id"] for a in page.articles] == [1]
    with pytest.raises(PlatformError):
        gkmlpt.parse_list_page(b'{"total": 3, "articles": [{"id"')


DETAIL = {"id": 10899951, "title": "狮岭镇2020年政府信息公开工作年度报告",
          "content": '<p>详见附件</p><a class="nfw-cms-attachment" attachment-id="1658592" '
                     'href="https://www.huadu.gov.cn/attachment/1/1658/1658592/10899951.docx" '
                     'alt="附表.docx">点击下载</a>',
          "attachment": [{"id": 1658591, "name": "报告.pdf",
                          "url": "https://www.huadu.gov.cn/attachment/1/1658/1658591/10899951.pdf"}]}


def _detail_page(detail_json: str) -> str:
    return ('<html><head><meta name="ArticleTitle" content="t"></head><body>'
            '<div class="classify"><table><tr><td><label>索引号：</label><span>X-1</span></td>'
            '</tr></table></div><script>window._CONFIG = { ACTION: \'content\', DETAIL: '
            + detail_json + ', TREE: [], SID: \'1\' };</script></body></html>')


@pytest.mark.parametrize("style", ["plain", "hex"])
def test_detail_both_escaping_styles(style):
    text = json.dumps(DETAIL, ensure_ascii=(style == "hex"))
    if style == "hex":
        text = text.replace("<", "\\u003C").replace('\\"', "\\u0022").replace("/", "\\/")
    detail = gkmlpt.parse_detail_page(_detail_page(text))
    assert detail.template == "gkmlpt"
    assert detail.title == DETAIL["title"]
    assert detail.classify_table == {"索引号": "X-1"}
    refs = merge_attachments(
        gkmlpt.api_attachments(detail.detail, "https://www.huadu.gov.cn/"),
        gkmlpt.body_attachment_links(detail.content_html, "https://www.huadu.gov.cn/"))
    assert [(r.name, sorted(r.listed_in), r.ext) for r in refs] == [
        ("报告.pdf", ["api"], "pdf"), ("附表.docx", ["body"], "docx")]


def test_portal_template_page():
    page = ('<html><body><h1 class="content-title">赤坭镇2022年政府信息公开工作年度报告</h1>'
            '<div class="content"><p>一、总体情况</p></div></body></html>')
    detail = gkmlpt.parse_detail_page(page)
    assert detail.template == "portal"
    assert detail.title.startswith("赤坭镇2022年")
    assert "总体情况" in detail.content_html


@pytest.mark.parametrize("title,in_category,expected", [
    ("东莞市凤岗镇2021年政府信息公开工作年度报告", False, True),
    ("2020年清溪镇政府信息公开工作 年度报告", False, True),
    ("狮岭镇2019年政务公开年报", False, True),
    ("赤坭镇2019年度报告", True, True),
    ("赤坭镇2019年度报告", False, False),
    ("凤岗镇2020年法治政府建设年度报告", True, False),
    ("关于开展2021年度企业年报公示工作的通知", False, False),
    ("政府信息公开指南", True, False),
    ("图解：2020年政府信息公开工作年度报告", False, False),
])
def test_report_titles(title, in_category, expected):
    assert is_annual_report_title(title, in_report_category=in_category) is expected


def test_report_year_sources():
    assert report_year("狮岭镇2020年政府信息公开工作年度报告", "", None) == (2020, "title")
    assert report_year("凤岗镇政府信息公开工作年度报告", "本报告由2021年度政府信息公开情况…", None) \
        == (2021, "body")
    assert report_year("凤岗镇政府信息公开工作年度报告", "", 1643644800) == (2021, "publish_date")
    assert parse_year_range("2019-2021") == (2019, 2021)
    with pytest.raises(ValueError):
        parse_year_range("2021-2019")
    with pytest.raises(ValueError):
        parse_year_range("last year")
