"""Benchmark the extractor per format over the fixture documents, against the alternatives.

Prints a Markdown table: median and p95 ms per document for each format, and for the
comparisons (pdfplumber over every PDF page, LibreOffice for every DOC, trafilatura alone
for HTML); then OCR seconds per page and the worker's peak RSS.

Example::

    .venv/bin/python bench/extract_bench.py --repeat 5
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import pdfplumber
import trafilatura

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.document import PageMethod  # noqa: E402
from archive.extract import Limits, extract_file  # noqa: E402
from archive.extract.legacy import libreoffice_docx  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
DOCUMENTS = REPO / "tests" / "fixtures" / "documents"


def documents() -> list[Path]:
    found = sorted(p for p in DOCUMENTS.glob("*") if p.is_file() and p.suffix != ".json")
    return [CORPUS / "huaian-2024.pdf", CORPUS / "template-2021-blank.docx"] + found


def timed(run, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def pdfplumber_all_pages(path: Path) -> None:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()


def measure(repeat: int) -> tuple[dict[str, list[float]], list[float]]:
    rows: dict[str, list[float]] = defaultdict(list)
    ocr_per_page: list[float] = []
    for path in documents():
        doc = extract_file(path)
        kind = "pdf (scan, OCR)" if doc.pages and doc.pages[0].method is PageMethod.OCR \
            and doc.format == "pdf" else doc.format
        reps = 1 if kind in ("pdf (scan, OCR)", "image", "doc", "wps") else repeat
        times = timed(lambda: extract_file(path), reps)
        rows[f"extract: {kind}"] += times
        if path.name == "huaian-2024.pdf":
            rows["extract: huaian-2024.pdf (6 pages, 5 grids)"] += times
        ocr_pages = sum(p.method is PageMethod.OCR for p in doc.pages)
        if ocr_pages:
            ocr_per_page.append(statistics.median(times) / 1000 / ocr_pages)
        data = path.read_bytes()
        if doc.format == "pdf" and kind == "pdf":
            rows["alt: pdfplumber every page (text + tables)"] += timed(
                lambda: pdfplumber_all_pages(path), reps)
        if doc.format == "doc":
            rows["alt: LibreOffice → DOCX for DOC"] += timed(
                lambda: libreoffice_docx(data, "doc", Limits()), 1)
        if doc.format == "html":
            html = data.decode("utf-8", errors="replace")
            rows["alt: trafilatura alone for HTML"] += timed(
                lambda: trafilatura.extract(html, include_tables=True), reps)
    return rows, ocr_per_page


def worker_peak_rss_mb(path: Path) -> float:
    """Peak RSS of a fresh extraction worker process (Python, not its converter children)
    extracting ``path``: ``ru_maxrss`` of that process from ``wait4``."""
    import os
    import subprocess

    code = "import sys; from archive.extract import extract_file; extract_file(sys.argv[1])"
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"extracting {path.name} failed ({proc.returncode})")
    return usage.ru_maxrss / 1024


def largest_documents() -> list[Path]:
    """The largest fixture file, and the scanned PDF (OCR) when it is another one."""
    found = [p for p in documents() if p.exists()]
    largest = max(found, key=lambda p: p.stat().st_size)
    scans = [p for p in found if "scan" in p.name and p != largest]
    return [largest, *scans]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows, ocr = measure(args.repeat)
    print("| what | runs | median ms | p95 ms |\n| --- | ---: | ---: | ---: |")
    for name in sorted(rows):
        values = rows[name]
        print(f"| {name} | {len(values)} | {statistics.median(values):.1f} | {p95(values):.1f} |")
    if ocr:
        print(f"\nOCR: {statistics.median(ocr):.2f} s/page median (max {max(ocr):.2f})")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"Peak RSS: worker {peak_mb:.0f} MB, largest converter child {child_mb:.0f} MB")


if __name__ == "__main__":
    main()
