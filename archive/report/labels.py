"""Matching printed row labels against the canonical ones: normalisation plus fuzzy match.

Real labels drift: ``(一)`` vs ``（一）``, ``1、`` vs ``1.``, spaces inside (``规    章``),
typos (``没有现成信息需另行制作``), labels cut by a page break, and the row-group captions
or a repeated table header glued in front. A label is compared by its *key* (letters and
digits only) and by each tail starting at a row marker (``一、``, ``(三)``, ``2.``).

Example::

    >>> index = LabelIndex({"unable_need_creation": ["2.没有现成信息需要另行制作"],
    ...                     "reject_repeat": ["2.重复申请"]})
    >>> index.best("（四）无法提供 2.没有现成信息需另行制作").key
    'unable_need_creation'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

MARKER = re.compile(r"[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|(?<!\d)\d{1,2}[.、](?!\d)")
ACCEPT = 0.6  # below this a label is not a match at all
CERTAIN = 0.8  # below this a match is used but its cells are marked uncertain


@lru_cache(maxsize=1 << 16)
def label_key(text: str) -> str:
    """Letters and digits only, after NFKC: ``"（一） 予以公开"`` → ``"一予以公开"``."""
    norm = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in norm if unicodedata.category(ch)[0] in "LN")


def marker_tails(text: str) -> list[str]:
    """Keys of the label and of every tail that starts at a row marker, longest first."""
    norm = unicodedata.normalize("NFKC", text)
    tails = [label_key(norm)]
    tails += [label_key(norm[m.start():]) for m in MARKER.finditer(norm) if m.start() > 0]
    return [t for t in tails if t]


@dataclass(frozen=True)
class LabelMatch:
    """The canonical row a label was matched to, with a score in [0, 1]."""

    key: str
    score: float

    @property
    def certain(self) -> bool:
        return self.score >= CERTAIN


class LabelIndex:
    """Canonical labels of one table, ready for exact and fuzzy lookup."""

    def __init__(self, labels: dict[str, list[str]]):
        self.exact: dict[str, str] = {}
        self.fuzzy: list[tuple[str, str, SequenceMatcher]] = []
        for key, variants in labels.items():
            for variant in variants:
                lk = label_key(variant)
                self.exact.setdefault(lk, key)
                matcher = SequenceMatcher(None, autojunk=False)
                matcher.set_seq2(lk)
                self.fuzzy.append((key, lk, matcher))

    def best(self, label: str, exclude: frozenset[str] = frozenset()) -> LabelMatch | None:
        """The best canonical row for a printed label, or None when nothing is close."""
        tails = marker_tails(label)
        if not tails:
            return None
        for tail in reversed(tails):
            key = self.exact.get(tail)
            if key is not None and key not in exclude:
                return LabelMatch(key, 1.0)
        best: LabelMatch | None = None
        for key, lk, matcher in self.fuzzy:
            if key in exclude:
                continue
            score = max(_score(tail, lk, matcher, self._unique_prefix(tail)) for tail in tails)
            if score >= ACCEPT and (best is None or score > best.score):
                best = LabelMatch(key, score)
        return best

    def _unique_prefix(self, tail: str) -> bool:
        return len(tail) >= 5 and sum(lk.startswith(tail) for _, lk, _ in self.fuzzy) == 1


def _score(tail: str, lk: str, matcher: SequenceMatcher, unique_prefix: bool) -> float:
    """Similarity of a label tail to a canonical key; containment and cut labels count."""
    if len(lk) >= 4 and lk in tail:
        return 0.9 - 0.01 * (len(tail) - tail.rindex(lk) - len(lk))
    if unique_prefix and lk.startswith(tail):
        return 0.85
    matcher.set_seq1(tail)
    if matcher.real_quick_ratio() < ACCEPT or matcher.quick_ratio() < ACCEPT:
        return 0.0
    return matcher.ratio()


def suffix_match(label: str, labels: dict[str, list[str]]) -> LabelMatch | None:
    """For T2: the canonical label the printed text ends with (captions and headers precede).

    Example: ``suffix_match("信息内容 本年新制作数量 规 章", T2_LABELS).key == "regulations"``
    """
    key_text = label_key(label)
    pairs = [(key, label_key(variant)) for key, variants in labels.items() for variant in variants]
    best: LabelMatch | None = None
    for key, lk in pairs:  # the longest ending label wins (行政规范性文件 over 规范性文件)
        if key_text.endswith(lk) and (best is None or 1.0 + len(lk) / 100 > best.score):
            best = LabelMatch(key, 1.0 + len(lk) / 100)
    if best is not None:
        return best  # an exact ending beats every fuzzy score (at most 1.0)
    for key, lk in pairs:
        if len(lk) < 4:
            continue
        window = key_text[-len(lk) - 1:]
        score = max(SequenceMatcher(None, key_text[-len(lk):], lk).ratio(),
                    SequenceMatcher(None, window, lk).ratio())
        if score >= 0.75 and (best is None or score > best.score):
            best = LabelMatch(key, score)
    return best
