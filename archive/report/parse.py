"""From an extracted :class:`~archive.document.Document` to a :class:`ReportRecord`.

Tables are read from the document's grids when it has them and from the text of their
section otherwise (a grid's gaps are filled from the text). The template is decided per
table from the labels; a report without any standard table is ``pre2019`` when its year
says so, else ``unknown``, and gets no cells.

Example::

    doc = Document(status=ExtractStatus.OK, format="txt", text=path.read_text())
    record = parse_document(doc, path=str(path))
    record.cells["t3.new_received.total"].value  # 2
"""

from __future__ import annotations

import re
from dataclasses import replace

from archive.document import Document, PageMethod
from archive.report.checks import hard_checks, t2_soft_checks, text_vs_table
from archive.report.grid import tables_by_kind
from archive.report.keys import TABLES, Template, table_keys
from archive.report.record import ReportRecord, Source
from archive.report.rows import Line, assemble
from archive.report.sections import (
    Section, agency_of, find_sections, report_title, section_body, year_of,
)
from archive.report.tables import (
    TableRead, is_t3_header, merge_reads, read_t2, read_t3, read_t4,
)
from archive.report.text import text_lines

PARSER_VERSION = "1.1.0"  # 1.1.0: tables read by structure (headers, layout columns, short rows)
TABLE_SECTION = {"t2": 2, "t3": 3, "t4": 4}
KNOWN = (Template.T2019, Template.T2021)


def parse_document(doc: Document, *, path: str = "", sha256: str = "") -> ReportRecord:
    """Every cell of the standard tables, the checks, title, agency, year and sections."""
    record = ReportRecord(Source(path, sha256 or doc.sha256, doc.format),
                          parser_version=PARSER_VERSION)
    if not doc.usable:
        return record
    lines = doc.text.splitlines()
    sections = find_sections(lines)
    record.title = report_title(lines)
    record.year = year_of(record.title, doc.text)
    record.agency = agency_of(record.title) or agency_from_text(doc.text)
    reads = read_tables(doc, lines, sections)
    record.template, record.templates = decide_templates(reads, record.year)
    if record.template not in KNOWN:
        record.sections = sections_text(lines, find_sections(lines, standard=False))
        return record
    record.sections = sections_text(lines, sections)
    fill_cells(record, reads, uncertain=any(p.method is PageMethod.OCR for p in doc.pages))
    section_one = record.sections.get("1", "")
    found = [t for t in TABLES if any(k.startswith(f"{t}.") for k in record.cells)]
    record.checks = [*hard_checks(record.cells, record.templates["t3"], found),
                     *t2_soft_checks(record.cells, record.templates["t2"]),
                     text_vs_table(section_one, record.cells),
                     *(c for t in TABLES if t in found for c in reads[t].checks)]
    return record


def table_regions(lines: list[str], sections: list[Section]) -> dict[str, list[str]]:
    """Lines of each table's section; a section not found spans its neighbours' gap."""
    by_number = {s.number: s for s in sections}
    regions = {}
    for table, number in TABLE_SECTION.items():
        if number in by_number:
            section = by_number[number]
            regions[table] = lines[section.start + 1:section.end]
            continue
        before = [s.start for s in sections if s.number < number]
        after = [s.start for s in sections if s.number > number]
        regions[table] = lines[max(before, default=0):min(after, default=len(lines))]
    return regions


def read_table(table: str, lines: list[Line]) -> TableRead:
    """One table from its lines, grid or text alike."""
    if table == "t2":
        return read_t2(assemble(lines), " ".join(line.label for line in lines))
    if table == "t3":
        return read_t3(assemble(lines, run_hint=7, is_header=is_t3_header))
    return read_t4(assemble(lines))


def read_tables(doc: Document, lines: list[str], sections: list[Section]) -> dict[str, TableRead]:
    """Each table from the grids, completed from the text."""
    grids = tables_by_kind(doc.tables)
    regions = table_regions(lines, sections)
    return {table: merge_reads(read_table(table, grids.get(table, [])),
                               read_table(table, text_lines(regions[table])))
            for table in TABLES}


def decide_templates(reads: dict[str, TableRead],
                     year: int | None) -> tuple[Template, dict[str, Template]]:
    """The report's template and each table's; 2021 wins as soon as a table prints it."""
    seen = [reads[t].template for t in ("t2", "t3") if reads[t].template in KNOWN]
    if not seen:
        overall = Template.PRE2019 if year is not None and year <= 2018 else Template.UNKNOWN
        return overall, {}
    overall = Template.T2021 if Template.T2021 in seen else Template.T2019
    per_table = {t: reads[t].template if reads[t].template in KNOWN else overall
                 for t in ("t2", "t3")}
    return overall, {**per_table, "t4": overall}


def fill_cells(record: ReportRecord, reads: dict[str, TableRead], uncertain: bool) -> None:
    """Cells in canonical order (extra keys found last) and the template's missing keys."""
    found = {k: v for read in reads.values() for k, v in read.cells.items()}
    if uncertain:
        found = {k: replace(v, certain=False) for k, v in found.items()}
    expected = [k for t in TABLES for k in table_keys(t, record.templates[t])]
    record.cells = {k: found[k] for k in expected if k in found}
    record.cells.update({k: v for k, v in found.items() if k not in record.cells})
    record.missing = [k for k in expected if k not in found]


def sections_text(lines: list[str], sections: list[Section]) -> dict[str, str]:
    """Section bodies keyed ``"1"`` … ``"6"``."""
    return {str(s.number): section_body(lines, s) for s in sections}


MADE_BY = re.compile(r"由(\S{2,30}?(?:人民政府|政府|镇|街道办事处|局|委员会))(?:办公室)?(?:负责)?编制")


def agency_from_text(text: str) -> str:
    """The body named as the report's author ("由…编制") when the title names none."""
    match = MADE_BY.search("".join(text.split()))
    return agency_of(match[1] + "政府信息公开") if match else ""
