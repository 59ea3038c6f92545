"""``parse_document`` as a whole: the record's source and version, OCR'd pages, the missing
list, and the template of a report without standard tables."""

from __future__ import annotations

import json
from pathlib import Path

from archive.document import Document, ExtractStatus, Page, PageMethod
from archive.report import PARSER_VERSION, Source, Template, parse_document
from archive.report.keys import T2_2021_KEYS

TEXT = "\n".join(json.loads((Path(__file__).parent / "extract_expected" /
                             "huadu-shiling-2021.html.json").read_text("utf-8"))["text"])


def test_source_and_parser_version():
    doc = Document(status=ExtractStatus.OK, format="html", text=TEXT, sha256="d" * 64)
    record = parse_document(doc, path="a.html", sha256="e" * 64)
    assert record.source == Source("a.html", "e" * 64, "html")
    assert record.parser_version == PARSER_VERSION
    assert parse_document(doc).source == Source("", "d" * 64, "html")


def test_every_cell_of_an_ocr_page_is_uncertain():
    page = Page(1, TEXT, PageMethod.OCR, "tesseract", "5")
    record = parse_document(Document(status=ExtractStatus.OK, format="pdf", text=TEXT,
                                     pages=[page]))
    assert record.cells and not any(c.certain for c in record.cells.values())
    text_layer = Page(1, TEXT, PageMethod.TEXT_LAYER, "pypdfium2", "5")
    record = parse_document(Document(status=ExtractStatus.OK, format="pdf", text=TEXT,
                                     pages=[text_layer]))
    assert all(c.certain for c in record.cells.values())


def test_a_table_left_out_is_missing_key_by_key():
    start, end = TEXT.index("二、主动公开政府信息情况"), TEXT.index("三、收到和处理政府信息公开申请情况")
    record = parse_document(Document(status=ExtractStatus.OK, format="txt",
                                     text=TEXT[:start] + TEXT[end:]))
    assert record.template is Template.T2021
    assert record.missing == T2_2021_KEYS
    assert list(record.cells)[0] == "t3.new_received.natural"


def test_a_report_without_tables_is_pre2019_by_its_year_else_unknown():
    def template(year: int) -> Template:
        text = f"凤岗镇{year}年政府信息公开工作年度报告\n一、总体情况\n正文"
        return parse_document(Document(status=ExtractStatus.OK, format="txt", text=text)).template
    assert (template(2017), template(2018), template(2019)) == \
        (Template.PRE2019, Template.PRE2019, Template.UNKNOWN)


def test_an_unusable_document_gives_an_empty_record():
    record = parse_document(Document(status=ExtractStatus.CORRUPT, format="pdf", text=TEXT))
    assert (record.cells, record.title, record.template) == ({}, "", Template.UNKNOWN)
