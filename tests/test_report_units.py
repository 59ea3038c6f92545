"""Money cells in the unit their key names (report-schema.md, "Values"), through a parse.

``t2.central_procurement.proc_amount_yuan`` is in 元 and ``t2.admin_fees.fee_amount_wan`` in
万元, whatever the report prints: a cell printed with 元 under a 万元 header is converted,
one printed with 万元 is converted, and a bare number takes the unit of its column header.
Each case edits the money cell (and header) of a fixture report's text and parses it with
``parse_document``; every other cell must stay as the fixture's truth says.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from archive.report import parse_document
from tests.test_report_support import txt_document

TESTS = Path(__file__).resolve().parent
FEE_KEY = "t2.admin_fees.fee_amount_wan"
PROC_KEY = "t2.central_procurement.proc_amount_yuan"


def _text(snapshot: str) -> str:
    data = json.loads((TESTS / "extract_expected" / f"{snapshot}.json").read_text("utf-8"))
    return "\n".join(data["text"])


def _truth(stem: str) -> dict:
    path = TESTS / "fixtures" / "documents" / f"{stem}.truth.json"
    return json.loads(path.read_text("utf-8"))["cells"]


def _parse(text: str):
    return parse_document(txt_document(text)).cells


def _edited(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


# 2021 template: 本年收费金额（单位：万元）, key in 万元.
FEE_HEADER = "信息内容\t本年收费金额（单位：万元）"
FEE_ROW = "行政事业性收费\t0.00"


@pytest.mark.parametrize("printed, header, value", [
    ("35000元", FEE_HEADER, Decimal("3.5")),  # 元 under a 万元 header: converted
    ("35,000.00 元", FEE_HEADER, Decimal("3.5")),
    ("3.5万元", FEE_HEADER, Decimal("3.5")),
    ("3.5", FEE_HEADER, Decimal("3.5")),  # bare number: the header's 万元
    ("12345678元", "信息内容\t本年收费金额", Decimal("1234.5678")),  # 元 without any header unit
])
def test_fee_amount_is_in_wan(printed, header, value):
    text = _edited(_edited(_text("huadu-shiling-2021.html"), FEE_ROW,
                           f"行政事业性收费\t{printed}"), FEE_HEADER, header)
    cells = _parse(text)
    assert cells[FEE_KEY].value == value
    assert cells[FEE_KEY].raw.replace(" ", "") == printed.replace(" ", "")
    truth = _truth("huadu-shiling-2021")
    others = {k: v for k, v in truth.items() if k != FEE_KEY}
    assert {k: _number(cells[k].value) for k in others} == others


# 2019 template: 采购总金额, key in 元.
PROC_HEADER = "信息内容\t采购项目数量\t采购总金额"
PROC_ROW = "政府集中采购\t0\t1295388.27"
PROC_HEADER_WAN = "信息内容\t采购项目数量\t采购总金额（万元）"


@pytest.mark.parametrize("printed, header, value", [
    ("129.538827万元", PROC_HEADER, Decimal("1295388.27")),  # 万元 printed: converted
    ("1295388.27元", PROC_HEADER_WAN, Decimal("1295388.27")),  # 元 printed wins over the header
    ("1,295,388.27", PROC_HEADER, Decimal("1295388.27")),
])
def test_procurement_amount_is_in_yuan(printed, header, value):
    text = _edited(_edited(_text("huadu-shiling-2019.docx"), PROC_ROW,
                           f"政府集中采购\t0\t{printed}"), PROC_HEADER, header)
    cells = _parse(text)
    assert cells[PROC_KEY].value == value
    assert cells["t2.central_procurement.proc_count"].value == 0


def test_a_bare_procurement_amount_under_a_wan_header_is_converted_to_yuan():
    text = _edited(_edited(_text("huadu-shiling-2019.docx"), PROC_ROW, "政府集中采购\t0\t129.538827"),
                   PROC_HEADER, PROC_HEADER_WAN)
    assert _parse(text)[PROC_KEY].value == Decimal("1295388.27")


def test_a_bare_procurement_amount_with_wan_in_its_row_label_is_converted_to_yuan():
    text = _edited(_text("huadu-shiling-2019.docx"), PROC_ROW, "政府集中采购（万元）\t0\t129.538827")
    assert _parse(text)[PROC_KEY].value == Decimal("1295388.27")


def _number(value):
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    return value
