"""Table rows as the parser sees them, whatever they came from: a grid, tabs or plain text.

A :class:`Line` is one printed line (or grid row): its label text and the value fields
after it. ``positions`` gives each field's column when the source has columns (a grid,
a tab-separated line); plain text has none, so a blank cell there cannot be placed.
:func:`assemble` glues label-only lines (wrapped labels, captions, repeated headers) to
the next line that carries values; :func:`align` picks a row's ``n`` cells.

Example::

    >>> rows = assemble([Line("（二）部分公开（区分处理的，"), Line("只计这一情形）"),
    ...                  Line("", ("0", "1"))])
    >>> rows[0].label, rows[0].fields
    ('（二）部分公开（区分处理的， 只计这一情形）', ('0', '1'))
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


class Side(str, enum.Enum):
    """Which end of a row its cells are anchored to when some are missing."""

    LEFT = "left"  # T2: the label, then the values
    RIGHT = "right"  # T3: merged group captions in front, 总计 last


@dataclass(frozen=True)
class Line:
    """One printed line: label text, then value fields (blank fields kept where known)."""

    label: str
    fields: tuple[str, ...] = ()
    positions: tuple[int, ...] | None = None
    width: int = 0
    heads: tuple[str, ...] | None = None  # per field: the column header above it (grids)
    offsets: tuple[int, ...] | None = None  # per field: display column of its centre (layout text)
    tokens: tuple[tuple[str, int], ...] = ()  # plain text: every label token and its centre


@dataclass(frozen=True)
class RawRow:
    """A table row: the label (with the label-only lines before it) and its value fields."""

    label: str
    own: str
    fields: tuple[str, ...]
    positions: tuple[int, ...] | None
    width: int
    heads: tuple[str, ...] | None = None
    offsets: tuple[int, ...] | None = None
    tokens: tuple[tuple[str, int], ...] = ()  # label tokens (buffered lines included), centres
    parts: tuple[str, ...] = ()  # the label-only lines buffered into this row, in order

    @property
    def filled(self) -> list[str]:
        return [f for f in self.fields if f.strip()]


def assemble(lines: list[Line], run_hint: int | None = None,
             is_header: Callable[[str], bool] | None = None) -> list[RawRow]:
    """Rows from lines: label-only lines are buffered into the next row's label.

    With ``run_hint``, a plain-text run of values shorter than the hint continues on the
    next value-only line (a row of numbers wrapped in two), also across a page break's
    repeated table header. A label-only line that ``is_header`` says is the table's column
    header (repeated after a page break, it can cut a label in two) is left out of labels;
    its tokens still tell where the columns are.
    """
    rows: list[RawRow] = []
    buffer: list[str] = []
    tokens: list[tuple[str, int]] = []
    for line in lines:
        if not line.fields:
            tokens += line.tokens
            if line.label.strip() and not (is_header and is_header(line.label)):
                buffer.append(line.label.strip())
            continue
        previous = rows[-1] if rows else None
        if (run_hint and previous is not None and not buffer and not line.label.strip()
                and previous.positions is None and line.positions is None
                and len(previous.fields) + len(line.fields) <= run_hint
                and len(previous.fields) < run_hint):
            offsets = (previous.offsets + line.offsets
                       if previous.offsets is not None and line.offsets is not None else None)
            rows[-1] = RawRow(previous.label, previous.own, previous.fields + line.fields,
                              None, 0, offsets=offsets)
            continue
        label = " ".join([*buffer, line.label.strip()]).strip()
        rows.append(RawRow(label, line.label.strip(), line.fields, line.positions, line.width,
                           line.heads, line.offsets, (*tokens, *line.tokens), tuple(buffer)))
        buffer, tokens = [], []
    if buffer:  # label-only lines at the end: a last row printed with every cell empty
        rows.append(RawRow(" ".join(buffer), "", (), None, 0, tokens=tuple(tokens),
                           parts=tuple(buffer)))
    return rows


def align(row: RawRow, siblings: list[RawRow], n: int, side: Side,
          fill: bool = True) -> tuple[tuple[str, ...] | None, bool]:
    """The row's ``n`` cell texts (``""`` = printed blank) and whether they are certain.

    A row with exactly ``n`` filled fields is read as is. With blanks, cells are placed by
    column position, taken from sibling rows of the same shape that are full; plain text
    without positions cannot be placed and gives ``None``. With ``fill``, a left-anchored
    row with positions but no sibling layout is read from its first field on.
    """
    filled = row.filled
    if len(filled) == n:
        return tuple(filled), True
    if len(filled) > n:
        return tuple(filled[-n:] if side is Side.RIGHT else filled[:n]), False
    if row.positions is None:
        return None, False
    by_position = dict(zip(row.positions, row.fields))
    layout = _sibling_layout(row, siblings, n)
    if layout is not None:
        return tuple(by_position.get(p, "") for p in layout), True
    if side is Side.LEFT and fill:
        return tuple((list(row.fields) + [""] * n)[:n]), True
    return None, False


def _sibling_layout(row: RawRow, siblings: list[RawRow], n: int) -> tuple[int, ...] | None:
    """Most common column positions of full sibling rows shaped like ``row``: same width,
    and the same first field position if any sibling has it (rows whose label spans the
    caption columns are laid out differently from rows under a group caption)."""
    layouts: dict[bool, Counter[tuple[int, ...]]] = {True: Counter(), False: Counter()}
    start = row.positions[0] if row.positions else None
    for other in siblings:
        if other.positions is None or other.width != row.width:
            continue
        positions = tuple(p for p, f in zip(other.positions, other.fields) if f.strip())
        if len(positions) == n:
            layouts[other.positions[0] == start][positions] += 1
    counter = layouts[True] or layouts[False]
    if not counter:
        return None
    layout = counter.most_common(1)[0][0]
    own = {p for p, f in zip(row.positions or (), row.fields) if f.strip()}
    return layout if own <= set(layout) else None
