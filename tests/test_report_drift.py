"""Real-world drift the parser must survive (report-schema.md), one small case each."""

from __future__ import annotations

from decimal import Decimal

import pytest

from archive.document import Cell, Document, ExtractStatus, Table
from archive.report import CellState, CheckStatus, Template, parse_document
from archive.report.keys import ValueKind
from archive.report.values import parse_cell
from tests.test_report_support import CORPUS, txt_document

T3_2019_ROWS = """一、本年新收政府信息公开申请数量 1 1 0 0 0 0 2
二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0
三、本年度办理结果 （一）予以公开 1 0 0 0 0 0 1
（二）部分公开（区分处理的，只计这一情形，不计其他情形） 0 0 0 0 0 0 0
（三）不予公开 1.属于国家秘密 0 0 0 0 0 0 0
2.其他法律行政止公开 0 0 0 0 0 0 0
3.危及“三安全一稳定” 0 0 0 0 0 0 0
4.保护第三方合法权益 0 0 0 0 0 0 0
5.属于三类内部事务信息 0 0 0 0 0 0 0
6.属于四类过程性信息 0 0 0 0 0 0 0
-3-
7.属于行政执法案卷 0 0 0 0 0 0 0
8.属于行政查询事项 0 0 0 0 0 0 0
（四）无法提供 1、本机关不掌握相关政府信息 0 0 0 0 0 0 0
2.没有现成信息需另行制作 0 0 0 0 0 0 0
3.补正后申请内容仍不明确 0 0 0 0 0 0 0
（五）不予处理 1.信访举报投诉类申请 0 0 0 0 0 0 0
2.重复申请 0 0 0 0 0 0 0
3.要求提供公开出版物 0 0 0 0 0 0 0
4.无正当理由大量反复申请 0 0 0 0 0 0 0
5.要求行政机关确认或重新出具已获取信息 0 0 0 0 0 0 0
(六)其他处理 0 1 0 0 0 0 1
(七)总计 1 1 0 0 0 0 2
四、结转下年度继续办理 0 0 0 0 0 0 0"""


def _report(t2: str = "", t3: str = T3_2019_ROWS, t4: str = "0 " * 15, year: str = "2020") -> str:
    return (f"{year}年凤岗镇政府信息公开工作年度报告\n一、总体情况\n本年收到申请2件。\n"
            f"二、主动公开政府信息情况\n{t2}\n三、收到和处理政府信息公开申请情况\n{t3}\n"
            f"四、政府信息公开行政复议、行政诉讼情况\n{t4}\n五、存在的主要问题及改进情况\n无。\n"
            "六、其他需要报告的事项\n无。\n")


@pytest.mark.parametrize("raw, kind, value, state", [
    ("1488笔", ValueKind.COUNT, 1488, CellState.VALUE),
    ("240,783,174.94 元", ValueKind.YUAN, Decimal("240783174.94"), CellState.VALUE),
    ("372827900.49元", ValueKind.YUAN, Decimal("372827900.49"), CellState.VALUE),
    ("3.5万元", ValueKind.YUAN, Decimal("35000.0"), CellState.VALUE),
    ("+157", ValueKind.SIGNED, 157, CellState.VALUE),
    ("－42", ValueKind.SIGNED, -42, CellState.VALUE),
    ("１２", ValueKind.COUNT, 12, CellState.VALUE),
    ("0", ValueKind.COUNT, 0, CellState.VALUE),
    ("", ValueKind.COUNT, None, CellState.BLANK),
    ("/", ValueKind.COUNT, None, CellState.DASH),
    ("—", ValueKind.COUNT, None, CellState.DASH),
    ("无", ValueKind.WAN, None, CellState.NONE),
    ("约5", ValueKind.COUNT, None, CellState.TEXT),
])
def test_cell_values(raw, kind, value, state) -> None:
    cell = parse_cell(raw, kind)
    assert (cell.value, cell.state, cell.raw) == (value, state, raw)


def test_typos_page_numbers_and_halfwidth_markers_in_t3() -> None:
    record = parse_document(txt_document(_report()))
    assert record.missing == [k for k in record.missing if k.startswith("t2.")]
    assert record.cells["t3.deny_law_forbidden.total"].value == 0
    assert record.cells["t3.unable_need_creation.natural"].value == 0
    assert record.cells["t3.other.commercial"].value == 1
    assert record.templates["t3"] is Template.T2019


def test_plain_text_row_with_a_blank_cell_is_never_shifted_silently() -> None:
    text = _report(t3=T3_2019_ROWS.replace("2.重复申请 0 0 0 0 0 0 0", "2.重复申请 0 0 0 0 0 0"))
    record = parse_document(txt_document(text))
    # all zeros: the blank could be any of the seven cells, so none of them is certain
    assert not any(record.cells[f"t3.reject_repeat.{c}"].certain for c in ("natural", "total"))
    check = next(c for c in record.checks if c.rule == "row_short")
    assert (check.scope, check.status) == ("reject_repeat", CheckStatus.NOT_ASSESSABLE)


def test_one_cell_per_line_and_wrapped_labels() -> None:
    t3 = T3_2019_ROWS.replace("4.保护第三方合法权益 0 0 0 0 0 0 0",
                              "4.保护第三方合\n法权益\n0\n0\n0\n0\n0\n0\n0")
    record = parse_document(txt_document(_report(t3=t3)))
    assert record.cells["t3.deny_third_party.total"].value == 0
    assert not record.failing()


def test_t2_2021_with_fused_spaces_and_units() -> None:
    t2 = ("第二十条第（一）项\n信息内容 本年制发件数 本年废止件数 现行有效件数\n规    章 1 0 11\n"
          "行政规范性文件 8 26 66\n第二十条第（五）项\n信息内容 本年处理决定数量\n行政许可 447228\n"
          "第二十条第（六）项\n信息内容 本年处理决定数量\n行政处罚 3985758\n行政强制 88283\n"
          "第二十条第（八）项\n信息内容 本年收费金额（单位：万元）\n行政事业性收费 96171.6")
    record = parse_document(txt_document(_report(t2=t2, year="2021")))
    assert record.templates["t2"] is Template.T2021
    assert record.template is Template.T2021  # hybrid: T3 keeps its single （六）其他处理
    assert record.templates["t3"] is Template.T2019
    assert record.cells["t2.regulations.in_force"].value == 11
    assert record.cells["t2.admin_fees.fee_amount_wan"].value == Decimal("96171.6")


def test_grid_with_merged_cells_and_a_blank_cell() -> None:
    cells = [Cell("行政复议", 0, 0, colspan=5), Cell("行政诉讼", 0, 5, colspan=10)]
    cells += [Cell("" if i == 3 else str(i % 2), 1, i) for i in range(15)]
    doc = Document(status=ExtractStatus.OK, format="docx", text=_report(t4=""),
                   tables=[Table(cells)])
    record = parse_document(doc)
    assert record.cells["t4.review.pending"].state is CellState.BLANK
    assert record.cells["t4.review.total"].value == 0
    assert record.cells["t4.suit_after_review.total"].value == 0


def test_pre2019_report_is_classified_and_split_without_cells() -> None:
    text = ("某某镇2015年政府信息公开工作年度报告\n一、概述\n本年主动公开信息120条。\n"
            "二、主动公开政府信息情况\n共计120条。\n三、依申请公开政府信息情况\n收到申请3件。\n"
            "四、政府信息公开的收费及减免情况\n无。\n")
    record = parse_document(txt_document(text))
    assert record.template is Template.PRE2019 and record.year == 2015
    assert record.cells == {} and record.missing == [] and record.checks == []
    assert sorted(record.sections) == ["1", "2", "3", "4"]


def test_not_a_report_is_unknown() -> None:
    record = parse_document(txt_document("404 页面不存在"))
    assert record.template is Template.UNKNOWN and record.cells == {}


def test_corpus_layout_text_of_huaian_reads_every_cell() -> None:
    import subprocess

    text = subprocess.run(["pdftotext", "-layout", str(CORPUS / "huaian-2024.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    record = parse_document(txt_document(text))
    assert record.template is Template.T2021 and record.missing == []
    assert record.cells["t3.other_overdue_correction.total"].value == 71
    assert not record.failing()
