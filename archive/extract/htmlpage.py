"""HTML report bodies (a full page or a body fragment): trafilatura for the prose, tables
read straight from the HTML with rowspan/colspan into grids.

trafilatura flattens tables, so each innermost ``<table>`` is swapped for a placeholder
paragraph before trafilatura runs, and the placeholder is replaced by the table's text
(tab-joined rows) afterwards: the text keeps reading order and the grids keep their spans.

Example::

    doc = extract_html("<p>二、主动公开</p><table><tr><td rowspan=2>规章</td><td>1</td></tr>"
                       "<tr><td>2</td></tr></table>".encode(), Limits())
    doc.tables[0].cells[0].rowspan  # 2
"""

from __future__ import annotations

import re

import lxml.html
import trafilatura
from lxml import etree

from archive.document import Cell, Document, ExtractStatus, Page, PageMethod, Table
from archive.extract.docx import table_text
from archive.extract.grid import join_cell_lines
from archive.extract.limits import ExtractFailure, Limits

CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)
MAX_SPAN = 200
PLACEHOLDER = "GKTABLE{}X"
BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section"}


def extract_html(data: bytes, limits: Limits) -> Document:
    """Text in reading order and grids of every innermost table of an HTML page or fragment."""
    root = _parse(decode_html(data))
    for junk in root.xpath("//script|//style|//noscript|//head/title"):
        junk.drop_tree()
    leaves = [t for t in root.iter("table") if not t.xpath(".//table")]
    tables = [read_table(t) for t in leaves]
    for index, node in enumerate(leaves):
        placeholder = lxml.html.Element("p")
        placeholder.text = PLACEHOLDER.format(index)
        placeholder.tail = node.tail
        node.getparent().replace(node, placeholder)
    text = _prose(root)
    for index, table in enumerate(tables):
        token = PLACEHOLDER.format(index)
        rows = table_text(table)
        text = text.replace(token, rows) if token in text else f"{text}\n{rows}"
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    status = ExtractStatus.OK if text else ExtractStatus.EMPTY
    return Document(status=status, format="html", text=text, tables=[t for t in tables if t.cells],
                    pages=[Page(1, text, PageMethod.NATIVE, "trafilatura", trafilatura.__version__)],
                    reason="" if text else "no text in the page")


def decode_html(data: bytes) -> str:
    """Decode by BOM, then the declared charset (GB2312/GBK read as GB18030), then guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    declared = CHARSET.search(data[:4096])
    encodings = ["utf-8", "gb18030"]
    if declared:
        name = declared.group(1).decode("ascii").lower()
        encodings.insert(0, "gb18030" if name in ("gb2312", "gbk", "gb18030") else name)
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("gb18030", errors="replace")


def _parse(html: str) -> lxml.html.HtmlElement:
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractFailure(ExtractStatus.CORRUPT, f"HTML does not parse: {exc}") from None


def _prose(root: lxml.html.HtmlElement) -> str:
    """trafilatura's main text; our own block walk when it finds none (short fragments)."""
    html = lxml.html.tostring(root, encoding="unicode")
    text = trafilatura.extract(html, include_tables=False, include_comments=False,
                               favor_recall=True, deduplicate=False) or ""
    if len(text) < 0.5 * len(_plain_text(root)):
        text = _plain_text(root)
    return text


def _plain_text(node: lxml.html.HtmlElement) -> str:
    """Text of a subtree with a line break at every block element."""
    parts: list[str] = []
    for element in node.iter():
        if not isinstance(element.tag, str):
            if element.tail:
                parts.append(element.tail)
            continue
        if element.tag in BLOCKS:
            parts.append("\n")
        if element.text:
            parts.append(element.text)
        if element.tail:
            parts.append(element.tail)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def read_table(table: lxml.html.HtmlElement) -> Table:
    """The HTML table model: each cell takes the next column not held by a rowspan above."""
    taken: set[tuple[int, int]] = set()
    cells = []
    rows = [tr for tr in table.iter("tr")]
    for r, tr in enumerate(rows):
        col = 0
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while (r, col) in taken:
                col += 1
            rowspan, colspan = _span(td, "rowspan"), _span(td, "colspan")
            rowspan = min(rowspan, len(rows) - r)
            cells.append(Cell(join_cell_lines(_plain_text(td)), row=r, col=col,
                              rowspan=rowspan, colspan=colspan))
            taken |= {(rr, cc) for rr in range(r, r + rowspan) for cc in range(col, col + colspan)}
            col += colspan
    return Table(cells=cells, page=None)


def _span(td: lxml.html.HtmlElement, attribute: str) -> int:
    digits = re.match(r"\s*(\d+)", td.get(attribute, "1"))
    return min(MAX_SPAN, max(1, int(digits.group(1)))) if digits else 1
