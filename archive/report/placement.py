"""Where a row's printed values go: header labels, positions, layout columns, identities.

A row is read by structure. In order, its values are placed

1. by the column headers printed above them (a grid: each value cell knows its header);
2. as they stand when the row prints one value per column;
3. by column position: sibling rows of the same shape, or the row's own fields when it has
   one field per column (tab-separated text keeps an empty field for a blank cell);
4. by layout column: in ``pdftotext -layout`` text a value sits under its header (or under
   the values of full rows), so a blank cell leaves a gap, not a shift;
5. and a plain-text row that prints fewer values than the table has columns (a *short*
   row) is placed by the template's identities (:func:`place_short_row`): each way of
   putting its blanks among the columns is tried, and the one placement under which every
   identity can still hold is taken; when none or several fit, the cells are kept
   uncertain and a ``row_short`` check names the row.

Example::

    >>> from archive.report.rows import RawRow
    >>> row = RawRow("（一）予以公开", "", ("1", "", "0"), (3, 4, 5), 6,
    ...              heads=("自然人", "商业企业", "总计"))
    >>> place(row, [], ["natural", "commercial", "total"], T3_HEADS)
    (('1', '', '0'), True)
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from archive.report.keys import T2_COL_LABELS, T3_COL_LABELS, value_kind
from archive.report.labels import label_key
from archive.report.rows import RawRow, Side, align
from archive.report.values import CellValue, parse_cell

Placed = tuple[tuple[str | None, ...] | None, bool]
T3_HEADS: dict[str, str] = {label_key(label): col for col, label in T3_COL_LABELS.items()}
T2_HEADS: dict[str, str] = {label_key(label): col for col, labels in T2_COL_LABELS.items()
                            for label in labels}
MAX_SHORT = 2  # blanks a short row may have for the identities to place them


def head_column(head: str, heads: Mapping[str, str], columns: list[str]) -> str | None:
    """The column a printed header names: exactly, or as the one label it begins (``自然``)."""
    key = label_key(head)
    if not key:
        return None
    column = heads.get(key)
    if column is None and len(key) >= 2:
        starts = {c for label, c in heads.items() if label.startswith(key) or key.endswith(label)}
        column = starts.pop() if len(starts) == 1 else None
    return column if column in columns else None


def by_heads(row: RawRow, columns: list[str], heads: Mapping[str, str]) -> tuple[str, ...] | None:
    """The row's cells by the header above each field; None unless every column is named
    once and every non-blank field sits under a column."""
    if row.heads is None:
        return None
    placed: dict[str, str] = {}
    for text, head in zip(row.fields, row.heads):
        column = head_column(head, heads, columns)
        if column is None or column in placed:
            if text.strip():
                return None
            continue
        placed[column] = text
    return tuple(placed[c] for c in columns) if len(placed) == len(columns) else None


def by_field_count(row: RawRow, n: int) -> tuple[tuple[str, ...] | None, bool]:
    """One field per column, once blank fields at the ends beyond ``n`` are dropped
    (alternately from the end and the start: a trailing tab, an empty spacer column)."""
    if row.positions is None:
        return None, False
    fields = list(row.fields)
    trimmed = False
    while len(fields) > n:
        end = -1 if not fields[-1].strip() else 0 if not fields[0].strip() else None
        if end is None:
            return None, False
        fields.pop(end)
        trimmed = True
        if len(fields) > n and not fields[0].strip():
            fields.pop(0)
    return (tuple(fields), not trimmed) if len(fields) == n else (None, False)


def header_centres(tokens: tuple[tuple[str, int], ...], heads: Mapping[str, str],
                   columns: list[str]) -> dict[str, int]:
    """Layout columns of the headers among a row's label tokens, e.g. ``{"natural": 52}``."""
    out: dict[str, int] = {}
    for text, centre in tokens:
        column = heads.get(label_key(text))
        if column in columns:
            out[column] = centre
    return out


def sibling_centres(siblings: list[RawRow], n: int) -> list[int] | None:
    """Median layout column of each value of the full rows (``n`` values, offsets known)."""
    full = [r.offsets for r in siblings if r.offsets is not None and len(r.fields) == n
            and len(r.filled) == n]
    if len(full) < 2:
        return None
    return [int(statistics.median(o[i] for o in full)) for i in range(n)]


def by_offsets(row: RawRow, centres: list[int] | None) -> tuple[str, ...] | None:
    """Each value under the nearest column centre, when every value is clearly under one."""
    if row.offsets is None or centres is None or len(row.offsets) != len(row.fields):
        return None
    gap = min((b - a for a, b in zip(centres, centres[1:])), default=0)
    if gap <= 2:
        return None
    texts: list[str] = [""] * len(centres)
    taken: set[int] = set()
    for text, offset in zip(row.fields, row.offsets):
        index = min(range(len(centres)), key=lambda i: abs(centres[i] - offset))
        if index in taken or abs(centres[index] - offset) * 2 >= gap:
            return None
        taken.add(index)
        texts[index] = text
    return tuple(texts)


def place(row: RawRow, siblings: list[RawRow], columns: list[str], heads: Mapping[str, str],
          centres: Mapping[str, int] | None = None, side: Side = Side.RIGHT) -> Placed:
    """The row's cell texts in ``columns`` order (``""`` = printed blank) and whether they
    are certain; ``(None, False)`` when the structure does not place them (a short row)."""
    n = len(columns)
    texts = by_heads(row, columns, heads)
    if texts is not None:
        return texts, True
    filled = row.filled
    if len(filled) >= n or row.positions is not None:
        aligned, certain = align(row, siblings, n, side, fill=False)
        if aligned is not None:
            return aligned, certain
        counted, certain = by_field_count(row, n)
        if counted is not None:
            return counted, certain
    known = [centres[c] for c in columns] if centres and all(c in centres for c in columns) \
        else sibling_centres(siblings, n)
    texts = by_offsets(row, known)
    if texts is not None:
        return texts, True
    if side is Side.LEFT and row.positions is not None:
        return tuple((list(row.fields) + [""] * n)[:n]), True
    return None, False


@dataclass(frozen=True)
class ShortRow:
    """A row whose values could not be placed by structure: its key, columns and values."""

    scope: str
    keys: tuple[str, ...]
    values: tuple[str, ...]


@dataclass(frozen=True)
class ShortPlacement:
    """What the identities made of a short row: the texts per key, and which placements fit."""

    texts: dict[str, str]
    fits: int
    detail: str

    @property
    def certain(self) -> bool:
        return self.fits == 1


Identity = tuple[str, str, list[str], list[str]]


def _number(key: str, text: str) -> int | float | None:
    value = parse_cell(text, value_kind(key)).value
    return value


def _holds(values: Mapping[str, object], unknown: set[str], identities: list[Identity]) -> bool:
    """Whether some non-negative whole numbers for the ``unknown`` keys let every identity hold
    that the known cells decide (one that needs a missing or null cell is skipped)."""
    implied: dict[str, set] = {}
    for _, _, left, right in identities:
        terms = [(k, 1) for k in left] + [(k, -1) for k in right]
        if any(k not in unknown and values.get(k) is None for k, _ in terms):
            continue
        free = [(k, s) for k, s in terms if k in unknown]
        known = sum(values[k] * s for k, s in terms if k not in unknown)
        if not free:
            if known != 0:
                return False
        elif len(free) == 1:
            key, sign = free[0]
            implied.setdefault(key, set()).add(-known * sign)
    return all(len(v) == 1 and all(x >= 0 and x == int(x) for x in v) for v in implied.values())


def place_short_row(short: ShortRow, cells: Mapping[str, CellValue],
                    identities: list[Identity]) -> ShortPlacement:
    """Try every placement of the row's blanks; the one the identities allow is taken.

    With none or several, the values are laid from the first column (blanks last) and the
    placement is uncertain; ``detail`` says which placements fit.
    """
    n, k = len(short.keys), len(short.keys) - len(short.values)
    known = {key: cell.value for key, cell in cells.items()}
    fitting = []
    if 0 < k <= MAX_SHORT:
        relevant = [i for i in identities if set(short.keys) & set(i[2] + i[3])]
        for blanks in itertools.combinations(range(n), k):
            texts = _lay(short, blanks)
            trial = {**known, **{key: _number(key, t) for key, t in texts.items() if t}}
            if _holds(trial, {short.keys[i] for i in blanks}, relevant):
                fitting.append(blanks)
    names = ["+".join(short.keys[i].split(".")[-1] for i in b) for b in fitting]
    head = f"{len(short.values)} values for {n} columns"
    if len(fitting) == 1:
        return ShortPlacement(_lay(short, fitting[0]), 1,
                              f"{head}; the identities place the blank at {names[0]}")
    why = "no placement satisfies the identities" if not fitting else \
        f"{len(fitting)} placements satisfy the identities ({', '.join(names[:7])})"
    return ShortPlacement(_lay(short, tuple(range(len(short.values), n))), len(fitting),
                          f"{head}; {why}; cells uncertain")


def _lay(short: ShortRow, blanks: tuple[int, ...]) -> dict[str, str]:
    values = iter(short.values)
    return {key: "" if i in blanks else next(values) for i, key in enumerate(short.keys)}
