"""Which posts are annual reports, and of which year.

Example::

    >>> is_annual_report_title("2020年清溪镇政府信息公开工作 年度报告")
    True
    >>> is_annual_report_title("凤岗镇2020年法治政府建设年度报告")
    False
    >>> report_year("狮岭镇2020年政府信息公开工作年度报告", "", 1611590400)
    (2020, 'title')
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8))

# A report is named by one of these (after removing whitespace).
_REPORT_WORDS = ("年度报告", "年报")
# Words that tie a 年度报告/年报 to information disclosure.
_DISCLOSURE_WORDS = ("信息公开", "政务公开")
# Other annual reports and notices that share the words.
_NOT_REPORT = ("法治政府", "企业年报", "年报公示", "统计年报", "解读", "图解", "决算", "预算",
               "社会信用", "工作总结", "工作要点")
_YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})\s*年")
_YEAR_IN_BODY = (
    re.compile(r"((?:19|20)\d{2})\s*年\s*度?\s*(?:的)?\s*(?:政府信息公开|政务公开)"),
    re.compile(r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*(?:起\s*)?至"),
)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def is_annual_report_title(title: str, *, in_report_category: bool = False) -> bool:
    """True when the title names an information-disclosure annual report.

    In an annual-report category a bare ``…年度报告``/``…年报`` counts; elsewhere the title
    must also name 信息公开 or 政务公开, so that e.g. 法治政府建设年度报告 is left out.
    """
    if "年" not in (title or ""):  # in both report words: most titles stop here
        return False
    title = _squash(title)
    if not any(word in title for word in _REPORT_WORDS):
        return False
    if title.startswith("关于") or any(word in title for word in _NOT_REPORT):
        return False
    return in_report_category or any(word in title for word in _DISCLOSURE_WORDS)


def year_from_title(title: str) -> int | None:
    years = [int(y) for y in _YEAR_IN_TITLE.findall(title or "")]
    return years[0] if years else None


def year_from_body(text: str) -> int | None:
    for pattern in _YEAR_IN_BODY:
        match = pattern.search(text or "")
        if match:
            return int(match.group(1))
    return None


def publish_year(timestamp: int | float | None) -> int | None:
    if not timestamp:
        return None
    return datetime.fromtimestamp(float(timestamp), CHINA_TZ).year


def report_year(title: str, body_text: str, published: int | float | None) -> tuple[int | None, str]:
    """The report's year and where it came from: ``title``, ``body`` or ``publish_date``."""
    year = year_from_title(title)
    if year:
        return year, "title"
    year = year_from_body(body_text)
    if year:
        return year, "body"
    year = publish_year(published)
    if year:
        return year - 1, "publish_date"
    return None, "unknown"


def parse_year_range(value: str | int | None) -> tuple[int, int] | None:
    """``"2020"`` → (2020, 2020); ``"2019-2021"`` → (2019, 2021); None → None."""
    if value is None or value == "":
        return None
    match = re.fullmatch(r"\s*((?:19|20)\d{2})\s*(?:[-–:]\s*((?:19|20)\d{2}))?\s*", str(value))
    if not match:
        raise ValueError(f"not a year or a year range: {value!r} (e.g. 2020 or 2019-2021)")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        raise ValueError(f"year range {value!r} runs backwards")
    return first, last
