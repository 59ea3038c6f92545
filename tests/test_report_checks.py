"""The template's checks: exact failures on the real 狮岭镇 report, statuses, classification."""

from __future__ import annotations

from archive.report import CheckStatus, Template, parse_document
from archive.report.checks import carry_over_check, hard_checks
from archive.report.values import CellState, CellValue
from tests.test_report_support import parse_corpus, txt_document


def _cells(values: dict[str, int | None], certain: bool = True) -> dict[str, CellValue]:
    return {k: CellValue(v, "" if v is None else str(v),
                         CellState.BLANK if v is None else CellState.VALUE, certain)
            for k, v in values.items()}


def test_shiling_2020_totals_that_do_not_add_up_are_source_anomalies() -> None:
    record = parse_corpus("002_ca953a3e6110b081.txt")
    failing = {(c.rule, c.scope, c.status) for c in record.failing()}
    assert failing == {("T3-BAL", "total", CheckStatus.SOURCE_ANOMALY),
                       ("T3-RES", "natural", CheckStatus.SOURCE_ANOMALY),
                       ("T3-RES", "total", CheckStatus.SOURCE_ANOMALY)}
    # 结转下年度: the natural-person cell is printed empty, so these cannot be assessed
    blocked = {(c.rule, c.scope) for c in record.checks if c.status is CheckStatus.NOT_ASSESSABLE}
    assert blocked == {("T3-BAL", "natural"), ("T3-ROW", "carried_forward")}
    assert record.cells["t3.total_processed.total"].value == 2  # printed, never repaired


def test_consistent_corpus_reports_pass_every_check() -> None:
    for name in ("000_07f264319299b7d3.txt", "003_11c4e88847043786.txt"):
        record = parse_corpus(name)
        assert {c.status for c in record.checks} == {CheckStatus.OK}, name


def test_t4_total_off_by_one_is_a_source_anomaly_with_its_detail() -> None:
    cells = _cells({"t4.review.upheld": 1, "t4.review.corrected": 0, "t4.review.other": 0,
                    "t4.review.pending": 0, "t4.review.total": 2})
    check = hard_checks(cells, None, ["t4"])[0]
    assert (check.rule, check.scope, check.status) == ("T4-SUM", "review",
                                                       CheckStatus.SOURCE_ANOMALY)
    assert "2" in check.detail and "1" in check.detail


def test_uncertain_reading_makes_a_failure_an_extraction_error() -> None:
    cells = _cells({"t4.review.upheld": 1, "t4.review.corrected": 0, "t4.review.other": 0,
                    "t4.review.pending": 0, "t4.review.total": 2}, certain=False)
    assert hard_checks(cells, None, ["t4"])[0].status is CheckStatus.FAILED


def test_null_cell_is_not_assessable_and_detail_gives_the_implied_value() -> None:
    cells = _cells({"t4.review.upheld": 1, "t4.review.corrected": 2, "t4.review.other": 0,
                    "t4.review.pending": 0, "t4.review.total": None})
    check = hard_checks(cells, None, ["t4"])[0]
    assert check.status is CheckStatus.NOT_ASSESSABLE
    assert check.detail == "review.total null; the identity implies 3"


def test_value_read_into_the_neighbouring_column_is_failed_not_anomaly() -> None:
    from archive.report import T3_COLS, T3_ROWS_2019
    row = dict(zip(T3_COLS, [1, 1, 0, 0, 0, 0, 2]))
    busy = ("new_received", "granted", "total_processed")
    values = {f"t3.{r}.{c}": (row[c] if r in busy else 0) for r in T3_ROWS_2019 for c in T3_COLS}
    values["t3.granted.natural"], values["t3.granted.commercial"] = 2, 0  # shifted reading
    checks = hard_checks(_cells(values), Template.T2019, ["t3"])
    res = {c.scope: c.status for c in checks if c.rule == "T3-RES"}
    assert res["natural"] is res["commercial"] is CheckStatus.FAILED


def test_cross_year_carry_over() -> None:
    before = _cells({"t3.carried_forward.total": 3})
    after = _cells({"t3.carried_over.total": 2})
    statuses = {c.scope: c.status for c in carry_over_check(before, after)}
    assert statuses["total"] is CheckStatus.FAILED
    assert statuses["natural"] is CheckStatus.NOT_ASSESSABLE


def test_text_count_against_table_is_a_soft_warning() -> None:
    text = (open_corpus("003_11c4e88847043786.txt")
            .replace("共受理依申请公开信息17件", "共受理依申请公开信息18件"))
    record = parse_document(txt_document(text))
    warning = next(c for c in record.checks if c.rule == "W-TEXT-T3")
    assert warning.status is CheckStatus.FAILED
    assert not record.failing()


def open_corpus(name: str) -> str:
    from tests.test_report_support import CORPUS
    return (CORPUS / name).read_text(encoding="utf-8")
