"""Quality gate: every corpus report against its reviewed expected JSON in tests/golden/.

Each cell, the missing list, template, year, agency, title and checks (rule, scope,
status, detail) must match. A missing expected file is written from the current output and the
test fails until a person has checked every cell against the source and kept the file.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.test_report_support import CORPUS, GOLDEN, parse_corpus

CORPUS_FILES = ["000_07f264319299b7d3.txt", "002_ca953a3e6110b081.txt",
                "003_11c4e88847043786.txt", "huaian-2024.pdf"]


def _checks(data: dict) -> list[tuple[str, str, str, str]]:
    return [(c["rule"], c["scope"], c["status"], c.get("detail", "")) for c in data["checks"]]


def _head(text: str) -> str:
    return "".join(text.split())[:60]


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_report_matches_golden(name: str) -> None:
    assert (CORPUS / name).exists(), f"corpus file {name} not found: ../shared beside the repo?"
    actual = parse_corpus(name).to_json_dict()
    golden = GOLDEN / f"{name.rsplit('.', 1)[0]}.json"
    if not golden.exists():
        golden.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        pytest.fail(f"wrote {golden.name}: review every cell against the source, then keep it")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    wrong = {k: (actual["cells"].get(k, "ABSENT"), v) for k, v in expected["cells"].items()
             if actual["cells"].get(k, "ABSENT") != v}
    extra = sorted(set(actual["cells"]) - set(expected["cells"]))
    assert not wrong and not extra, f"cells (actual, expected): {wrong}; unexpected: {extra}"
    for field in ("missing", "template", "year", "agency", "title"):
        assert actual[field] == expected[field], field
    assert _checks(actual) == _checks(expected)
    assert {k: _head(v) for k, v in actual["sections"].items()} == \
        {k: _head(v) for k, v in expected["sections"].items()}


def _cells_sha256(cells: dict) -> str:
    return hashlib.sha256(json.dumps(cells, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_golden_has_a_review_of_these_cells_against_this_source(name: str) -> None:
    """``<golden>.review.md`` records who checked the golden against the source, how, and the
    cells found wrong; it names the source's and the cells' sha256, so a changed source or a
    rewritten golden needs a new review (re-read the source, then update the review)."""
    stem = name.rsplit(".", 1)[0]
    review = GOLDEN / f"{stem}.review.md"
    assert review.exists(), f"{review.name} missing: review {stem}.json against {name}"
    text = review.read_text(encoding="utf-8")
    golden = json.loads((GOLDEN / f"{stem}.json").read_text(encoding="utf-8"))
    source = hashlib.sha256((CORPUS / name).read_bytes()).hexdigest()
    assert source in text, f"{review.name} reviewed another version of {name}"
    assert _cells_sha256(golden["cells"]) in text, \
        f"{stem}.json changed since {review.name}: review the changed cells against {name}"
    for heading in ("- who:", "- how:", "Cells found wrong:"):
        assert heading in text, heading
