"""XLS (xlrd) and XLSX (openpyxl, read-only): every sheet as one table grid with its merges.

Each sheet is one page (``Page.number`` = sheet position) and one table on that page. A
merged range is one cell with rowspan/colspan; the grid covers the used range. In the text a
sheet is its name, then one tab-joined line per non-empty row.

Example::

    doc = extract_sheet(Path("dg-fenggang-2023.xls").read_bytes(), "xls", Limits())
    doc.tables[0].grid()[0]
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

import openpyxl
import xlrd

from archive.document import Cell, Document, ExtractStatus, Page, PageMethod, Table
from archive.extract.docx import table_text
from archive.extract.limits import ExtractFailure, Limits
from archive.extract.safezip import open_zip, parse_xml, read_member
from archive.extract.textutil import join_pages

Merge = tuple[int, int, int, int]  # first row, first col, rowspan, colspan (0-based)
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@dataclass
class SheetGrid:
    """One sheet's values (rows of strings) and merged ranges, before cutting into cells."""

    name: str
    rows: list[list[str]]
    merges: list[Merge] = field(default_factory=list)


def extract_sheet(data: bytes, fmt: str, limits: Limits) -> Document:
    """Read all sheets of an XLS or XLSX workbook."""
    if fmt == "xlsx":
        sheets, tool, version = _xlsx_sheets(data, limits), "openpyxl", openpyxl.__version__
    else:
        sheets, tool, version = _xls_sheets(data, limits), "xlrd", xlrd.__version__
    pages, tables = [], []
    for number, sheet in enumerate(sheets, start=1):
        table = sheet_table(sheet, number)
        tables.append(table)
        pages.append(Page(number, f"{sheet.name}\n{table_text(table)}".strip(),
                          PageMethod.NATIVE, tool, version))
    has_values = any(c.text for t in tables for c in t.cells)
    return Document(status=ExtractStatus.OK if has_values else ExtractStatus.EMPTY, format=fmt,
                    text=join_pages(pages), pages=pages, tables=tables,
                    reason="" if has_values else "no cell holds a value")


def sheet_table(sheet: SheetGrid, page: int) -> Table:
    """Cells of the used range; each merged range becomes one spanning cell."""
    n_rows = max((r + 1 for r, row in enumerate(sheet.rows) if any(row)), default=0)
    n_cols = max((c + 1 for row in sheet.rows for c, v in enumerate(row) if v), default=0)
    covered: set[tuple[int, int]] = set()
    spans = {}
    for row, col, rowspan, colspan in sheet.merges:
        if row < n_rows and col < n_cols:
            spans[(row, col)] = (min(rowspan, n_rows - row), min(colspan, n_cols - col))
            covered |= {(r, c) for r in range(row, row + rowspan) for c in range(col, col + colspan)}
    cells = []
    for r in range(n_rows):
        for c in range(n_cols):
            if (r, c) in covered and (r, c) not in spans:
                continue
            value = sheet.rows[r][c] if c < len(sheet.rows[r]) else ""
            rowspan, colspan = spans.get((r, c), (1, 1))
            cells.append(Cell(value, row=r, col=c, rowspan=rowspan, colspan=colspan))
    return Table(cells=cells, page=page)


def cell_string(value: object) -> str:
    """A cell value as the text a reader sees: ``3.0`` → ``3``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).strip()


def _xls_sheets(data: bytes, limits: Limits) -> list[SheetGrid]:
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except xlrd.XLRDError as exc:
        status = ExtractStatus.ENCRYPTED if "encrypt" in str(exc).lower() else ExtractStatus.CORRUPT
        raise ExtractFailure(status, f"xlrd: {exc}") from None
    except (AssertionError, IndexError, ValueError, KeyError, struct.error, OSError) as exc:
        raise ExtractFailure(ExtractStatus.CORRUPT, f"xlrd: {exc!r}") from None
    sheets = []
    for index in range(book.nsheets):
        sh = book.sheet_by_index(index)
        _check_cells(sh.nrows * sh.ncols, sh.name, limits)
        rows = [[_xls_value(sh.cell(r, c), book.datemode) for c in range(sh.ncols)]
                for r in range(sh.nrows)]
        merges = [(r0, c0, r1 - r0, c1 - c0) for r0, r1, c0, c1 in sh.merged_cells]
        sheets.append(SheetGrid(sh.name, rows, merges))
    return sheets


def _xls_value(cell: xlrd.sheet.Cell, datemode: int) -> str:
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode).isoformat()
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell_string(cell.value)
    if cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_EMPTY):
        return ""
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    return cell_string(cell.value)


def _check_cells(count: int, name: str, limits: Limits) -> None:
    if count > limits.max_sheet_cells:
        raise ExtractFailure(ExtractStatus.TOO_LARGE,
                             f"sheet {name!r} has {count} cells > limit {limits.max_sheet_cells}")


def _xlsx_sheets(data: bytes, limits: Limits) -> list[SheetGrid]:
    """Values via openpyxl read-only; merges from the sheet XML (read-only mode skips them)."""
    zf = open_zip(data, limits)
    merges = _xlsx_merges(zf, limits)  # also refuses any DTD in the workbook XML
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise ExtractFailure(ExtractStatus.CORRUPT, f"openpyxl: {exc!r}") from None
    sheets = []
    try:
        for ws in book.worksheets:
            rows, count = [], 0
            for row in ws.iter_rows(values_only=True):
                count += len(row)
                _check_cells(count, ws.title, limits)
                rows.append([cell_string(v) for v in row])
            sheets.append(SheetGrid(ws.title, rows, merges.get(ws.title, [])))
    finally:
        book.close()
    return sheets


def _xlsx_merges(zf: zipfile.ZipFile, limits: Limits) -> dict[str, list[Merge]]:
    workbook = parse_xml(read_member(zf, "xl/workbook.xml", limits))
    rels = parse_xml(read_member(zf, "xl/_rels/workbook.xml.rels", limits))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    merges = {}
    for sheet in workbook.iter(f"{MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{REL_NS}id"), "").lstrip("/")
        path = target if target.startswith("xl/") else f"xl/{target}"
        if path in zf.namelist():
            merges[sheet.get("name", "")] = _merge_refs(parse_xml(read_member(zf, path, limits)))
    return merges


def _merge_refs(sheet_xml: Element) -> list[Merge]:
    merges = []
    for merge in sheet_xml.iter(f"{MAIN_NS}mergeCell"):
        found = re.fullmatch(r"([A-Z]+)(\d+):([A-Z]+)(\d+)", merge.get("ref", ""))
        if found:
            c0, r0, c1, r1 = found.groups()
            col0, col1 = _col_index(c0), _col_index(c1)
            merges.append((int(r0) - 1, col0, int(r1) - int(r0) + 1, col1 - col0 + 1))
    return merges


def _col_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1
