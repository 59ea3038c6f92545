"""The report parser alone, fast: each reviewed extraction snapshot parsed to its truth.

``tests/extract_expected/<file>.json`` holds what the extractor read from a fixture document
(text, pages, grids with their merged cells); ``test_extract.py`` keeps it equal to the real
extraction. Rebuilt into a :class:`Document` and parsed, it must give the cells, title, year,
template and source anomalies of the document's ``.truth.json`` — the same oracle as
``test_report_fixtures.py``, without running a converter, so the parser's mutation run
(``make mutation``) can use it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from archive.document import Cell, Document, ExtractStatus, Page, PageMethod, Table
from archive.report import parse_document
from tests.test_report_support import assert_record_matches_truth

TESTS = Path(__file__).resolve().parent
SNAPSHOTS = TESTS / "extract_expected"
DOCUMENTS = TESTS / "fixtures" / "documents"
MERGED = re.compile(r"^r(\d+)c(\d+) (\d+)x(\d+)$")


def document_of(snapshot: dict) -> Document:
    """The Document a snapshot was taken of (page texts aside: the snapshot keeps the text)."""
    tables = []
    for table in snapshot["tables"]:
        grid, cells, covered = table["grid"], [], set()
        for spec in table["merged"]:
            row, col, rowspan, colspan = map(int, MERGED.match(spec).groups())
            cells.append(Cell(grid[row][col], row, col, rowspan, colspan))
            covered |= {(r, c) for r in range(row, row + rowspan) for c in range(col, col + colspan)}
        cells += [Cell(text, r, c) for r, line in enumerate(grid) for c, text in enumerate(line)
                  if (r, c) not in covered]
        tables.append(Table(sorted(cells, key=lambda c: (c.row, c.col)), page=table["page"]))
    pages = []
    for spec in snapshot["pages"]:
        number, method, tool = spec.split(" ", 2)
        pages.append(Page(int(number), "", PageMethod(method), tool, ""))
    return Document(status=ExtractStatus(snapshot["status"]), format=snapshot["format"],
                    text="\n".join(snapshot["text"]), pages=pages, tables=tables,
                    reason=snapshot["reason"])


def _cases():
    for snapshot in sorted(SNAPSHOTS.glob("*.json")):
        stem = snapshot.name.removesuffix(".json").rsplit(".", 1)[0]
        truth = DOCUMENTS / f"{stem}.truth.json"
        if truth.exists():
            yield pytest.param(snapshot, truth, id=snapshot.name.removesuffix(".json"))


CASES = list(_cases())


def test_every_fixture_document_with_a_truth_has_a_snapshot():
    documents = {p.name for p in DOCUMENTS.iterdir() if not p.name.endswith(".json")}
    assert {case.id for case in CASES} == documents and len(documents) >= 20


@pytest.mark.parametrize("snapshot_path, truth_path", CASES)
def test_snapshot_parses_to_truth(snapshot_path: Path, truth_path: Path) -> None:
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    snapshot = json.loads(snapshot_path.read_text(encoding="utf-8"))
    record = parse_document(document_of(snapshot), path=snapshot_path.name)
    assert_record_matches_truth(record, truth)
