"""Snapshot tests of the extractor over every fixture document, plus the API contract.

Each document (the corpus PDF and blank template, and every file in
``tests/fixtures/documents/``) runs through ``extract_file``; its text, pages and grids are
compared with the reviewed snapshot ``tests/extract_expected/<file name>.json``. A missing
snapshot is written and the test fails until a person has reviewed it (house rule).
OCR and LibreOffice documents take ~1–6 s each; deselect them with ``-k "not slow"``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.document import Document, ExtractStatus, PageMethod
from archive.extract import EXTRACTOR_VERSION, extract, extract_file, render_tables, render_text

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
DOCUMENTS = REPO / "tests" / "fixtures" / "documents"
EXPECTED = REPO / "tests" / "extract_expected"
SLOW_SUFFIXES = {".doc", ".wps", ".rtf", ".png", ".jpg", ".tif"}


def fixture_documents() -> list[Path]:
    corpus = [CORPUS / "huaian-2024.pdf", CORPUS / "template-2021-blank.docx"]
    found = sorted(p for p in DOCUMENTS.glob("*") if p.is_file() and p.suffix != ".json")
    return corpus + found


def _param(path: Path):
    slow = path.suffix in SLOW_SUFFIXES or path.stem.endswith("-scan")
    return pytest.param(path, id=f"{path.name}{'-slow' if slow else ''}")


def snapshot(doc: Document) -> dict:
    """The reviewed view of a Document: no hashes or tool versions (they change on upgrades)."""
    return {
        "status": doc.status.value,
        "format": doc.format,
        "reason": doc.reason,
        "pages": [f"{p.number} {p.method.value} {p.tool}" for p in doc.pages],
        "tables": [{"page": t.page, "size": f"{t.n_rows}x{t.n_cols}",
                    "merged": [f"r{c.row}c{c.col} {c.rowspan}x{c.colspan}" for c in t.cells
                               if c.rowspan > 1 or c.colspan > 1],
                    "grid": t.grid()} for t in doc.tables],
        "text": doc.text.split("\n"),
    }


def dump_snapshot(data: dict) -> str:
    """JSON with one grid row / text line per line, so that a reviewer can read it."""
    lines = ["{"]
    for key in ("status", "format", "reason", "pages"):
        lines.append(f" {json.dumps(key)}: {json.dumps(data[key], ensure_ascii=False)},")
    lines.append(' "tables": [')
    for i, table in enumerate(data["tables"]):
        head = {k: table[k] for k in ("page", "size", "merged")}
        lines.append("  " + json.dumps(head, ensure_ascii=False)[:-1] + ', "grid": [')
        rows = [json.dumps(row, ensure_ascii=False) for row in table["grid"]]
        lines.append(",\n".join(f"   {row}" for row in rows))
        lines.append("  ]}" + ("," if i < len(data["tables"]) - 1 else ""))
    lines.append(" ],")
    lines.append(' "text": [')
    lines.append(",\n".join(f"  {json.dumps(line, ensure_ascii=False)}" for line in data["text"]))
    lines.append(" ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("path", [_param(p) for p in fixture_documents()])
def test_fixture_matches_reviewed_snapshot(path: Path):
    actual = snapshot(extract_file(path))
    expected_path = EXPECTED / f"{path.name}.json"  # two fixtures can share a stem
    if not expected_path.exists():
        expected_path.write_text(dump_snapshot(actual), encoding="utf-8")
        pytest.fail(f"wrote {expected_path.name}: review it, then rerun")
    assert json.loads(dump_snapshot(actual)) == json.loads(expected_path.read_text("utf-8"))


def test_huaian_pdf_grids_hold_every_statistical_cell():
    doc = extract_file(CORPUS / "huaian-2024.pdf")
    grids = [t.grid() for t in doc.tables]
    assert doc.status is ExtractStatus.OK and len(doc.pages) == 6
    assert {p.method for p in doc.pages} == {PageMethod.TEXT_LAYER}
    assert ["规章", "1", "0", "11"] in grids[0]
    assert ["行政事业性收费", "96171.6"] in grids[1]
    t3 = {row[2]: row[3:] for row in grids[2] + grids[3]}
    assert t3["8.属于行政查询事项"] == ["105", "0", "0", "0", "0", "0", "105"]
    assert t3["（七）总计"] == ["2932", "53", "0", "0", "61", "4", "3050"]
    assert grids[4][-1] == ["72", "64", "178", "37", "351", "13", "4", "8", "1", "26",
                            "12", "1", "1", "6", "20"]
    header = next(c for c in doc.tables[4].cells if c.text == "行政复议")
    assert (header.rowspan, header.colspan) == (1, 5)


def test_truth_values_are_in_the_grids_of_every_text_fixture():
    """Every true number of a non-OCR fixture appears in some cell (units aside)."""
    for path in fixture_documents()[2:]:
        truth_path = path.with_name(f"{path.stem}.truth.json")
        if path.suffix in SLOW_SUFFIXES or "-scan" in path.stem or not truth_path.exists():
            continue
        texts = {c.text.replace(",", "").split(" ")[0] for t in extract_file(path).tables
                 for c in t.cells}
        truth = json.loads(truth_path.read_text("utf-8"))["cells"]
        missing = [k for k, v in truth.items() if v is not None and not _found(v, texts)]
        assert not missing, f"{path.name}: {missing}"


def _found(value: float, texts: set[str]) -> bool:
    for text in texts:
        try:
            if float(text.rstrip("元笔").lstrip("+")) == float(value):
                return True
        except ValueError:
            continue
    return False


def test_txt_is_decoded_as_utf8_or_gb18030():
    for data in ("二、主动公开".encode(), "二、主动公开".encode("gb18030")):
        doc = extract(data, name="a.txt")
        assert (doc.status, doc.format, doc.text) == (ExtractStatus.OK, "txt", "二、主动公开")
        assert doc.pages[0].method is PageMethod.NATIVE


def test_format_comes_from_the_bytes_not_the_name():
    docx = (CORPUS / "template-2021-blank.docx").read_bytes()
    doc = extract(docx, name="report.doc")
    assert (doc.format, doc.declared_format, doc.status) == ("docx", "doc", ExtractStatus.OK)
    html = "<html><body><p>一、总体情况</p></body></html>".encode()
    assert extract(html, name="report.doc").format == "html"  # Word's "save as HTML"


def test_document_is_stamped_with_hash_size_and_version():
    data = (CORPUS / "huaian-2024.pdf").read_bytes()
    doc = extract(data, name="huaian.pdf")
    assert doc.size == len(data) and len(doc.sha256) == 64
    assert EXTRACTOR_VERSION.count(".") == 2


def test_renderers_show_pages_and_grids():
    doc = extract_file(CORPUS / "huaian-2024.pdf")
    assert "--- page 6 (text_layer: pypdfium2" in render_text(doc)
    tables = render_tables(doc)
    assert "table 5 (page 5, 4×15)" in tables and "←" in tables and "↑" in tables
