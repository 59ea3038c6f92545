"""Sections, title, agency and year of a report (``archive.report.sections``), case by case."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- generated bodies: the agency a title names, whatever encloses it -----------------------

PLAIN = "凤岗清溪狮岭赤坭新华石龙塘厦大沥湖光东坑茶山花都番禺白云淮安开平荆沙"


def _plain(draw, low: int = 1, high: int = 3) -> str:
    return "".join(draw(st.lists(st.sampled_from(PLAIN), min_size=low, max_size=high)))


@st.composite
def town_titles(draw) -> tuple[str, str, int]:
    """A title naming a town or street (its own name may begin or end with a unit's
    character: 市桥街道, 新市镇), under any enclosing units; and the town as reports name it."""
    town = (draw(st.sampled_from(["", "市"])) + _plain(draw)
            + draw(st.sampled_from(["", "市"])) + draw(st.sampled_from(["镇", "乡", "街道"])))
    units = (draw(st.sampled_from(["", "广东省"])) + _plain(draw, 1, 2) + "市"
             + draw(st.sampled_from(["", _plain(draw, 2, 2) + "区", _plain(draw, 2, 2) + "县"])))
    office = draw(st.sampled_from(["", "人民政府", "政府"]
                                  + (["办事处"] if town.endswith("街道") else [])))
    year = draw(st.integers(2008, 2030))
    form = draw(st.sampled_from([
        "{units}{town}{office}{year}年政府信息公开工作年度报告",
        "{year}年{units}{town}{office}政府信息公开工作年度报告",
        "{year}年度{units}{town}政府信息公开工作年报",
        "附件2：{units}{town}{office}{year}年政府信息公开工作年度报告"]))
    title = form.format(units=units, town=town, office=office, year=year)
    return title, town, year


@settings(max_examples=120, deadline=None, derandomize=True, database=None)
@given(case=town_titles())
def test_agency_of_a_generated_town_title(case):
    title, town, year = case
    assert agency_of(title) == town
    assert year_of(title, "") == year


@st.composite
def government_titles(draw) -> tuple[str, str]:
    """A city's or district's 人民政府 (a district's name may end in 市: 沙市区)."""
    city = draw(st.sampled_from(["", "广东省"])) + _plain(draw, 2, 2) + "市"
    district = draw(st.sampled_from(
        ["", _plain(draw, 1, 2) + draw(st.sampled_from(["", "市"])) + draw(st.sampled_from("区县"))]))
    own = district or city.removeprefix("广东省")
    return f"{city}{district}人民政府2021年政府信息公开工作年度报告", own + "人民政府"


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(case=government_titles())
def test_agency_of_a_generated_government_title(case):
    title, agency = case
    assert agency_of(title) == agency


@pytest.mark.parametrize("title, agency", [
    ("广州市番禺区市桥街道办事处2021年政府信息公开工作年度报告", "市桥街道"),  # was 桥街道
    ("新市镇2021年政府信息公开工作年度报告", "新市镇"),  # was 镇
    ("广州市白云区新市街道2021年政府信息公开工作年度报告", "新市街道"),  # was 街道
    ("江门市开平市赤坎镇2021年政府信息公开工作年度报告", "赤坎镇"),  # the last 市 ends a unit
    ("荆州市沙市区人民政府2021年政府信息公开工作年度报告", "沙市区人民政府"),
    ("凤岗镇党委政府信息公开工作年度报告", "凤岗镇党委"),
    ("东莞市湖人民政府2021年政府信息公开工作年度报告", "东莞市湖人民政府"),  # 湖 alone is no name
    ("广东省梅州市梅县区南口镇2021年政府信息公开工作年度报告", "南口镇"),  # 梅县区 is a district
    ("惠州市人民政府2021年政府信息公开工作年度报告", "惠州市人民政府"),  # was 市人民政府
])
def test_agency_of_names_with_a_unit_character_inside(title, agency):
    assert agency_of(title) == agency


# --- headings: the limits a heading must keep ------------------------------------------------

def test_a_letter_spaced_heading_is_a_heading():
    lines = ["一、总 体 情 况", "正文", "二、主 动 公 开 政 府 信 息 情 况"]
    assert [(s.number, s.heading) for s in find_sections(lines)] == [
        (1, "一、总体情况"), (2, "二、主动公开政府信息情况")]


def test_a_heading_with_the_wrong_numeral_is_prose_even_when_short():
    lines = ["一、总体情况", "三、主动公开政府信息情况", "二、主动公开政府信息情况"]
    assert [(s.number, s.start) for s in find_sections(lines)] == [(1, 0), (2, 2)]


def test_a_heading_is_at_most_thirty_characters():
    head = "二、主动公开政府信息情况"
    at_limit = head + "况" * (30 - len(head))
    assert [s.number for s in find_sections(["一、总体情况", at_limit])] == [1, 2]
    assert [s.number for s in find_sections(["一、总体情况", at_limit + "况"])] == [1]


def test_a_seventh_numbered_heading_after_the_six_is_prose():
    sections = find_sections(LINES + ["七、附件", "正文"])
    assert [(s.number, s.start, s.end) for s in sections][-1] == (6, 12, 16)


# --- titles: how far a wrapped title is joined, which line above names its body -----------------

@pytest.mark.parametrize("lines, title", [
    # at most two following lines are joined, each at most twelve characters
    (["政府信息公开", "工作", "年度", "报告"], ""),
    (["政府信息公开", "工作年度", "报告"], "政府信息公开工作年度报告"),
    (["凤岗镇2021年政府信息公开", "工作年度报告（全文版本）"], "凤岗镇2021年政府信息公开工作年度报告（全文版本）"),
    (["凤岗镇2021年政府信息公开", "工作年度报告（全文发布版）"], ""),
    # a candidate that never ends as a title does not stop the search
    (["政府信息公开", "一段很长的正文内容超过了十二个字的长度限制", "凤岗镇政府信息公开工作年度报告"],
     "凤岗镇政府信息公开工作年度报告"),
    # the first line has no line above it (the last line of the head is not one)
    (["2020年政府信息公开工作年度报告", "一、总体情况", "凤岗镇人民政府"], "2020年政府信息公开工作年度报告"),
    # an attachment's caption above the title does not name its body
    (["附件：东莞市凤岗镇人民政府", "2020年政府信息公开工作年度报告"], "2020年政府信息公开工作年度报告"),
])
def test_report_title_joins_and_limits(lines, title):
    assert report_title(lines) == title


def test_the_body_line_above_a_title_is_at_most_thirty_characters():
    title = "2020年政府信息公开工作年度报告"
    body = "广东省东莞市" + "凤" * (30 - len("广东省东莞市人民政府")) + "人民政府"
    assert len(body) == 30 and report_title([body, title]) == body + title
    assert report_title(["凤" + body, title]) == title


def test_year_of_reads_years_wholly_within_the_first_3000_characters():
    assert year_of("", "正" * 2995 + "2019年") == 2019  # 年 is character 3000
    assert year_of("", "正" * 2996 + "2019年") is None  # 年 is character 3001


def test_a_title_line_is_at_most_60_characters_and_no_breadcrumb():
    tail = "2021年政府信息公开工作年度报告"
    assert report_title(["某" * (60 - len(tail)) + tail]) == "某" * (60 - len(tail)) + tail
    assert report_title(["某" * (61 - len(tail)) + tail]) == ""  # prose, not a title
    assert report_title(["首页>政府信息公开>年度报告", "花都区" + tail]) == "花都区" + tail


def test_an_agency_loses_a_leading_year_and_ends_at_a_city_after_any_character():
    assert agency_of("2021狮岭镇政府信息公开工作年度报告") == "狮岭镇"
    assert agency_of("2021花都区人民政府政府信息公开工作年度报告") == "花都区人民政府"
    # only a 市 right after a unit's character is part of a name: after another it ends a unit
    assert agency_of("AX市狮岭镇2020年政府信息公开工作年度报告") == "狮岭镇"
