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

from archive.report.checks import CheckResult, CheckStatus, identities
from archive.report.keys import (
    T2_HEADER_WORDS, T2_ROWS_BY_TEMPLATE, T3_COL_LABELS, T3_COLS, T3_LABELS, T3_ROWS_2021_ONLY,
    T4_KEYS, Template, value_kind,
)
from archive.report.labels import LabelIndex, label_key, suffix_match
from archive.report.placement import (
    MAX_SHORT, T2_HEADS, T3_HEADS, ShortRow, by_field_count, by_offsets, header_centres, place,
    place_short_row,
)
from archive.report.rows import RawRow, Side
from archive.report.values import CellValue, parse_cell

T3_INDEX = LabelIndex({key: [label] for key, label in T3_LABELS.items()})
BLANK_ROW_SCORE = 0.9  # an all-blank row must match its label this well to count
T3_HEADER_WORDS = sorted({label_key(w) for w in (
    *T3_COL_LABELS.values(), "申请人情况", "法人或其他组织", "本列数据的勾稽关系为",
    "第一项加第二项之和", "等于第三项加第四项之和")}, key=len, reverse=True)


def is_t3_header(label: str) -> bool:
    """Whether a line is (part of) T3's column header: nothing but header words, e.g.
    ``"自然人 法人或其他组织 总计"``; a row label such as ``（七）总计`` is not."""
    rest = label_key(label)
    if not rest:
        return False
    for word in T3_HEADER_WORDS:
        rest = rest.replace(word, "")
    return not rest


@dataclass
class TableRead:
    """What one table region gave: cells by key, the template its labels show, and the
    ``row_short`` checks of rows whose values the structure could not place."""

    cells: dict[str, CellValue] = field(default_factory=dict)
    template: Template | None = None
    checks: list[CheckResult] = field(default_factory=list)


def _put(cells: dict[str, CellValue], key: str, raw: str | None, certain: bool,
         header_wan: bool = False) -> None:
    if raw is None:
        return
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
    """T2 cells: each row's label is matched by how the label text ends; its values go
    under the block's headers (layout columns tracked block by block)."""
    template = t2_template(rows, region_text)
    if template is None:
        return TableRead()
    specs = {row.key: row for row in T2_ROWS_BY_TEMPLATE[template]}
    labels = {key: list(spec.labels) for key, spec in specs.items()}
    all_columns = sorted({c for spec in specs.values() for c in spec.columns})
    read = TableRead(template=template)
    centres: dict[str, int] = {}
    short: list[ShortRow] = []
    exact = {label_key(label): key for key, variants in labels.items() for label in variants}
    for row in rows:
        centres = header_centres(row.tokens, T2_HEADS, all_columns) or centres
        # A row printed with every cell empty shows its label alone, before another row's.
        blank_rows = row.parts if row.own or not row.fields else row.parts[:-1]
        for part in blank_rows:
            key = exact.get(label_key(part))
            if key and not any(k.startswith(f"t2.{key}.") for k in read.cells):
                for column in specs[key].columns:
                    _put(read.cells, f"t2.{key}.{column}", "", True)
        match = suffix_match(row.own, labels) if row.own else None
        match = match or suffix_match(row.label, labels)
        if match is None or any(k.startswith(f"t2.{match.key}.") for k in read.cells):
            continue
        columns = list(specs[match.key].columns)
        values, certain = place(row, rows, columns, T2_HEADS, centres, Side.LEFT)
        keys = [f"t2.{match.key}.{c}" for c in columns]
        if values is None:
            if row.filled:
                short.append(ShortRow(match.key, tuple(keys), tuple(row.filled)))
            continue
        header_wan = "万元" in row.label
        for key, raw in zip(keys, values):
            _put(read.cells, key, raw, certain and match.certain, header_wan)
    _place_short_rows(read, short, [])
    return read


def read_t3(rows: list[RawRow]) -> TableRead:
    """T3 cells: row labels matched against the canonical list, seven cells per row, under
    the applicant columns the header names; short rows placed by the identities."""
    read = TableRead()
    found: list[str] = []
    centres: dict[str, int] = {}
    short: list[ShortRow] = []
    for row in rows:
        centres = {**centres, **header_centres(row.tokens, T3_HEADS, T3_COLS)}
        match = T3_INDEX.best(row.label, exclude=frozenset(found))
        if match is None or (not row.filled and match.score < BLANK_ROW_SCORE):
            continue
        found.append(match.key)
        values, certain = place(row, rows, T3_COLS, T3_HEADS, centres, Side.RIGHT)
        keys = [f"t3.{match.key}.{column}" for column in T3_COLS]
        if values is None:
            if row.filled:
                short.append(ShortRow(match.key, tuple(keys), tuple(row.filled)))
            continue
        for key, raw in zip(keys, values):
            _put(read.cells, key, raw, certain and match.certain)
    if any(key in found for key in T3_ROWS_2021_ONLY):
        read.template = Template.T2021
    elif "other" in found:
        read.template = Template.T2019
    elif found:
        read.template = Template.UNKNOWN
    _place_short_rows(read, short, [i for i in identities(read.template)
                                    if i[0].startswith("T3-")])
    return read


def _place_short_rows(read: TableRead, short: list[ShortRow], rules: list) -> None:
    """Short rows placed by the identities, those that fit one way first (each placed row
    can decide another); the rest laid out uncertain. One ``row_short`` check per row."""
    pending = list(short)
    while pending:
        results = [(row, place_short_row(row, read.cells, rules)) for row in pending]
        sure = [(row, p) for row, p in results if p.certain]
        chosen = sure or results
        for row, placement in chosen:
            status = CheckStatus.OK if placement.certain else (
                CheckStatus.FAILED if placement.fits == 0 else CheckStatus.NOT_ASSESSABLE)
            read.checks.append(CheckResult("row_short", row.scope, status, placement.detail,
                                           keys=row.keys))
            for key, raw in placement.texts.items():
                _put(read.cells, key, raw, placement.certain)
        pending = [row for row in pending if row not in [r for r, _ in chosen]]


def read_t4(rows: list[RawRow]) -> TableRead:
    """T4 cells: the fifteen values in printed order (one row, or rows that add up to 15);
    a run one or two values short is placed by T4-SUM."""
    n = len(T4_KEYS)
    read = TableRead()
    laid_out = [r.filled if len(r.filled) == n else by_field_count(r, n)[0] for r in rows
                if r.filled]
    full = [values for values in laid_out if values is not None]
    certain = bool(full)
    if full:
        values = tuple(full[0])
    else:
        # Values spread over several lines: their order is the printed one only if the
        # layout kept it, so these cells are not certain.
        runs = [r.filled for r in rows if r.filled and len(label_key(r.own)) <= 12]
        values = tuple(v for run in runs for v in run)
        laid = _t4_by_layout(rows)
        if laid is not None:
            values, certain = laid, True
        elif n - MAX_SHORT <= len(values) < n:
            _place_short_rows(read, [ShortRow("t4", tuple(T4_KEYS), values)],
                              [i for i in identities(None) if i[0] == "T4-SUM"])
            return read
        if len(values) != n:
            return read
    for key, raw in zip(T4_KEYS, values):
        _put(read.cells, key, raw, certain)
    return read


T4_OUTCOME_WORDS = {"结果维持", "结果维护", "结果纠正", "其他结果", "尚未审结", "总计"}


def _t4_by_layout(rows: list[RawRow]) -> tuple[str, ...] | None:
    """The T4 values of a layout-text row under the fifteen outcome headers (sorted by
    column), when the row leaves cells blank."""
    tokens = sorted({c for row in rows for t, c in row.tokens if label_key(t) in T4_OUTCOME_WORDS})
    centres = [c for i, c in enumerate(tokens) if i == 0 or c - tokens[i - 1] > 2]
    data = [r for r in rows if r.filled and r.offsets is not None]
    if len(centres) != len(T4_KEYS) or len(data) != 1:
        return None
    return by_offsets(data[0], centres)


def merge_reads(primary: TableRead, fallback: TableRead) -> TableRead:
    """Cells of ``primary`` (a grid) completed by ``fallback`` (the text) where absent."""
    if not primary.cells:
        return fallback
    cells = dict(primary.cells)
    checks = list(primary.checks)
    if fallback.template in (primary.template, None):
        for key, value in fallback.cells.items():
            cells.setdefault(key, value)
        checks += [c for c in fallback.checks if not any(k in primary.cells for k in c.keys)]
    return TableRead(cells, primary.template or fallback.template, checks)
