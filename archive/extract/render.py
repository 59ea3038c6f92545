"""Human-readable views of a Document for ``gkarchive extract FILE --text/--tables``.

Example::

    >>> from archive.document import Cell, Document, ExtractStatus, Table
    >>> doc = Document(ExtractStatus.OK, "pdf", tables=[Table([Cell("规章", 0, 0, colspan=2),
    ...     Cell("1", 1, 0), Cell("0", 1, 1)], page=3)])
    >>> print(render_tables(doc))
    table 1 (page 3, 2×2)
    规章 ←
    1    0
"""

from __future__ import annotations

import unicodedata

from archive.document import Document, Table

SPANNED = "←"  # a slot covered by a merged cell to its left
SPANNED_BELOW = "↑"  # a slot covered by a merged cell above


def render_text(doc: Document) -> str:
    """A status line, then each page's text under a header naming how it was read."""
    head = f"# {doc.format} · {doc.status.value}" + (f" · {doc.reason}" if doc.reason else "")
    parts = [head]
    for page in doc.pages:
        parts.append(f"--- page {page.number} ({page.method.value}: {page.tool} "
                     f"{page.tool_version}) ---")
        parts.append(page.text)
    return "\n".join(parts)


def render_tables(doc: Document) -> str:
    """Each table as aligned columns; spanned slots shown as ← (from the left) or ↑ (above)."""
    blocks = []
    for number, table in enumerate(doc.tables, start=1):
        where = f"page {table.page}, " if table.page is not None else ""
        blocks.append(f"table {number} ({where}{table.n_rows}×{table.n_cols})\n"
                      + _grid_lines(table))
    return "\n\n".join(blocks)


def _grid_lines(table: Table) -> str:
    rows = [["" for _ in range(table.n_cols)] for _ in range(table.n_rows)]
    for cell in table.cells:
        for r in range(cell.row, cell.row + cell.rowspan):
            for c in range(cell.col, cell.col + cell.colspan):
                rows[r][c] = SPANNED if r == cell.row else SPANNED_BELOW
        rows[cell.row][cell.col] = cell.text
    widths = [max((_width(row[c]) for row in rows), default=0) for c in range(table.n_cols)]
    return "\n".join(" ".join(text + " " * (widths[c] - _width(text))
                              for c, text in enumerate(row)).rstrip() for row in rows)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
