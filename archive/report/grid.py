"""Table grids (DOCX, HTML, ruled PDF pages) as lines, and which report table each one is.

A grid row becomes a :class:`~archive.report.rows.Line`: the texts of its label cells
(merged group captions that span down into the row included) and the cells that start in
the row after the last label cell, each at its column. A merged value cell counts once.

Example::

    >>> from archive.document import Cell, Table
    >>> table = Table([Cell("行政许可", 0, 0), Cell("447228", 0, 1, colspan=3)])
    >>> grid_lines(table)[0].fields, grid_lines(table)[0].positions
    (('447228',), (1,))
"""

from __future__ import annotations

from archive.document import Cell, Table
from archive.report.keys import T2_ROWS_BY_TEMPLATE, T3_LABELS
from archive.report.labels import label_key
from archive.report.rows import Line
from archive.report.values import is_value_text

T2_WORDS = sorted({label_key(label) for rows in T2_ROWS_BY_TEMPLATE.values() for row in rows
                   for label in row.labels} | {"第二十条", "信息内容"})
T3_WORDS = [label_key(label)[1:] for label in T3_LABELS.values() if len(label_key(label)) > 4]
T3_WORDS += ["申请人情况", "自然人", "法人或其他组织"]
T4_WORDS = ["行政复议", "行政诉讼", "未经复议直接起诉", "复议后起诉", "尚未审结", "结果维持"]


def grid_lines(table: Table) -> list[Line]:
    """Each grid row as a label and the value cells that start in it, at their columns, each
    with the column header printed above it."""
    covering: dict[int, list[Cell]] = {}
    at: dict[tuple[int, int], Cell] = {}
    for cell in sorted(table.cells, key=lambda c: (c.col, c.row)):
        for row in range(cell.row, cell.row + cell.rowspan):
            covering.setdefault(row, []).append(cell)
            for col in range(cell.col, cell.col + cell.colspan):
                at[row, col] = cell
    labels = {id(c) for c in table.cells if c.text.strip() and not is_value_text(c.text)}
    width = table.n_cols
    heads = _heads(at, labels, table.n_rows, width)
    return [_row_line(covering[r], r, width, labels, heads) for r in sorted(covering)]


def _heads(at: dict[tuple[int, int], Cell], labels: set[int], n_rows: int,
           n_cols: int) -> dict[tuple[int, int], str]:
    """For each slot, the nearest label cell above it in its column (value and blank cells
    skipped): a value's column header."""
    heads: dict[tuple[int, int], str] = {}
    for col in range(n_cols):
        last = ""
        for row in range(n_rows):
            heads[row, col] = last
            cell = at.get((row, col))
            if cell is not None and id(cell) in labels:
                last = cell.text.strip()
    return heads


def _row_line(cells: list[Cell], row: int, width: int, labels: set[int],
              heads: dict[tuple[int, int], str]) -> Line:
    label_cells = [c for c in cells if id(c) in labels]
    label_end = max((c.col + c.colspan for c in label_cells), default=0)
    values = [c for c in cells if c.row == row and c.col >= label_end]
    label = " ".join(c.text.strip() for c in label_cells)
    if not values:
        return Line(label)
    return Line(label, tuple(c.text.strip() for c in values), tuple(c.col for c in values), width,
                heads=tuple(heads[c.row, c.col] for c in values))


def table_kinds(table: Table) -> dict[str, int]:
    """How many words of each report table the grid holds, e.g. ``{"t2": 9, "t3": 0, "t4": 0}``."""
    text = label_key("".join(c.text for c in table.cells))
    return {
        "t2": sum(word in text for word in T2_WORDS),
        "t3": sum(word in text for word in T3_WORDS),
        "t4": sum(word in text for word in T4_WORDS),
    }


def tables_by_kind(tables: list[Table]) -> dict[str, list[Line]]:
    """The lines of every grid, grouped by report table, in document order.

    A grid holding several tables (a spreadsheet with the whole report on one sheet) goes
    to each; a grid with a single hit continues the grid before it if that was of the same
    table (the tail of a table split across pages, often without its first column).
    """
    lines: dict[str, list[Line]] = {}
    previous: list[str] = []
    for table in tables:
        scores = table_kinds(table)
        kinds = [k for k, n in scores.items() if n >= 2]
        kinds = kinds or [k for k, n in scores.items() if n == 1 and k in previous]
        for kind in kinds:
            lines.setdefault(kind, []).extend(grid_lines(table))
        previous = kinds
    return lines
