"""Each check rule of ``archive.report.checks`` and the record's JSON, case by case: statuses,
the details a reader sees, the soft warnings, the cross-year carry-over. Pure functions on
hand-built cells; the corpus tests (``test_report_checks.py``, goldens) run them on reports.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from archive.report import CheckStatus, ReportRecord, Severity, Source, Template
from archive.report.checks import (CheckResult, carry_over_check, dom_checks, hard_checks,
                                   identity, t2_soft_checks, t4_checks, text_vs_table)
from archive.report.keys import T3_COLS
from archive.report.record import check_json, json_number
from archive.report.values import CellState, CellValue

OK, FAILED, NA = CheckStatus.OK, CheckStatus.FAILED, CheckStatus.NOT_ASSESSABLE
ANOMALY = CheckStatus.SOURCE_ANOMALY


def cells(values: dict, certain: bool = True) -> dict[str, CellValue]:
    return {k: CellValue(v, "" if v is None else f" {v} ",
                         CellState.BLANK if v is None else CellState.VALUE, certain)
            for k, v in values.items()}


# --- identities ----------------------------------------------------------------------------

def test_identity_ok_failed_and_its_detail():
    c = cells({"t3.a.x": 2, "t3.b.x": 3, "t3.c.x": 4, "t3.d.x": 1})
    assert identity("R", "x", ["t3.a.x", "t3.b.x"], ["t3.c.x", "t3.d.x"], c) == \
        CheckResult("R", "x", OK, keys=("t3.a.x", "t3.b.x", "t3.c.x", "t3.d.x"))
    c["t3.d.x"] = CellValue(2, "2", CellState.VALUE)
    failed = identity("R", "x", ["t3.a.x", "t3.b.x"], ["t3.c.x", "t3.d.x"], c)
    assert (failed.status, failed.difference) == (FAILED, -1)
    assert failed.detail == "a.x + b.x = 5 ≠ 6 = c.x + d.x"


def test_identity_with_four_parts_says_sum_of_parts():
    c = cells({"t4.g.total": 5, "t4.g.a": 1, "t4.g.b": 1, "t4.g.c": 1, "t4.g.d": 1})
    check = identity("T4-SUM", "g", ["t4.g.total"], ["t4.g.a", "t4.g.b", "t4.g.c", "t4.g.d"], c)
    assert check.detail == "g.total = 5 ≠ 4 = sum of parts" and check.difference == 1
    three = identity("T4-SUM", "g", ["t4.g.total"], ["t4.g.a", "t4.g.b", "t4.g.c"], c)
    assert three.detail == "g.total = 5 ≠ 3 = g.a + g.b + g.c"


def test_not_assessable_names_missing_and_null_cells_and_the_implied_value():
    c = cells({"t3.a.x": 2, "t3.b.x": None, "t3.c.x": 4})
    check = identity("R", "x", ["t3.a.x", "t3.b.x"], ["t3.c.x"], c)
    assert (check.status, check.detail) == (NA, "b.x null; the identity implies 2")
    right = identity("R", "x", ["t3.a.x"], ["t3.c.x", "t3.z.x"], c)
    assert right.detail == "z.x missing; the identity implies -2"
    both = identity("R", "x", ["t3.a.x", "t3.b.x"], ["t3.z.x"], c)
    assert both.detail == "b.x null; z.x missing"
    assert both.keys == ("t3.a.x", "t3.b.x", "t3.z.x")


def test_t4_sum_per_group_in_order():
    values = {f"t4.{g}.{o}": 1 for g in ("review", "suit_direct", "suit_after_review")
              for o in ("upheld", "corrected", "other", "pending")}
    values.update({"t4.review.total": 4, "t4.suit_direct.total": 3, "t4.suit_after_review.total": 4})
    checks = t4_checks(cells(values))
    assert [(c.scope, c.status) for c in checks] == [
        ("review", OK), ("suit_direct", FAILED), ("suit_after_review", OK)]


def test_cancelling_failures_of_one_rule_stay_failed_others_become_anomalies():
    values = {f"t4.{g}.{o}": 0 for g in ("review", "suit_direct", "suit_after_review")
              for o in ("upheld", "corrected", "other", "pending", "total")}
    values["t4.review.total"], values["t4.suit_direct.total"] = 1, -1  # +1 and -1 cancel out

    def statuses():
        return {c.scope: c.status for c in hard_checks(cells(values), None, ["t4"])
                if c.rule == "T4-SUM"}

    assert statuses() == {"review": FAILED, "suit_direct": FAILED, "suit_after_review": OK}
    values["t4.suit_direct.total"] = 2  # +1 and +2: no cancelling, the source says so
    assert statuses() == {"review": ANOMALY, "suit_direct": ANOMALY, "suit_after_review": OK}


def test_a_single_failure_with_an_uncertain_cell_is_failed():
    values = {f"t4.review.{o}": 0 for o in ("upheld", "corrected", "other", "pending")}
    c = cells({**values, "t4.review.total": 1})
    c["t4.review.other"] = CellValue(0, "0", CellState.VALUE, certain=False)
    assert hard_checks(c, None, ["t4"])[0].status is FAILED


def test_hard_checks_only_for_the_tables_found():
    assert hard_checks({}, Template.T2019, []) == []
    rules = {c.rule for c in hard_checks({}, Template.T2021, ["t3"])}
    assert rules == {"T3-BAL", "T3-RES", "T3-ROW", "DOM"}
    t3 = [c for c in hard_checks({}, Template.T2021, ["t3"]) if c.rule == "T3-ROW"]
    assert len(t3) == 25 and {c.scope for c in t3} >= {"other_overdue_correction", "other_misc"}
    t3_2019 = [c for c in hard_checks({}, None, ["t3"]) if c.rule == "T3-ROW"]
    assert len(t3_2019) == 23 and "other" in {c.scope for c in t3_2019}
    res = next(c for c in hard_checks({}, Template.T2021, ["t3"]) if c.rule == "T3-RES")
    assert "t3.other_fee_unpaid.natural" in res.keys and "t3.other.natural" not in res.keys


# --- DOM -----------------------------------------------------------------------------------

def test_domain_of_counts_signed_counts_and_money():
    c = cells({"t2.licensing.delta_items": -3, "t2.licensing.decisions": 4,
               "t2.central_procurement.proc_amount_yuan": Decimal("0.5"),
               "t2.admin_fees.fee_amount_wan": Decimal("1.25"), "t2.penalty.decisions": None})
    assert dom_checks(c, ["t2"]) == [CheckResult("DOM", "t2", OK, "", keys=())]
    bad = cells({"t2.licensing.delta_items": Decimal("1.5"), "t2.licensing.decisions": -1,
                 "t2.penalty.decisions": Decimal("2.5"),
                 "t2.central_procurement.proc_amount_yuan": Decimal("-1"),
                 "t2.admin_fees.fee_amount_wan": Decimal("-0.1"), "t3.granted.total": -2})
    check = dom_checks(bad, ["t2"])[0]
    assert check.status is FAILED
    assert check.detail == ("licensing.delta_items = 1.5, licensing.decisions = -1, "
                            "penalty.decisions = 2.5, central_procurement.proc_amount_yuan = -1, "
                            "admin_fees.fee_amount_wan = -0.1")
    assert "t3.granted.total" not in check.keys
    assert [c.scope for c in dom_checks(bad, ["t2", "t3"])] == ["t2", "t3"]


# --- soft rules ----------------------------------------------------------------------------

def test_w_t2_pub_only_for_2019():
    values = {"t2.regulations.new_published": 2, "t2.regulations.total_published": 2,
              "t2.normative_docs.new_published": 3, "t2.normative_docs.total_published": 1}
    checks = t2_soft_checks(cells(values), Template.T2019)
    assert [(c.rule, c.scope, c.status, c.detail, c.severity) for c in checks] == [
        ("W-T2-PUB", "regulations", OK, "", Severity.SOFT),
        ("W-T2-PUB", "normative_docs", FAILED, "new_published 3 > total_published 1",
         Severity.SOFT)]
    assert checks[1].keys == ("t2.normative_docs.new_published", "t2.normative_docs.total_published")
    assert t2_soft_checks(cells(values), Template.T2021) == []
    assert t2_soft_checks(cells(values), None) == []
    partial = t2_soft_checks(cells({"t2.regulations.new_published": None,
                                    "t2.regulations.total_published": 1}), Template.T2019)
    assert [(c.status, c.detail) for c in partial] == [(NA, "a cell is null or missing")] * 2


@pytest.mark.parametrize("text, table, status, detail", [
    ("全年共收到政府信息公开申请 17 件。", 17, OK, ""),
    ("本年度受理依申请公开信息17宗，均已办结", 17, OK, ""),
    ("我镇收到65宗政府信息公开申请，已办结", 65, OK, ""),
    ("接到群众申请公开信息 3 份；另有", 3, OK, ""),
    ("共收到政府信息公开申请18件。", 17, FAILED, "section 一 says 18, table says 17"),
    ("本年度工作有序开展。", 17, NA, "no application count in section 一"),
    ("收到申请。全年17件", 17, NA, "no application count in section 一"),
    ("共收到政府信息公开申请17件。", None, NA, "t3.new_received.total null or missing"),
])
def test_w_text_t3(text, table, status, detail):
    c = cells({"t3.new_received.total": table})
    check = text_vs_table(text, c)
    assert (check.rule, check.scope, check.status, check.detail, check.severity, check.keys) == \
        ("W-TEXT-T3", "new_received", status, detail, Severity.SOFT, ("t3.new_received.total",))


def test_w_text_t3_without_the_cell():
    assert text_vs_table("收到申请17件", {}).detail == "t3.new_received.total null or missing"


def test_w_text_t3_takes_either_phrase_order():
    both = "收到政府信息公开申请17件；另受理20件申请"
    assert text_vs_table(both, cells({"t3.new_received.total": 20})).status is OK


def test_w_carry_per_column():
    before = cells({f"t3.carried_forward.{c}": 1 for c in T3_COLS})
    now = cells({f"t3.carried_over.{c}": 1 for c in T3_COLS})
    assert [(c.rule, c.scope, c.status, c.severity) for c in carry_over_check(before, now)] == \
        [("W-CARRY", col, OK, Severity.SOFT) for col in T3_COLS]
    now["t3.carried_over.total"] = CellValue(2, "2", CellState.VALUE)
    now["t3.carried_over.natural"] = CellValue(None, "", CellState.BLANK)
    del before["t3.carried_forward.commercial"]
    checks = carry_over_check(before, now)
    assert {(c.rule, c.severity) for c in checks} == {("W-CARRY", Severity.SOFT)}
    results = {c.scope: (c.status, c.detail) for c in checks}
    assert results["total"] == (FAILED, "carried forward 1, carried over 2")
    assert results["natural"] == results["commercial"] == (NA, "a cell is null or missing")
    assert results["research"] == (OK, "")
    before["t3.carried_forward.research"] = CellValue(None, "", CellState.BLANK)
    assert {c.scope: c.status for c in carry_over_check(before, now)}["research"] is NA
    assert {c.scope: c.status for c in carry_over_check(before, {})}["org_other"] is NA


# --- the record ----------------------------------------------------------------------------

def test_record_value_failing_and_json():
    record = ReportRecord(Source("a.txt", "ab" * 32, "txt"), title="标题", agency="凤岗镇",
                          year=2020, template=Template.T2019,
                          cells=cells({"t3.new_received.total": 2, "t3.carried_over.total": None}),
                          missing=["t4.review.total"], sections={"1": "一"})
    record.cells["t2.central_procurement.proc_amount_yuan"] = CellValue(
        Decimal("10.50"), "10.5", CellState.VALUE)
    record.cells["t2.admin_fees.fee_amount_wan"] = CellValue(Decimal("3.00"), "3", CellState.VALUE)
    hard = CheckResult("T3-BAL", "total", FAILED, "x")
    record.checks = [hard, CheckResult("T4-SUM", "review", ANOMALY),
                     CheckResult("W-X", "y", FAILED, "", Severity.SOFT),
                     CheckResult("T3-ROW", "granted", NA, "z"), CheckResult("DOM", "t3", OK)]
    assert record.value("t3.new_received.total") == 2
    assert record.value("t3.carried_over.total") is None and record.value("t9.x.y") is None
    assert record.failing() == record.checks[:2]
    data = record.to_json_dict()
    assert data == {
        "source": {"path": "a.txt", "sha256": "ab" * 32, "format": "txt"},
        "title": "标题", "agency": "凤岗镇", "year": 2020, "template": "2019",
        "cells": {"t3.new_received.total": 2, "t3.carried_over.total": None,
                  "t2.central_procurement.proc_amount_yuan": 10.5,
                  "t2.admin_fees.fee_amount_wan": 3},
        "missing": ["t4.review.total"],
        "checks": [{"rule": "T3-BAL", "scope": "total", "status": "failed", "detail": "x"},
                   {"rule": "T4-SUM", "scope": "review", "status": "source_anomaly"},
                   {"rule": "W-X", "scope": "y", "status": "failed"},
                   {"rule": "T3-ROW", "scope": "granted", "status": "not_assessable",
                    "detail": "z"},
                   {"rule": "DOM", "scope": "t3", "status": "ok"}],
        "sections": {"1": "一"}}
    assert type(data["cells"]["t2.admin_fees.fee_amount_wan"]) is int
    assert data["missing"] is not record.missing and data["sections"] is not record.sections


def test_json_numbers():
    assert json_number(Decimal("7")) == 7 and type(json_number(Decimal("7"))) is int
    assert json_number(Decimal("0.25")) == 0.25 and json_number(None) is None
    assert json_number(5) == 5
    assert check_json(CheckResult("R", "s", OK, "")) == {"rule": "R", "scope": "s", "status": "ok"}


def test_cancelling_is_judged_rule_by_rule():
    from archive.report.checks import classify
    zero = {f"t4.{g}.{o}": 0 for g in ("review", "suit_direct")
            for o in ("upheld", "corrected", "other", "pending")}
    values = {**zero, "t4.review.total": 1, "t4.suit_direct.total": -1,
              "t3.granted.natural": 1, "t3.granted.total": 0,
              "t3.partial.natural": 0, "t3.partial.total": 1}

    def t4(group):
        return identity("T4-SUM", group, [f"t4.{group}.total"],
                        [f"t4.{group}.{o}" for o in ("upheld", "corrected", "other", "pending")],
                        cells(values))

    def row(name):
        return identity("T3-ROW", name, [f"t3.{name}.total"], [f"t3.{name}.natural"], cells(values))

    # two rules, each with failures that cancel: every one stays failed
    both = classify([t4("review"), t4("suit_direct"), row("granted"), row("partial")],
                    cells(values))
    assert [(c.rule, c.difference, c.status) for c in both] == [
        ("T4-SUM", 1, FAILED), ("T4-SUM", -1, FAILED), ("T3-ROW", -1, FAILED),
        ("T3-ROW", 1, FAILED)]
    # +1 of one rule and -1 of another do not cancel: each is the source's
    across = classify([t4("review"), row("granted"), CheckResult("DOM", "t4", OK)], cells(values))
    assert [c.status for c in across] == [ANOMALY, ANOMALY, OK]


def test_dom_names_exactly_the_cells_out_of_their_domain():
    c = cells({"t2.licensing.decisions": -1, "t2.penalty.decisions": 3,
               "t2.admin_fees.fee_amount_wan": Decimal("-0.1")})
    check = dom_checks(c, ["t2"])[0]
    assert check.keys == ("t2.licensing.decisions", "t2.admin_fees.fee_amount_wan")
