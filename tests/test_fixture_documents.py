"""Contract tests of the committed fixture documents (``tests/fixtures/documents``).

They need no LibreOffice: they read the committed files, their truth JSON and the manifest.
Regenerate with ``.venv/bin/python -m tests.fixtures.make_documents``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pypdfium2
import pytest

from tests.fixtures.report_keys import (
    T2_2019_KEYS, T2_2021_KEYS, T3_COLS, T3_ROWS_2019, T3_ROWS_2021, T4_KEYS, template_keys,
)
from archive.report import CellState, CellValue, CheckStatus, Template
from archive.report.checks import hard_checks

DOCUMENTS = Path(__file__).resolve().parent / "fixtures" / "documents"
MANIFEST = json.loads((DOCUMENTS / "manifest.json").read_text(encoding="utf-8"))
ROWS = {row["file"]: row for row in MANIFEST}
MANIFEST_FIELDS = {"file", "stem", "format", "declared_ext", "site", "year", "template",
                   "title", "agency", "role", "notes"}


def _truth(row: dict) -> dict:
    return json.loads((DOCUMENTS / f"{row['stem']}.truth.json").read_text(encoding="utf-8"))


def _pdf_text(path: Path) -> str:
    pdf = pypdfium2.PdfDocument(path)
    return "".join(page.get_textpage().get_text_range() for page in pdf)


def test_manifest_lists_every_document_and_nothing_else():
    on_disk = {p.name for p in DOCUMENTS.iterdir()
               if p.name != "manifest.json" and not p.name.endswith(".truth.json")}
    assert on_disk == set(ROWS)
    assert len(MANIFEST) == len(ROWS) == 25


@pytest.mark.parametrize("row", MANIFEST, ids=lambda r: r["file"])
def test_document_exists_with_truth(row):
    assert set(row) == MANIFEST_FIELDS
    path = DOCUMENTS / row["file"]
    assert path.stat().st_size > 0
    assert row["file"] == f"{row['stem']}.{row['declared_ext']}"
    assert row["role"] in ("report", "annex")
    truth = _truth(row)
    assert {k: truth[k] for k in ("title", "agency", "year", "template")} == {
        k: row[k] for k in ("title", "agency", "year", "template")}


@pytest.mark.parametrize("row", MANIFEST, ids=lambda r: r["file"])
def test_truth_has_every_canonical_key(row):
    cells = _truth(row)["cells"]
    keys = template_keys(row["template"])
    if row["role"] == "annex" or row["format"] == "png":
        assert cells and set(cells) <= set(keys)  # an annex or one page holds some tables
    else:
        assert list(cells) == keys


def _failing_identities(cells: dict, template: str) -> set[tuple[str, str]]:
    """The hard identities that fail, by the parser's own checker (``archive.report.checks``):
    a path independent of ``failed_checks``, which wrote the truth files' anomalies."""
    values = {k: CellValue(None if v is None else Decimal(str(v)), "",
                           CellState.BLANK if v is None else CellState.VALUE)
              for k, v in cells.items()}
    tables = [t for t in ("t2", "t3", "t4") if any(k.startswith(f"{t}.") for k in cells)]
    return {(c.rule, c.scope) for c in hard_checks(values, Template(template), tables)
            if c.rule != "DOM" and c.status in (CheckStatus.FAILED, CheckStatus.SOURCE_ANOMALY)}


@pytest.mark.parametrize("row", MANIFEST, ids=lambda r: r["file"])
def test_numbers_satisfy_identities_except_declared_anomalies(row):
    truth = _truth(row)
    declared = {(a["rule"], a["scope"]) for a in truth["source_anomalies"]}
    assert _failing_identities(truth["cells"], row["template"]) == declared
    for key, value in truth["cells"].items():
        if value is not None and not key.endswith(".delta_items"):
            assert value >= 0, key


def test_key_lists_match_the_schema_counts():
    assert (len(T2_2019_KEYS), len(T2_2021_KEYS), len(T4_KEYS)) == (22, 10, 15)
    assert (len(T3_ROWS_2019), len(T3_ROWS_2021), len(T3_COLS)) == (23, 25, 7)


def test_fixture_set_covers_anomalies_and_null_cells():
    truths = {row["file"]: _truth(row) for row in MANIFEST}
    generated_2021 = [t for f, t in truths.items()
                      if t["template"] == "2021" and not f.startswith("dg-zjj-2024")]
    assert any(t["source_anomalies"] for t in generated_2021)
    assert truths["huadu-shiling-2020.pdf"]["source_anomalies"]
    assert any(None in t["cells"].values() for t in generated_2021)


@pytest.mark.parametrize("file", [f for f, r in ROWS.items()
                                  if r["format"] == "pdf" and "scan" not in f])
def test_text_pdfs_contain_their_title(file):
    text = "".join(_pdf_text(DOCUMENTS / file).split())
    assert ROWS[file]["title"] in text


def test_scan_pdf_has_no_text_layer():
    assert _pdf_text(DOCUMENTS / "dg-qingxi-2021-scan.pdf").strip() == ""


def test_corpus_copy_is_byte_identical():
    corpus = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "huaian-2024.pdf"
    assert (DOCUMENTS / "dg-zjj-2024.pdf").read_bytes() == corpus.read_bytes()


def test_sizes_stay_small():
    sizes = {p.name: p.stat().st_size for p in DOCUMENTS.iterdir()}
    assert sum(sizes.values()) < 8_000_000
    for name, size in sizes.items():
        limit = 600_000 if "scan" in name or name == "dg-zjj-2024.pdf" else 300_000
        assert size < limit, name
