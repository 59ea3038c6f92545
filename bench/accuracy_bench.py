"""Extraction accuracy: every reviewed record in every layout, the corpus goldens and the
generated fixture documents, cell by cell. Writes ``docs/accuracy.md`` (beside the
benchmarks file) and a summary section for ``docs/benchmarks.md``.

Example::

    .venv/bin/python -m bench --only accuracy
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.report import Section, Target

REPO = Path(__file__).resolve().parents[1]


def _compare(actual: dict, expected: dict) -> tuple[int, int]:
    right = sum(actual.get(k, "ABSENT") == v for k, v in expected.items())
    return right, len(expected)


def corpus_rows() -> list[tuple[str, int, int]]:
    """Each corpus report through the real path against its reviewed golden."""
    from tests.test_report_golden import CORPUS_FILES
    from tests.test_report_support import GOLDEN, parse_corpus

    rows = []
    for name in CORPUS_FILES:
        golden = json.loads((GOLDEN / f"{name.rsplit('.', 1)[0]}.json").read_text("utf-8"))
        rows.append((name, *_compare(parse_corpus(name).to_json_dict()["cells"],
                                     golden["cells"])))
    return rows


def fixture_rows() -> list[tuple[str, int, int]]:
    """Each generated fixture document (every format, OCR and LibreOffice included)."""
    from archive.extract import extract_file
    from archive.report import parse_document

    folder = REPO / "tests" / "fixtures" / "documents"
    rows = []
    for truth_path in sorted(folder.glob("*.truth.json")):
        stem = truth_path.name.removesuffix(".truth.json")
        document = next(p for p in folder.glob(f"{stem}.*") if not p.name.endswith(".json"))
        truth = json.loads(truth_path.read_text("utf-8"))
        cells = parse_document(extract_file(document), path=document.name).to_json_dict()["cells"]
        rows.append((document.name, *_compare(cells, truth["cells"])))
    return rows


def _table(rows: list[tuple[str, int, int]], what: str) -> list[str]:
    out = [f"| {what} | cells right | of | % |", "| --- | ---: | ---: | ---: |"]
    out += [f"| {name} | {right} | {total} | {100 * right / total:.2f} |"
            for name, right, total in rows]
    right, total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    return out + [f"| **all** | {right} | {total} | {100 * right / total:.2f} |"]


def accuracy_markdown(layouts: dict, failures: list, corpus: list, fixtures: list,
                      seconds: float) -> str:
    from tests.fixtures.layout_records import reviewed_records
    from tests.fixtures.layouts import LAYOUT_NOTES

    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    records = reviewed_records()
    lines = [
        "# Extraction accuracy", "",
        f"Written by `make bench` (`python -m bench --only accuracy`) on {when} in "
        f"{seconds:.0f} s. The gate `tests/test_report_accuracy.py` fails below 100%.", "",
        "## Layouts", "",
        f"Every reviewed record ({len(records)}: the {sum(r.name.startswith('golden') for r in records)} "
        "corpus goldens and the generated fixture reports that hold a whole template, 2019 "
        "and 2021) is printed in every layout of `tests/fixtures/layouts.py`, one seeded print "
        "run per pair: a blank plan (none; the five 法人或其他组织 columns; two applicant "
        "columns; every row total; a few cells anywhere), blanks printed empty or as `—`, `/`, "
        "`无` (plain text can only print a dash), full-width digits, thousands separators, "
        "signs, decimals, label drift (2019 labels under 2021 columns, half-width brackets, "
        "`1、`) and a title variant (no 工作, 政务公开工作年度报告, 2021年度…年报, two "
        "lines, only in the page's metadata). Each file goes through the real extractor and "
        "parser. A pair is exact when every cell, the title, year and agency are right.", "",
        "| layout | what it prints | pairs | exact | cells right | of | % |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, totals in layouts.items():
        lines.append(f"| `{name}` | {LAYOUT_NOTES[name]} | {totals.pairs} | {totals.exact} | "
                     f"{totals.right} | {totals.total} | {totals.percent:.2f} |")
    right = sum(t.right for t in layouts.values())
    total = sum(t.total for t in layouts.values())
    lines += [f"| **all** | | {sum(t.pairs for t in layouts.values())} | "
              f"{sum(t.exact for t in layouts.values())} | {right} | {total} | "
              f"{100 * right / total:.2f} |", ""]
    if failures:
        lines += ["Pairs not read exactly:", ""]
        lines += [f"- {f.case.record.name} in `{f.case.layout}` ({', '.join(f.case.printed.notes)}): "
                  f"{len(f.wrong)} cells wrong, title {'ok' if f.title_ok else 'wrong'}"
                  for f in failures[:30]]
        lines.append("")
    lines += ["## Corpus goldens", "", "The real reports of `shared/corpus`, against their "
              "reviewed `tests/golden/*.json`.", "", *_table(corpus, "corpus file"), "",
              "## Generated fixture documents", "", "`tests/fixtures/documents`: every format "
              "(PDF, DOCX, DOC, WPS, XLS, XLSX, HTML, a scanned PDF and a PNG through OCR), "
              "against each `<stem>.truth.json`.", "", *_table(fixtures, "document"), ""]
    return "\n".join(lines)


def accuracy_section(scratch: Path, args) -> Section:
    from tests.fixtures.layout_accuracy import accuracy_by_layout

    start = time.perf_counter()
    layouts, failures = accuracy_by_layout()
    corpus, fixtures = corpus_rows(), fixture_rows()
    text = accuracy_markdown(layouts, failures, corpus, fixtures, time.perf_counter() - start)
    out = args.out.parent / "accuracy.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    right = sum(t.right for t in layouts.values())
    total = sum(t.total for t in layouts.values())
    worst = min(layouts.items(), key=lambda kv: kv[1].percent)
    pairs = sum(t.pairs for t in layouts.values())
    body = [f"{pairs} (record × layout) pairs in {len(layouts)} layouts: {right} of {total} "
            f"cells ({100 * right / total:.2f}%); lowest layout `{worst[0]}` "
            f"{worst[1].percent:.2f}%. Corpus goldens {sum(r[1] for r in corpus)}/"
            f"{sum(r[2] for r in corpus)}, fixture documents {sum(r[1] for r in fixtures)}/"
            f"{sum(r[2] for r in fixtures)}. The table per layout is in "
            "[accuracy.md](accuracy.md)."]
    perfect = all(t.right == t.total for t in layouts.values())
    targets = [Target("accuracy: 100% of cells in every layout", f"{100 * right / total:.2f}% "
                      f"(lowest {worst[1].percent:.2f}%)", perfect),
               Target("accuracy: corpus goldens at 100%",
                      f"{sum(r[1] for r in corpus)}/{sum(r[2] for r in corpus)}",
                      all(r[1] == r[2] for r in corpus))]
    return Section("Extraction accuracy", "`python -m bench --only accuracy`", body, targets)
