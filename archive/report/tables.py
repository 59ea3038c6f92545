"""Rows of a table region → canonical cells of T2, T3 and T4, with the template per table.

Example::

    >>> from archive.report.rows import RawRow
    >>> row = RawRow("行政许可", "行政许可", ("447228",), None, 0)
    >>> read = read_t2([row], "信息内容 本年处理决定数量")
    >>> read.template.value, read.cells["t2.licensing.decisions"].value
    ('2021', 447228)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from archive.report.keys import (
    T2_HEADER_WORDS, T2_ROWS_BY_TEMPLATE, T3_COLS, T3_LABELS, T3_ROWS_2021_ONLY, T4_KEYS,
    Template, value_kind,
)
from archive.report.labels import LabelIndex, label_key, suffix_match
from archive.report.rows import RawRow, Side, align
from archive.report.values import CellValue, parse_cell

T3_INDEX = LabelIndex({key: [label] for key, label in T3_LABELS.items()})
BLANK_ROW_SCORE = 0.9  # an all-blank row must match its label this well to count


@dataclass
class TableRead:
    """What one table region gave: cells by key, and the template its labels show."""

    cells: dict[str, CellValue] = field(default_factory=dict)
    template: Template | None = None


def _put(cells: dict[str, CellValue], key: str, raw: str, certain: bool,
         header_wan: bool = False) -> None:
    value = parse_cell(raw, value_kind(key), header_wan=header_wan)
    cells[key] = value if certain else replace(value, certain=False)


def t2_template(rows: list[RawRow], region_text: str) -> Template | None:
    """2019 or 2021 by the column headers printed in T2; else by the 行政许可 row's width."""
    text = label_key(region_text)
    votes = Counter({t: sum(label_key(w) in text for w in words)
                     for t, words in T2_HEADER_WORDS.items()})
    if votes[Template.T2019] != votes[Template.T2021]:
        return votes.most_common(1)[0][0]
    widths = [len(r.filled) for r in rows if label_key(r.own or r.label).endswith("行政许可")]
    if widths:
        return Template.T2021 if widths[0] == 1 else Template.T2019
    return None


def read_t2(rows: list[RawRow], region_text: str) -> TableRead:
    """T2 cells: each row's label is matched by how the label text ends."""
    template = t2_template(rows, region_text)
    if template is None:
        return TableRead()
    specs = {row.key: row for row in T2_ROWS_BY_TEMPLATE[template]}
    labels = {key: list(spec.labels) for key, spec in specs.items()}
    read = TableRead(template=template)
    for row in rows:
        match = suffix_match(row.own, labels) if row.own else None
        match = match or suffix_match(row.label, labels)
        if match is None or any(k.startswith(f"t2.{match.key}.") for k in read.cells):
            continue
        columns = specs[match.key].columns
        values, certain = align(row, rows, len(columns), Side.LEFT)
        if values is None:
            continue
        header_wan = "万元" in row.label
        for column, raw in zip(columns, values):
            _put(read.cells, f"t2.{match.key}.{column}", raw, certain and match.certain,
                 header_wan)
    return read


def read_t3(rows: list[RawRow]) -> TableRead:
    """T3 cells: row labels matched against the canonical list, seven cells per row."""
    read = TableRead()
    found: list[str] = []
    for row in rows:
        match = T3_INDEX.best(row.label, exclude=frozenset(found))
        if match is None or (not row.filled and match.score < BLANK_ROW_SCORE):
            continue
        found.append(match.key)
        values, certain = align(row, rows, len(T3_COLS), Side.RIGHT)
        if values is None:
            continue
        for column, raw in zip(T3_COLS, values):
            _put(read.cells, f"t3.{match.key}.{column}", raw, certain and match.certain)
    if any(key in found for key in T3_ROWS_2021_ONLY):
        read.template = Template.T2021
    elif "other" in found:
        read.template = Template.T2019
    elif found:
        read.template = Template.UNKNOWN
    return read


def read_t4(rows: list[RawRow]) -> TableRead:
    """T4 cells: the fifteen values in printed order (one row, or rows that add up to 15)."""
    n = len(T4_KEYS)
    read = TableRead()
    full = [r for r in rows if len(r.filled) == n]
    full = full or [r for r in rows if r.filled and r.positions and len(r.fields) == n]
    certain = bool(full)
    if full:
        values = full[0].fields if len(full[0].fields) == n else tuple(full[0].filled)
    else:
        # Values spread over several lines: their order is the printed one only if the
        # layout kept it, so these cells are not certain.
        runs = [r.filled for r in rows if r.filled and len(label_key(r.own)) <= 12]
        values = tuple(v for run in runs for v in run)
        if len(values) != n:
            return read
    for key, raw in zip(T4_KEYS, values):
        _put(read.cells, key, raw, certain)
    return read


def merge_reads(primary: TableRead, fallback: TableRead) -> TableRead:
    """Cells of ``primary`` (a grid) completed by ``fallback`` (the text) where absent."""
    if not primary.cells:
        return fallback
    cells = dict(primary.cells)
    if fallback.template in (primary.template, None):
        for key, value in fallback.cells.items():
            cells.setdefault(key, value)
    return TableRead(cells, primary.template or fallback.template)
