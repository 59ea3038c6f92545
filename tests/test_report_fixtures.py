"""Every generated fixture document, extracted and parsed, against its truth JSON.

Each ``tests/fixtures/documents/<stem>.<ext>`` has ``<stem>.truth.json`` with the cells it
prints, its title, agency, year, template and the checks that fail in the source itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_report_support import assert_record_matches_truth

DOCUMENTS = Path(__file__).parent / "fixtures" / "documents"
TRUTHS = sorted(DOCUMENTS.glob("*.truth.json"))
# Known gaps, with the reason; the test still runs them and must not pass silently.
KNOWN_GAPS: dict[str, str] = {}


def _document(truth_path: Path) -> Path:
    stem = truth_path.name.removesuffix(".truth.json")
    return next(p for p in DOCUMENTS.glob(f"{stem}.*") if not p.name.endswith(".json"))


def _params():
    for truth in TRUTHS:
        stem = truth.name.removesuffix(".truth.json")
        marks = [pytest.mark.xfail(reason=KNOWN_GAPS[stem], strict=True)] if stem in KNOWN_GAPS else []
        yield pytest.param(truth, id=stem, marks=marks)


@pytest.mark.parametrize("truth_path", list(_params()))
def test_fixture_document_parses_to_truth(truth_path: Path) -> None:
    from archive import extract
    from archive.report import parse_document

    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    document = _document(truth_path)
    record = parse_document(extract.extract_file(document), path=document.name)
    assert_record_matches_truth(record, truth)
