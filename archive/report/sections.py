"""The six sections of a report, its title, agency and year, from the plain text.

Headings are found in order (一 … 六), each by its numeral and a keyword of its standard
wording, so a table row such as ``四、结转下年度继续办理`` never starts a section.

Example::

    >>> lines = ["2020 年凤岗镇政府信息公开工作年度报告", "一、总体情况", "正文", "二、主动公开政府信息情况"]
    >>> [(s.number, s.start, s.end) for s in find_sections(lines)]
    [(1, 1, 3), (2, 3, 4)]
    >>> report_title(lines), agency_of("广州市花都区赤坭镇人民政府2020年政府信息公开工作年度报告")
    ('2020年凤岗镇政府信息公开工作年度报告', '赤坭镇')
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from archive.report.text import PAGE_NUMBER

NUMERALS = "一二三四五六七八九十"
SECTION_WORDS: dict[int, tuple[str, ...]] = {
    1: ("总体情况", "概述", "基本情况"),
    2: ("主动公开",),
    3: ("收到和处理", "依申请公开", "申请情况"),
    4: ("行政复议", "行政诉讼"),
    5: ("存在的主要问题", "问题及改进", "改进情况", "主要问题"),
    6: ("其他需要报告", "其它需要报告", "其他事项", "其它事项"),
}
HEADING = re.compile(r"^([一二三四五六七八九十]{1,2})[、.]")
MAX_HEADING = 30  # characters; longer lines are prose
YEAR = re.compile(r"((?:19|20)\d\d)\s*年")
TOWN = re.compile(r"^(?P<body>.*?(?:镇|乡|街道))(?:人民政府|政府|办事处|街道办事处)?$")
UNIT_END = "省市区县州旗盟"
BARE_UNIT = re.compile(r"[省市区县州旗盟镇乡]|街道")


@dataclass(frozen=True)
class Section:
    """A section: its number, heading line and line span ``[start, end)`` (heading included)."""

    number: int
    heading: str
    start: int
    end: int


def _key(line: str) -> str:
    return "".join(unicodedata.normalize("NFKC", line).split())


def find_sections(lines: list[str], standard: bool = True) -> list[Section]:
    """Section headings in order; ``standard=False`` takes any numbered short heading."""
    found: list[tuple[int, str, int]] = []
    expected = 1
    for index, line in enumerate(lines):
        key = _key(line)
        match = HEADING.match(key)
        if match is None or len(key) > MAX_HEADING or NUMERALS.find(match[1]) + 1 != expected:
            continue
        if standard and not any(word in key for word in SECTION_WORDS.get(expected, ())):
            continue
        found.append((expected, key, index))
        expected += 1
    ends = [start for _, _, start in found[1:]] + [len(lines)]
    return [Section(n, heading, start, end) for (n, heading, start), end in zip(found, ends)]


def section_body(lines: list[str], section: Section) -> str:
    """A section's text without its heading: lines stripped, blanks and page numbers dropped."""
    body = (line.strip() for line in lines[section.start + 1:section.end])
    return "\n".join(line for line in body if line and not PAGE_NUMBER.fullmatch(line))


def report_title(lines: list[str]) -> str:
    """The title: the first line naming the report (a wrapped title joined), with a body
    name printed on the line above it; whitespace removed, the printed forms kept. Any of
    ``政府信息公开工作年度报告``, ``政府信息公开年度报告``, ``政务公开工作年度报告``,
    ``…年报`` counts, and a portal page's ``名称：`` row names the report too."""
    head = [META_LABEL.sub("", "".join(line.split())) for line in lines[:40]]
    head = [line for line in head if line]
    for index, line in enumerate(head):
        if (not DISCLOSURE.search(line) or HEADING.match(line) or len(line) > 60
                or NOT_TITLE.search(line)):
            continue
        title = line
        for following in head[index + 1:index + 3]:
            if TITLE_END.search(title) or len(following) > 12:
                break
            title += following
        if not TITLE_END.search(title):
            continue
        previous = head[index - 1] if index else ""
        if (previous and not previous.startswith("附件") and len(previous) <= 30
                and BODY_END.search(previous) and not BODY_START.match(line)):
            return previous + title
        return title
    return ""


TITLE_END = re.compile(r"(报告|年报|统计表|情况表)")
DISCLOSURE = re.compile(r"政府信息公开|政务公开|信息公开")  # 政务公开工作年度报告, 信息公开年报
META_LABEL = re.compile(r"^(?:名称|标题|文件名称|信息名称|主题)[:：]")  # a portal's metadata table
NOT_TITLE = re.compile(r"[，。；>»›]")  # prose, or a breadcrumb (首页 > 政府信息公开 > 年度报告)
BODY_END = re.compile(r"(政府|镇|乡|街道|办事处|局|委员会|办公室|委|厅|中心)$")
BODY_START = re.compile(r"^(附件\S{0,3}[:：])?[^\d附]{2,}?(政府|镇|乡|街道|局|委员会|办公室)")


def year_of(title: str, text: str) -> int | None:
    """The report year: from the title, else the year the opening text mentions most."""
    match = YEAR.search(title)
    if match:
        return int(match[1])
    years = Counter(int(y) for y in YEAR.findall(unicodedata.normalize("NFKC", text[:3000])))
    return years.most_common(1)[0][0] if years else None


def agency_of(title: str) -> str:
    """The body as reports name themselves: ``凤岗镇``, ``淮安市人民政府``, ``花都区人民政府``."""
    match = DISCLOSURE.search(title)
    body = title[:match.start()] if match else ""
    body = re.sub(r"(?:19|20)\d\d\s*年度?", "", re.sub(r"^附件\d*[:：]?", "", body))
    body = re.sub(r"^\d{4}", "", body).strip()
    town = TOWN.match(body)  # 塘厦镇政府 too: TOWN takes the 政府 after the town's name
    if town:
        return _last_unit(town["body"])
    if body.endswith("人民政府"):
        return _last_unit(body[:-4]) + "人民政府"
    return body


def _last_unit(name: str) -> str:
    """``广州市花都区狮岭镇`` → ``狮岭镇``: the name after the last enclosing unit. A unit's
    character inside a name ends no unit: not a 市 right after a unit (番禺区市桥街道 →
    ``市桥街道``; 梅县区 and 沙市区 are districts), nor one that would leave a bare unit word
    (``新市镇``, 白云区新市街道 → ``新市街道``); an enclosing unit has a name before its
    character, and what is left has at least two characters (东莞市湖 is no 湖)."""
    for cut in range(len(name) - 3, 0, -1):
        if (name[cut] in UNIT_END and not (name[cut] == "市" and name[cut - 1] in "省市区县旗盟")
                and not BARE_UNIT.fullmatch(name[cut + 1:])):
            return name[cut + 1:]
    return name
