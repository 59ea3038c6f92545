"""Quality gate: every corpus report against its reviewed expected JSON in tests/golden/.

Each cell, the missing list, template, year, agency, title and checks (rule, scope,
status) must match. A missing expected file is written from the current output and the
test fails until a person has checked every cell against the source and kept the file.
"""

from __future__ import annotations

import json

import pytest

from tests.test_report_support import CORPUS, GOLDEN, parse_corpus

CORPUS_FILES = ["000_07f264319299b7d3.txt", "002_ca953a3e6110b081.txt",
                "003_11c4e88847043786.txt", "huaian-2024.pdf"]


def _checks(data: dict) -> list[tuple[str, str, str]]:
    return [(c["rule"], c["scope"], c["status"]) for c in data["checks"]]


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
