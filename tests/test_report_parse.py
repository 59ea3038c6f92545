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


def test_a_row_outside_the_template_is_kept_after_the_template_keys():
    text = TEXT.replace("（七）总计\t26", "（六）其他处理\t0\t0\t0\t0\t0\t0\t0\n（七）总计\t26")
    record = parse_document(Document(status=ExtractStatus.OK, format="txt", text=text))
    assert record.template is Template.T2021 and record.missing == []
    extra = [f"t3.other.{c}" for c in ("natural", "commercial", "research", "public_interest",
                                       "legal_service", "org_other", "total")]
    assert list(record.cells)[-7:] == extra
    assert record.cells["t3.other.total"].value == 0


def test_a_t3_that_shows_no_template_takes_the_reports():
    from tests.test_report_drift import T3_2019_ROWS, _report
    from tests.test_report_support import txt_document
    t2 = ("第二十条第（一）项\n信息内容 本年制发件数 本年废止件数 现行有效件数\n规    章 1 0 11\n"
          "行政规范性文件 8 26 66\n第二十条第（五）项\n信息内容 本年处理决定数量\n行政许可 447228\n")
    # without （六）其他处理, nothing in T3 tells 2019 from 2021: the report's 2021 (from T2) holds
    t3 = (T3_2019_ROWS.replace("(六)其他处理 0 1 0 0 0 0 1\n", "")
          .replace("(七)总计 1 1 0 0 0 0 2", "(七)总计 1 0 0 0 0 0 1")
          .replace("申请数量 1 1 0 0 0 0 2", "申请数量 1 0 0 0 0 0 1"))
    record = parse_document(txt_document(_report(t2=t2, t3=t3, year="2021")))
    assert record.templates == {"t2": Template.T2021, "t3": Template.T2021, "t4": Template.T2021}
    assert "t3.other_overdue_correction.total" in record.missing
    assert not record.failing()
