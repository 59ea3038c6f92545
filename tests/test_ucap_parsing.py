"""The UCAP parsers' small functions on the URL forms and texts of the platform doc."""

import pytest

from crawler.platforms import PlatformError
from crawler.platforms import ucap

BASE = "https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/"


@pytest.mark.parametrize("url,column", [
    (BASE, ucap.Column(BASE)),
    ("https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595", ucap.Column(BASE)),
    (BASE + "list_zw_wj.shtml", ucap.Column(BASE, "list_zw_wj")),
    (BASE + "xxgk_list_nb_3.shtml#top", ucap.Column(BASE, "xxgk_list_nb")),
    ("https://gzjkq.ganzhou.gov.cn/jkqxxgk/dept3/xxgk.shtml?code=c110595&temp=xxgk_list",
     ucap.Column(BASE, "xxgk_list")),
    ("https://gzjkq.ganzhou.gov.cn/jkqxxgk/dept3/xxgk.shtml?temp=x&code=c110595",
     ucap.Column(BASE, "x")),
    ("https://sjj.ganzhou.gov.cn/c101082/", ucap.Column("https://sjj.ganzhou.gov.cn/c101082/")),
])
def test_column_of_entry_urls(url, column):
    assert ucap.column_of(url) == column


@pytest.mark.parametrize("url", [
    BASE + "202401/a593a6f767664f1ca010d95c353cf504.shtml", BASE + "report.pdf",
    "ftp://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/",
])
def test_column_of_refuses_what_is_not_a_column(url):
    with pytest.raises(PlatformError):
        ucap.column_of(url)


def test_list_page_urls_and_post_ids():
    column = ucap.Column(BASE)
    assert ucap.list_page_url(column, "xlist", 1) == BASE + "xlist.shtml"
    assert ucap.list_page_url(column, "xlist", 2) == BASE + "xlist_2.shtml"
    assert ucap.post_id_of(BASE + "202401/A593A6F767664F1CA010D95C353CF504.shtml") == \
        "a593a6f767664f1ca010d95c353cf504"
    assert ucap.post_id_of(BASE + "2018-01/30/content_d1d4c5366d559ab56504b67715f60aa6.shtml") == \
        "d1d4c5366d559ab56504b67715f60aa6"
    assert ucap.post_id_of(BASE + "xxgk_list.shtml") is None
    assert ucap.post_id_of(BASE + "202401/a593/files/bbed.pdf") is None


def test_dates_and_pager():
    assert ucap.normal_date("2024/1/8") == "2024-01-08"
    assert ucap.timestamp_of("2023-08-16 10:33:59") == 1692153239.0
    assert ucap.timestamp_of("2023-08-16") == 1692115200.0
    assert ucap.timestamp_of("") is None and ucap.timestamp_of("2023-02-30") is None
    pager = ucap.parse_pager("<script>createPageHTML('page_div',10, 1,'list_zw_wj','shtml',278);</script>")
    assert pager == ucap.Pager(10, 1, "list_zw_wj", "shtml", 278)
    assert ucap.parse_pager("<p>no pager</p>") is None


@pytest.mark.parametrize("text,is_column", [
    ("年度报告", True), ("政府信息公开年报", True), ("信息公开年报", True), ("年报", True),
    ("政府信息公开工作年度报告", True), (" 年度 报告 ", True),
    ("法治政府建设年度报告专栏里的一篇很长的文章标题", False), ("工作动态", False),
])
def test_report_column_names(text, is_column):
    assert ucap.is_report_column_name(text) is is_column


def test_a_page_without_an_article_is_a_platform_error():
    with pytest.raises(PlatformError):
        ucap.parse_detail_page("<html><body><p>系统繁忙</p></body></html>", BASE + "x.shtml")
