"""Reading one printed cell: units, signs, separators, full-width forms, blank vs 0.

A cell's text is normalised with NFKC first, so ``１２``, ``－42`` and ``（`` read like
their ASCII forms. Printed-empty cells, dashes and ``无`` are ``None`` with their raw text
kept; nothing is ever guessed.

Example::

    >>> parse_cell("372827900.49元", ValueKind.YUAN).value
    Decimal('372827900.49')
    >>> parse_cell("3.5万元", ValueKind.YUAN).value
    Decimal('35000.0')
    >>> parse_cell("－42", ValueKind.SIGNED).value, parse_cell("/", ValueKind.COUNT).state
    (-42, <CellState.DASH: 'dash'>)
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from archive.report.keys import ValueKind


class CellState(str, enum.Enum):
    """What a printed cell holds."""

    VALUE = "value"  # a number
    BLANK = "blank"  # printed empty
    DASH = "dash"  # "/", "-", "—"
    NONE = "none"  # "无"
    TEXT = "text"  # something that is not a number (kept raw, value None)


@dataclass(frozen=True)
class CellValue:
    """One cell as read: ``value`` (int, Decimal or None), the printed ``raw`` text, its state.

    ``certain`` is False when the reading itself is doubtful (a fuzzy row label, an OCR'd
    page, a row whose cells had to be aligned by guess); checks use it to tell a source
    anomaly from a possible extraction error.
    """

    value: int | Decimal | None
    raw: str
    state: CellState
    certain: bool = True


DASHES = {"/", "-", "—", "——", "–", "－", "―", "\\", "—-"}
NONE_WORDS = {"无", "暂无"}
UNIT_WORDS = ("万元", "元", "笔", "件", "个", "项", "条", "宗", "次", "份", "家", "人")
NUMBER = re.compile(r"^(?P<sign>[+\-]?)(?P<digits>\d[\d,]*(?:\.\d+)?|\.\d+)"
                    rf"(?P<unit>{'|'.join(UNIT_WORDS)})?$")  # 万元 before 元: the longest first
MINUS_FORMS = str.maketrans({"−": "-", "﹣": "-", "‐": "-", "‑": "-"})


@lru_cache(maxsize=1 << 16)
def normalise(text: str) -> str:
    """NFKC, minus signs unified, all whitespace removed: ``"－ 42 元"`` → ``"-42元"``."""
    return "".join(unicodedata.normalize("NFKC", text).translate(MINUS_FORMS).split())


@lru_cache(maxsize=1 << 16)
def is_value_text(text: str) -> bool:
    """Whether a token reads as a cell value (number, dash or 无), e.g. ``"1488笔"`` → True."""
    norm = normalise(text)
    return bool(norm) and (norm in DASHES or norm in NONE_WORDS or NUMBER.match(norm) is not None)


def parse_cell(raw: str, kind: ValueKind, *, header_wan: bool = False) -> CellValue:
    """Read one cell's text as ``kind``; ``header_wan`` says the column header is in 万元."""
    norm = normalise(raw)
    if not norm:
        return CellValue(None, raw, CellState.BLANK)
    if norm in DASHES:
        return CellValue(None, raw, CellState.DASH)
    if norm in NONE_WORDS:
        return CellValue(None, raw, CellState.NONE)
    match = NUMBER.match(norm)
    if match is None:
        return CellValue(None, raw, CellState.TEXT)
    # Decimal reads every digit \d matches (any Unicode Nd), so this cannot fail
    number = Decimal(match["sign"] + match["digits"].replace(",", ""))
    return CellValue(_in_unit(number, match["unit"], kind, header_wan), raw, CellState.VALUE)


def _in_unit(number: Decimal, unit: str | None, kind: ValueKind,
             header_wan: bool) -> int | Decimal:
    """Convert to the unit the key names; counts that are whole become ``int``."""
    if kind is ValueKind.YUAN:
        return number * 10000 if unit == "万元" or (unit is None and header_wan) else number
    if kind is ValueKind.WAN:
        return number / 10000 if unit == "元" else number
    return int(number) if number == number.to_integral_value() else number
