"""Every reviewed record, in every layout of ``tests/fixtures/layouts.py``, parses to exactly
its cells: one plain example per layout, a property test over random records, layouts and
print runs (hypothesis), and the placement of short rows by the template's identities.

The property test runs a fixed, derandomised set of examples (``LAYOUT_EXAMPLES``, default
40) so CI is repeatable; ``LAYOUT_EXAMPLES=500 LAYOUT_RANDOM=1`` explores further.
"""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.report import CheckStatus, parse_document
from tests.fixtures.layout_accuracy import make_case, score
from tests.fixtures.layout_records import (
    BLANK_PLANS, TITLE_VARIANTS, random_record, reviewed_records,
)
from tests.fixtures.layouts import LAYOUTS, POSITIONAL
from tests.test_report_drift import T3_2019_ROWS, _report
from tests.test_report_support import txt_document

RECORDS = reviewed_records()
LAYOUT_SETTINGS = settings(
    max_examples=int(os.environ.get("LAYOUT_EXAMPLES", "40")),
    derandomize=not os.environ.get("LAYOUT_RANDOM"), database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
# What each example shows off: a layout with columns gets whole blank columns (the T3 that
# lost 175 of 200 cells), plain text gets dashes; titles vary too.
EXAMPLE_PLAN = {layout: ("org_columns" if layout in POSITIONAL else "scattered")
                for layout in LAYOUTS}
EXAMPLE_PLAN["html-portal"] = EXAMPLE_PLAN["html-spans"] = "row_totals"
EXAMPLE_TITLE = dict(zip(LAYOUTS, ["no_gongzuo", "zhengwu", "niandu_nianbao", "two_lines",
                                   "metadata_only", "as_printed", "no_gongzuo", "zhengwu",
                                   "niandu_nianbao", "two_lines", "as_printed", "zhengwu",
                                   "niandu_nianbao"]))


def _assert_exact(case) -> None:
    result = score(case)
    assert not result.wrong, (f"{case.layout} {case.record.name} {case.printed.notes}: "
                              f"{len(result.wrong)} of {result.total} cells (actual, truth): "
                              f"{dict(list(result.wrong.items())[:12])}")
    assert result.title_ok, f"{case.layout} {case.record.name}: title, agency or year"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout_example(layout: str) -> None:
    record = RECORDS[LAYOUTS.index(layout) % len(RECORDS)]
    case = make_case(record, layout, random.Random(layout), blanks=EXAMPLE_PLAN[layout],
                     title=EXAMPLE_TITLE[layout], dash="" if layout in POSITIONAL else "—")
    _assert_exact(case)


RECORD_CHOICE = st.one_of(st.sampled_from(RECORDS),
                          st.builds(lambda t, seed: random_record(t, random.Random(seed)),
                                    st.sampled_from(["2019", "2021"]), st.integers(0, 2**32)))


@LAYOUT_SETTINGS
@given(record=RECORD_CHOICE, layout=st.sampled_from(LAYOUTS),
       blanks=st.sampled_from(BLANK_PLANS), title=st.sampled_from(TITLE_VARIANTS),
       seed=st.integers(0, 2**32))
def test_any_record_in_any_layout_parses_to_its_cells(record, layout, blanks, title,
                                                      seed) -> None:
    if title == "metadata_only" and layout != "html-portal":
        title = "as_printed"  # only a portal page has metadata to carry the title
    _assert_exact(make_case(record, layout, random.Random(seed), blanks=blanks, title=title))


# --- short rows: placed by the identities, or uncertain with a row_short check ----------

def _short(line: str, shortened: str):
    text = _report(t3=T3_2019_ROWS.replace(line, shortened))
    record = parse_document(txt_document(text))
    checks = [c for c in record.checks if c.rule == "row_short"]
    return record, checks


def test_short_row_with_one_placement_is_placed_by_the_identities() -> None:
    # （一）予以公开 1 0 0 0 0 0 1 printed without its 总计: only a blank total lets T3-ROW and
    # the column identities hold.
    record, checks = _short("（一）予以公开 1 0 0 0 0 0 1", "（一）予以公开 1 0 0 0 0 0")
    assert [(c.scope, c.status) for c in checks] == [("granted", CheckStatus.OK)]
    assert "total" in checks[0].detail
    assert record.cells["t3.granted.natural"].value == 1
    assert record.cells["t3.granted.total"].value is None
    assert record.cells["t3.granted.total"].certain
    assert not record.failing()


def test_short_row_whose_first_value_is_missing_is_shifted_right() -> None:
    # (六)其他处理 0 1 0 0 0 0 1 printed without the natural-person cell: reading left to right
    # would put 1 under 科研机构; only the blank at 自然人 keeps every column's identity.
    record, checks = _short("(六)其他处理 0 1 0 0 0 0 1", "(六)其他处理 1 0 0 0 0 1")
    assert [(c.scope, c.status) for c in checks] == [("other", CheckStatus.OK)]
    assert record.cells["t3.other.natural"].value is None
    assert record.cells["t3.other.commercial"].value == 1
    assert record.cells["t3.other.total"].value == 1


def test_short_row_with_several_placements_is_uncertain_and_named() -> None:
    record, checks = _short("2.重复申请 0 0 0 0 0 0 0", "2.重复申请 0 0 0 0 0 0")
    assert [(c.scope, c.status) for c in checks] == [("reject_repeat", CheckStatus.NOT_ASSESSABLE)]
    assert "7 placements" in checks[0].detail
    cells = [record.cells[f"t3.reject_repeat.{c}"] for c in ("natural", "total")]
    assert not any(cell.certain for cell in cells)


def test_short_row_with_no_placement_is_uncertain_and_failed() -> None:
    record, checks = _short("（一）予以公开 1 0 0 0 0 0 1", "（一）予以公开 5 0 0 0 0 9")
    assert [(c.scope, c.status) for c in checks] == [("granted", CheckStatus.FAILED)]
    assert "no placement" in checks[0].detail
    assert not record.cells["t3.granted.natural"].certain
    # a failing identity with an uncertain cell is a possible extraction error, not the source's
    statuses = {c.status for c in record.checks if "t3.granted.natural" in c.keys}
    assert CheckStatus.SOURCE_ANOMALY not in statuses


def test_t4_run_one_value_short_is_placed_by_t4_sum() -> None:
    # 行政复议 3 1 0 0 (总计 4 left out), then 0 2 0 0 2 and 1 0 0 0 1: only a blank 总计
    # keeps every group's T4-SUM.
    record = parse_document(txt_document(_report(t4="3 1 0 0 0 2 0 0 2 1 0 0 0 1")))
    check = next(c for c in record.checks if c.rule == "row_short")
    assert (check.scope, check.status) == ("t4", CheckStatus.OK)
    assert record.value("t4.review.total") is None
    assert [record.value(f"t4.suit_direct.{o}") for o in ("corrected", "total")] == [2, 2]


def test_t4_blank_among_zeros_is_uncertain() -> None:
    record = parse_document(txt_document(_report(t4="0 " * 14)))
    check = next(c for c in record.checks if c.rule == "row_short")
    assert check.status is CheckStatus.NOT_ASSESSABLE
    assert not record.cells["t4.review.upheld"].certain
