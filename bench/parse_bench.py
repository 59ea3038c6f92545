"""Parse time per report beyond extraction: median and p95 over the corpus and fixtures.

Documents are extracted once; only :func:`archive.report.parse_document` is timed.

Example::

    .venv/bin/python bench/parse_bench.py            # all documents, 20 rounds
    .venv/bin/python bench/parse_bench.py --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.document import Document, ExtractStatus  # noqa: E402
from archive.report import parse_document  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
FIXTURES = REPO / "tests" / "fixtures" / "documents"
SLOW = {".doc", ".wps", ".xls", ".png"}  # LibreOffice / OCR extraction: left out by default


def documents(with_slow: bool) -> dict[str, Document]:
    """Every corpus report and fixture document, extracted once."""
    from archive.extract import extract_file
    docs = {p.name: Document(status=ExtractStatus.OK, format="txt", text=p.read_text())
            for p in sorted(CORPUS.glob("*.txt"))}
    paths = [CORPUS / "huaian-2024.pdf", *sorted(FIXTURES.glob("*.*"))]
    for path in paths:
        if path.exists() and not path.name.endswith(".json") and (with_slow or path.suffix not in SLOW):
            if "scan" not in path.name or with_slow:
                docs[path.name] = extract_file(path)
    return docs


def measure(docs: dict[str, Document], rounds: int) -> list[float]:
    """Median parse seconds of each document over ``rounds``, sorted."""
    per_report: list[float] = []
    for name, doc in docs.items():
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            parse_document(doc, path=name)
            times.append(time.perf_counter() - start)
        per_report.append(statistics.median(times))
    return sorted(per_report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--with-slow", action="store_true", help="also DOC/WPS/XLS/PNG/scans")
    args = parser.parse_args()
    per_report = measure(documents(args.with_slow), args.rounds)
    p95 = per_report[min(len(per_report) - 1, int(round(0.95 * (len(per_report) - 1))))]
    print(f"{len(per_report)} reports, {args.rounds} rounds each: parse median "
          f"{statistics.median(per_report) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
          f"max {per_report[-1] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
