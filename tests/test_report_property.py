"""Property: identity-consistent random numbers rendered into the 2019 and 2021 templates
extract and parse back to the same cells; with one total changed, the right check says so.

DOCX and HTML are fast; PDF and DOC go through LibreOffice (few examples, no deadline).
"""

from __future__ import annotations

import random
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import extract
from archive.report import CheckStatus, parse_document
from tests.fixtures import render

ANOMALIES = [None, ("T3-BAL", "natural"), ("T3-RES", "total"), ("T3-ROW", "granted"),
             ("T4-SUM", "review"), ("T4-SUM", "suit_after_review")]


def _spec(template: str, seed: int, anomaly) -> "render.ReportSpec":
    year = 2020 if template == "2019" else 2022
    cells = render.random_cells(template, random.Random(seed), anomaly)
    sections = {"1": f"{year}年，我镇认真贯彻落实政府信息公开条例。", "5": "无。", "6": "无。"}
    return render.ReportSpec(f"{year}年清溪镇政府信息公开工作年度报告", "东莞市清溪镇人民政府",
                             year, template, cells, sections)


def _bytes(spec, fmt: str) -> bytes:
    if fmt == "html":
        return render.render_html(spec).encode("utf-8")
    docx = render.render_docx(spec)
    return docx if fmt == "docx" else render.convert(docx, "docx", fmt)


def _round_trip(template: str, seed: int, anomaly, fmt: str) -> None:
    spec = _spec(template, seed, anomaly)
    record = parse_document(extract.extract(_bytes(spec, fmt), name=f"report.{fmt}"))
    truth = render.truth_of(spec)
    actual = record.to_json_dict()["cells"]
    wrong = {k: (actual.get(k, "ABSENT"), v) for k, v in truth["cells"].items()
             if actual.get(k, "ABSENT") != v}
    assert not wrong, f"{fmt} {template} seed {seed}: {wrong}"
    failing = {(c.rule, c.scope): c.status for c in record.failing()}
    assert set(failing) == {(a["rule"], a["scope"]) for a in truth["source_anomalies"]}
    assert set(failing.values()) <= {CheckStatus.SOURCE_ANOMALY}
    if anomaly is not None:
        assert anomaly in failing


CASES = st.tuples(st.sampled_from(["2019", "2021"]), st.integers(0, 2**32),
                  st.sampled_from(ANOMALIES))


@pytest.mark.parametrize("fmt", ["docx", "html"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=CASES)
def test_rendered_reports_round_trip_fast(fmt: str, case) -> None:
    _round_trip(*case, fmt)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
@pytest.mark.parametrize("fmt", ["pdf", "doc"])
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=CASES)
def test_rendered_reports_round_trip_libreoffice(fmt: str, case) -> None:
    _round_trip(*case, fmt)
