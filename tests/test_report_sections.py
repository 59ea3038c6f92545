"""Sections, title, agency and year of a report (``archive.report.sections``), case by case."""

from __future__ import annotations

import pytest

from archive.report.parse import agency_from_text
from archive.report.sections import (Section, agency_of, find_sections, report_title,
                                     section_body, year_of)

LINES = ["2020年凤岗镇政府信息公开工作年度报告", "一、总体情况", "正文", "", "-3-", " 第二行 ",
         "二、主动公开政府信息情况", "表", "三、收到和处理政府信息公开申请情况",
         "四、结转下年度继续办理", "四、政府信息公开行政复议、行政诉讼情况",
         "五、存在的主要问题及改进情况", "六、其他需要报告的事项", "无。"]


def test_sections_in_order_with_their_spans():
    assert [(s.number, s.start, s.end) for s in find_sections(LINES)] == [
        (1, 1, 6), (2, 6, 8), (3, 8, 10), (4, 10, 11), (5, 11, 12), (6, 12, 14)]
    assert find_sections(LINES)[3].heading == "四、政府信息公开行政复议、行政诉讼情况"


def test_a_heading_out_of_order_or_too_long_is_prose():
    lines = ["二、主动公开", "一、总体情况", "一、总体情况" + "很长" * 20, "三、收到和处理申请情况",
             "二、主动公开政府信息情况"]
    assert [(s.number, s.start) for s in find_sections(lines)] == [(1, 1), (2, 4)]


def test_non_standard_headings_need_only_their_numerals():
    lines = ["一、工作概况", "二、亮点", "三.其他"]
    assert find_sections(lines) == []
    assert [(s.number, s.heading) for s in find_sections(lines, standard=False)] == [
        (1, "一、工作概况"), (2, "二、亮点"), (3, "三.其他")]


def test_section_body_drops_heading_blanks_and_page_numbers():
    assert section_body(LINES, Section(1, "一、总体情况", 1, 6)) == "正文\n第二行"


@pytest.mark.parametrize("lines, title", [
    (["", "附件3", "广州市花都区狮岭镇政府信息公开工作 年度报告"], "广州市花都区狮岭镇政府信息公开工作年度报告"),
    (["广州市花都区赤坭镇人民政府", "2020年政府信息公开工作年度报告"],
     "广州市花都区赤坭镇人民政府2020年政府信息公开工作年度报告"),
    (["淮安市人民政府", "2024 年政府信息公开工作", "年度报告"], "淮安市人民政府2024年政府信息公开工作年度报告"),
    (["一、政府信息公开工作年度报告", "凤岗镇政府信息公开工作年度报告"], "凤岗镇政府信息公开工作年度报告"),
    (["附件：凤岗镇人民政府", "凤岗镇2020年政府信息公开工作年度报告"], "凤岗镇2020年政府信息公开工作年度报告"),
    (["政府信息公开", "一段很长的正文内容超过了十二个字的长度限制", "报告"], ""),
    (["东莞市凤岗镇", "东莞市凤岗镇2021年政府信息公开工作年度报告"], "东莞市凤岗镇2021年政府信息公开工作年度报告"),
    (["关于政府信息公开的说明"], ""),
    (["这是一段超过三十个字的正文内容这是一段超过三十个字的正文内容镇", "政府信息公开年度报告"],
     "政府信息公开年度报告"),
])
def test_report_title(lines, title):
    assert report_title(lines) == title


def test_report_title_looks_at_the_first_forty_lines_only():
    assert report_title(["正文"] * 40 + ["凤岗镇政府信息公开工作年度报告"]) == ""
    assert report_title(["正文"] * 39 + ["凤岗镇政府信息公开工作年度报告"]) == "凤岗镇政府信息公开工作年度报告"


@pytest.mark.parametrize("title, text, year", [
    ("凤岗镇2020年政府信息公开工作年度报告", "2019年 2019年", 2020),
    ("凤岗镇政府信息公开工作年度报告", "2020年以来……2020年我镇收到……2019年", 2020),
    ("凤岗镇政府信息公开工作年度报告", "２０２１年全年", 2021),
    ("凤岗镇政府信息公开工作年度报告", "没有年份", None),
    ("凤岗镇政府信息公开工作年度报告", "正文" * 1500 + "2019年", None),
])
def test_year_of(title, text, year):
    assert year_of(title, text) == year


@pytest.mark.parametrize("title, agency", [
    ("广州市花都区赤坭镇人民政府2020年政府信息公开工作年度报告", "赤坭镇"),
    ("广州市花都区狮岭镇政府信息公开工作年度报告", "狮岭镇"),
    ("2020年凤岗镇政府信息公开工作年度报告", "凤岗镇"),
    ("淮安市人民政府2024年政府信息公开工作年度报告", "淮安市人民政府"),
    ("广州市花都区人民政府2021年政府信息公开工作年度报告", "花都区人民政府"),
    ("附件2：东莞市清溪镇2022年政府信息公开工作年度报告", "清溪镇"),
    ("东莞市塘厦镇政府2021年政府信息公开工作年度报告", "塘厦镇"),
    ("广州市花都区新华街道办事处2021年政府信息公开工作年度报告", "新华街道"),
    ("东莞市住房和城乡建设局2021年政府信息公开工作年度报告", "东莞市住房和城乡建设局"),
    ("市政府2021年政府信息公开工作年度报告", "市政府"),
    ("政府2021年政府信息公开工作年度报告", "政府"),
    ("年度报告", ""),
])
def test_agency_of(title, agency):
    assert agency_of(title) == agency


def test_agency_after_a_year_with_du():
    assert agency_of("2020年度凤岗镇政府信息公开工作年度报告") == "凤岗镇"


def test_agency_from_the_text_when_the_title_names_none():
    text = "本报告根据有关规定，由广州市花都区狮岭镇人民政府编制。全文包括概述"
    assert agency_from_text(text) == "狮岭镇"
    assert agency_from_text("本报告由淮安市人民政府办公室 负责编制。") == "淮安市人民政府"
    assert agency_from_text("本报告由办公室编制。") == ""
    assert agency_from_text("没有编制说明。") == ""
