"""Shared helpers of the report parser tests (no tests here): where the corpus is, how to parse a file.

Example: ``parse_corpus("002_ca953a3e6110b081.txt").agency == "狮岭镇"``
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from archive.document import Document, ExtractStatus
from archive.report import CheckStatus, ReportRecord, parse_document

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
GOLDEN = Path(__file__).parent / "golden"


def txt_document(text: str) -> Document:
    """What the extractor makes of a .txt file."""
    return Document(status=ExtractStatus.OK, format="txt", text=text)


def load_document(path: Path) -> Document:
    """A corpus file as a Document: .txt directly, anything else through the extractor."""
    if path.suffix == ".txt":
        return txt_document(path.read_text(encoding="utf-8"))
    from archive.extract import extract_file
    return extract_file(path)


def parse_corpus(name: str) -> ReportRecord:
    """Parse one corpus file as ``gkarchive extract`` would."""
    path = CORPUS / name
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return parse_document(load_document(path), path=name, sha256=sha256)


def assert_record_matches_truth(record: ReportRecord, truth: dict) -> None:
    """A parsed fixture document against its ``.truth.json``: every cell, title, year,
    template, agency, and exactly the declared source anomalies failing."""
    actual = record.to_json_dict()
    wrong = {k: (actual["cells"].get(k, "ABSENT"), v) for k, v in truth["cells"].items()
             if actual["cells"].get(k, "ABSENT") != v}
    assert not wrong, f"{len(wrong)} of {len(truth['cells'])} cells (actual, truth): {wrong}"
    assert (actual["title"], actual["year"], actual["template"]) == \
        (truth["title"], truth["year"], truth["template"])
    assert actual["agency"] and actual["agency"] in truth["agency"]
    failing = {(c.rule, c.scope): c.status for c in record.failing()}
    assert set(failing) == {(a["rule"], a["scope"]) for a in truth["source_anomalies"]}
    assert set(failing.values()) <= {CheckStatus.SOURCE_ANOMALY}
