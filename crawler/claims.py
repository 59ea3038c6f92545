"""Whose report is it? A shared portal column (Huadu's 各镇街 holds every town) keeps only each
site's own reports: a report belongs to the configured site its title names (by the site's
configured name, the shorter forms of it, or an ``aliases`` entry), else to the body its
``ContentSource`` names. A report no configured site claims is *unassigned*: listed, never
downloaded.

Example::

    >>> names = body_names("广州市花都区狮岭镇人民政府")
    >>> sorted(names)
    ['广州市花都区狮岭镇', '广州市花都区狮岭镇人民政府', '狮岭镇', '花都区狮岭镇']
    >>> claims = Claims({"huadu-shiling": names})
    >>> claims.claim("花都区狮岭镇2022年政府信息公开工作年度报告")
    Claim(site='huadu-shiling', body='花都区狮岭镇')
    >>> claims.claim("广州市花都区炭步镇2021年政府信息公开工作年度报告")
    Claim(site=None, body='炭步镇')
    >>> claims.claim("2023年政府信息公开工作年度报告")          # names no body: read the page
    Claim(site=None, body='')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SUFFIXES = ("人民政府", "办事处")
_LEADING_AREA = re.compile(r"^[^省市区县镇]{2,6}?[省市区县](?=.{2,})")
_YEARS = re.compile(r"(?:19|20)\d{2}\s*年度?")
_REPORT_WORDS = re.compile(r"(本机关)?(政府信息公开|政务公开|信息公开)")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def body_names(name: str, aliases: tuple[str, ...] = ()) -> set[str]:
    """A body's name and its shorter forms: without 人民政府/办事处, then without each leading
    province, city or district (东莞市凤岗镇人民政府 → 东莞市凤岗镇, 凤岗镇), plus aliases."""
    names = {_squash(name)} | {_squash(a) for a in aliases if _squash(a)}
    core = _squash(name)
    for suffix in _SUFFIXES:
        core = core.removesuffix(suffix)
    while len(core) >= 2:
        names.add(core)
        shorter = _LEADING_AREA.sub("", core, count=1)
        if shorter == core:
            break
        core = shorter
    return {n for n in names if len(n) >= 2}


def short_name(name: str) -> str:
    """The shortest form of a body's name (广州市花都区炭步镇人民政府 → 炭步镇), so that one body
    named three ways in three titles is one body."""
    names = body_names(name)
    return min(names, key=lambda n: (len(n), n)) if names else _squash(name)


def named_body(title: str) -> str:
    """The body a report title names: what precedes 政府信息公开 once years are removed
    (``广州市花都区炭步镇2021年政府信息公开…`` → ``广州市花都区炭步镇``), or ``""``."""
    text = _YEARS.sub("", _squash(title))
    match = _REPORT_WORDS.search(text)
    return text[:match.start()] if match else ""


@dataclass(frozen=True)
class Claim:
    site: str | None  # the configured site whose report it is, or None
    body: str  # the body the title or source names, shortest form ("" when neither names one)


class Claims:
    """Every configured site's names, longest first, so 花都区狮岭镇 beats a shorter match."""

    def __init__(self, names_by_site: dict[str, set[str]]):
        pairs = [(n, slug) for slug, names in names_by_site.items() for n in names]
        self._names = sorted(pairs, key=lambda pair: -len(pair[0]))

    def _match(self, text: str) -> Claim | None:
        text = _squash(text)
        for name, slug in self._names:
            if name in text:
                return Claim(slug, name)
        return None

    def claim(self, title: str, source: str = "") -> Claim:
        """The owner of a report titled ``title`` (``source``: its page's ContentSource)."""
        found = self._match(title)
        if found:
            return found
        body = named_body(title)
        if body:
            return Claim(None, short_name(body))
        if source:
            return self._match(source) or Claim(None, short_name(source))
        return Claim(None, "")
