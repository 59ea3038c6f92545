"""DOCX: paragraphs and tables in document order, merged cells (gridSpan/vMerge) as spans.

``word/document.xml`` is read through :mod:`archive.extract.safezip` (ZIP limits, defused XML)
and walked directly, because python-docx neither exposes spans nor parses defensively. In
the text, a table row is its cells' texts joined by tabs.

Example::

    doc = extract_docx(Path("template-2021-blank.docx").read_bytes(), Limits())
    doc.tables[0].cells[0].text  # '第二十条第（一）项'
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

import defusedxml

from archive.document import Cell, Document, ExtractStatus, Page, PageMethod, Table
from archive.extract.grid import join_cell_lines
from archive.extract.limits import Limits
from archive.extract.safezip import open_zip, parse_xml, read_member

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TOOL, TOOL_VERSION = "defusedxml", defusedxml.__version__


def extract_docx(data: bytes, limits: Limits, tool: str = TOOL, tool_version: str = TOOL_VERSION,
                 fmt: str = "docx") -> Document:
    """Text and grids of a DOCX (or of a DOCX a converter made: pass its tool and version)."""
    zf = open_zip(data, limits)
    body = parse_xml(read_member(zf, "word/document.xml", limits)).find(f"{W}body")
    blocks: list[str] = []
    tables: list[Table] = []
    for element in _blocks(body if body is not None else Element("empty")):
        if element.tag == f"{W}tbl":
            table = read_table(element)
            tables.append(table)
            blocks.append(table_text(table))
        else:
            blocks.append(paragraph_text(element))
    text = "\n".join(blocks).strip("\n")
    method = PageMethod.NATIVE if fmt == "docx" else PageMethod.CONVERTER
    status = ExtractStatus.OK if text.strip() else ExtractStatus.EMPTY
    return Document(status=status, format=fmt, text=text, tables=tables,
                    pages=[Page(1, text, method, tool, tool_version)],
                    reason="" if text.strip() else "no text in the document")


def _blocks(parent: Element):
    """Paragraphs and tables in order, looking through content controls (w:sdt)."""
    for child in parent:
        if child.tag in (f"{W}p", f"{W}tbl"):
            yield child
        elif child.tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml"):
            yield from _blocks(child)


def paragraph_text(paragraph: Element) -> str:
    """A paragraph's text, tabs and breaks kept; deleted revisions left out."""
    parts = []
    for node in paragraph.iter():
        if node.tag == f"{W}t":
            parts.append(node.text or "")
        elif node.tag == f"{W}tab":
            parts.append("\t")
        elif node.tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
    return "".join(parts)


def read_table(tbl: Element) -> Table:
    """One w:tbl as a grid; a vMerge continuation extends the rowspan of the cell above."""
    cells: list[Cell] = []
    open_merges: dict[int, Cell] = {}
    for row_index, tr in enumerate(tbl.findall(f"{W}tr")):
        col = _int_val(tr.find(f"{W}trPr/{W}gridBefore"), default=0)
        for tc in tr.findall(f"{W}tc"):
            props = tc.find(f"{W}tcPr")
            span = max(1, _int_val(props.find(f"{W}gridSpan") if props is not None else None, 1))
            vmerge = props.find(f"{W}vMerge") if props is not None else None
            merge_val = vmerge.get(f"{W}val", "continue") if vmerge is not None else None
            if merge_val == "continue" and col in open_merges:
                open_merges[col].rowspan = row_index - open_merges[col].row + 1
            else:
                cell = Cell(_cell_text(tc), row=row_index, col=col, colspan=span)
                cells.append(cell)
                open_merges.pop(col, None)
                if merge_val == "restart":
                    open_merges[col] = cell
            col += span
    return Table(cells=cells, page=None)


def _cell_text(tc: Element) -> str:
    lines = [paragraph_text(p) for p in tc.iter(f"{W}p")]
    return join_cell_lines("\n".join(line.replace("\t", " ") for line in lines))


def _int_val(element: Element | None, default: int) -> int:
    if element is None:
        return default
    try:
        return max(0, int(element.get(f"{W}val", default)))
    except ValueError:
        return default


def table_text(table: Table) -> str:
    """The table as text: one line per row, each cell's text once, at its origin, tab-joined."""
    rows: dict[int, list[Cell]] = {}
    for cell in table.cells:
        rows.setdefault(cell.row, []).append(cell)
    return "\n".join("\t".join(c.text for c in sorted(rows[r], key=lambda c: c.col))
                     for r in sorted(rows))
