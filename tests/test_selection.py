"""Which titles are annual reports and of which year (``crawler.selection``), word by word.

Every word that makes a title *not* a report has a title here that only that word excludes:
drop the word from the code and its case fails. The crawl-level twin of this test is
``test_crawl_decoys.py::test_every_exclusion_word_keeps_its_decoy_out_of_a_crawl``.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from crawler import selection
from crawler.selection import (CHINA_TZ, is_annual_report_title, parse_year_range, publish_year,
                               report_year, year_from_body, year_from_title)

# Exclusion word -> a title in the annual-report category that only this word keeps out
# (it names 年度报告/年报 and, where it can, 政府信息公开 too).
EXCLUDED_BY = {
    "法治政府": "凤岗镇2021年法治政府建设年度报告",
    "企业年报": "凤岗镇2021年度企业年报",
    "年报公示": "凤岗镇2021年政府信息公开年报公示",
    "统计年报": "凤岗镇2021年政府信息公开统计年报",
    "解读": "《凤岗镇2021年政府信息公开工作年度报告》解读",
    "图解": "图解凤岗镇2021年政府信息公开工作年度报告",
    "决算": "凤岗镇2021年财政决算政府信息公开年度报告",
    "预算": "凤岗镇2022年部门预算政府信息公开年度报告",
    "社会信用": "凤岗镇2021年社会信用信息公开年度报告",
    "工作总结": "凤岗镇2021年政府信息公开工作总结暨年度报告",
    "工作要点": "凤岗镇2022年政务公开工作要点和2021年度报告",
}
STARTS_WITH_GUANYU = "关于2021年政府信息公开工作年度报告的说明"


def test_every_exclusion_word_of_the_code_has_a_case_here():
    assert set(selection._NOT_REPORT) <= set(EXCLUDED_BY)


@pytest.mark.parametrize("word", sorted(EXCLUDED_BY))
def test_each_exclusion_word_alone_keeps_a_title_out(word, monkeypatch):
    title = EXCLUDED_BY[word]
    others = [w for w in EXCLUDED_BY if w != word and w in title]
    assert others == [] and word in title
    assert not is_annual_report_title(title, in_report_category=True)
    assert not is_annual_report_title(title, in_report_category=False)
    # With every exclusion word but this one, the same title is a report: this word decided.
    monkeypatch.setattr(selection, "_NOT_REPORT", tuple(w for w in selection._NOT_REPORT
                                                        if w != word))
    assert is_annual_report_title(title, in_report_category=True)


def test_a_title_starting_with_guanyu_is_a_notice():
    assert not is_annual_report_title(STARTS_WITH_GUANYU, in_report_category=True)
    assert is_annual_report_title(STARTS_WITH_GUANYU.replace("关于", "", 1), in_report_category=True)
    # 关于 elsewhere in the title is no notice
    assert is_annual_report_title("镇政府关于2021年政府信息公开工作年度报告", in_report_category=True)


@pytest.mark.parametrize("title, in_category, expected", [
    ("凤岗镇2021年度报告", True, True),  # a bare 年度报告 counts in the report category
    ("凤岗镇2021年报", True, True),
    ("凤岗镇2021年度报告", False, False),  # elsewhere it must name disclosure
    ("凤岗镇2021年信息公开年度报告", False, True),
    ("凤岗镇2021年政务公开年报", False, True),
    ("凤岗镇2021年信息公开工作总体情况", True, False),  # no 年度报告 / 年报 at all
    ("凤岗镇 2021 年 政府信息 公开 年度 报告", False, True),  # whitespace is ignored
    ("", True, False),
])
def test_report_words_and_disclosure_words(title, in_category, expected):
    assert is_annual_report_title(title, in_report_category=in_category) is expected


def test_outside_a_report_category_is_the_default():
    assert is_annual_report_title("凤岗镇2021年度报告") is False


def test_year_from_title_takes_the_first_year_followed_by_nian():
    assert year_from_title("凤岗镇2021年政府信息公开工作年度报告（2022年3月）") == 2021
    assert year_from_title("凤岗镇 2019 年度报告") == 2019
    assert year_from_title("第1999号 2020年报") == 2020  # 1999 is not followed by 年
    assert year_from_title("凤岗镇政府信息公开工作年度报告") is None
    assert year_from_title("") is None and year_from_title(None) is None
    assert year_from_title("1899年报告") is None and year_from_title("2100年报告") is None


@pytest.mark.parametrize("body, year", [
    ("现公布2021年度政府信息公开工作年度报告", 2021),
    ("本报告是2020年 度的政务公开情况", 2020),
    ("2019年的政府信息公开工作", 2019),
    ("本报告所列数据统计期限自2022年1月1日起至2022年12月31日止", 2022),
    ("统计期限为2018年1月1日至12月31日", 2018),
    ("2021年工作总结", None),
    ("", None),
])
def test_year_from_body(body, year):
    assert year_from_body(body) == year


def test_publish_year_is_the_china_year():
    # 2021-12-31 17:00 UTC is already 2022-01-01 01:00 in China
    stamp = datetime(2021, 12, 31, 17, 0, tzinfo=CHINA_TZ.utc).timestamp()
    assert publish_year(stamp) == 2022
    assert publish_year(str(int(stamp))) == 2022
    assert publish_year(None) is None and publish_year(0) is None


def test_report_year_prefers_title_then_body_then_the_year_before_publication():
    body = "统计期限自2020年1月1日至2020年12月31日"
    assert report_year("凤岗镇2019年政府信息公开工作年度报告", body, 1e9) == (2019, "title")
    assert report_year("凤岗镇政府信息公开工作年度报告", body, 1e9) == (2020, "body")
    published = datetime(2022, 1, 20, tzinfo=CHINA_TZ).timestamp()
    assert report_year("凤岗镇政府信息公开工作年度报告", "", published) == (2021, "publish_date")
    assert report_year("凤岗镇政府信息公开工作年度报告", "", None) == (None, "unknown")


@pytest.mark.parametrize("value, expected", [
    (None, None), ("", None), ("2020", (2020, 2020)), (2021, (2021, 2021)),
    (" 2019 - 2021 ", (2019, 2021)), ("2019–2021", (2019, 2021)), ("2019:2020", (2019, 2020)),
    ("2020-2020", (2020, 2020)),
])
def test_year_ranges(value, expected):
    assert parse_year_range(value) == expected


@pytest.mark.parametrize("value, message", [
    ("2021-2019", "runs backwards"), ("twenty", "not a year"), ("1899", "not a year"),
    ("2019-", "not a year"), ("20201", "not a year"),
])
def test_bad_year_ranges_say_why(value, message):
    with pytest.raises(ValueError, match=message) as raised:
        parse_year_range(value)
    assert repr(value) in str(raised.value)
