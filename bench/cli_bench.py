"""Whole-process times of ``gkarchive``: ``--help``, ``extract huaian-2024.pdf --json`` against
a plain pdfplumber script reading every page, and 100 files in one call against 100 calls.

Each process is timed from start to exit (wall clock, and CPU of the child), median of
``repeat`` runs.

Example::

    .venv/bin/python -m bench --only cli --repeat 5
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.report import Section, Target

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
HUAIAN = CORPUS / "huaian-2024.pdf"
FIXTURES = REPO / "tests" / "fixtures" / "documents"
GKARCHIVE = [sys.executable, "-m", "archive.cli"]
PDFPLUMBER_SCRIPT = ("import sys, pdfplumber\n"
                     "with pdfplumber.open(sys.argv[1]) as pdf:\n"
                     "    for page in pdf.pages:\n"
                     "        page.extract_text()\n")
BATCH_FORMATS = (".pdf", ".docx", ".html", ".xlsx")  # no LibreOffice or OCR: the CLI is timed


@dataclass
class ProcessTime:
    """Median wall-clock and CPU seconds of one command over its runs."""

    wall: float
    cpu: float
    runs: int


def time_process(argv: list[str], repeat: int) -> ProcessTime:
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=600)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return ProcessTime(statistics.median(walls), statistics.median(cpus), repeat)


def batch_folder(folder: Path, count: int) -> list[Path]:
    """``count`` documents (the fixture PDFs, DOCX, HTML and XLSX, cycled) in ``folder``."""
    sources = sorted(p for p in FIXTURES.iterdir() if p.suffix in BATCH_FORMATS
                     and "scan" not in p.name)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        source = sources[i % len(sources)]
        path = folder / f"{i:03d}-{source.name}"
        shutil.copy(source, path)
        paths.append(path)
    return paths


@dataclass
class CliTimes:
    help: ProcessTime
    extract: ProcessTime
    pdfplumber: ProcessTime
    files: int
    one_call: float
    many_calls: float


def measure(scratch: Path, repeat: int, files: int = 100) -> CliTimes:
    script = scratch / "pdfplumber_pages.py"
    script.write_text(PDFPLUMBER_SCRIPT)
    paths = batch_folder(scratch / "batch", files)
    one_call = time_process([*GKARCHIVE, "extract", str(scratch / "batch"), "--json"], 1).wall
    start = time.perf_counter()
    for path in paths:
        subprocess.run([*GKARCHIVE, "extract", str(path), "--json"], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    many_calls = time.perf_counter() - start
    return CliTimes(
        help=time_process([*GKARCHIVE, "--help"], repeat),
        extract=time_process([*GKARCHIVE, "extract", str(HUAIAN), "--json"], repeat),
        pdfplumber=time_process([sys.executable, str(script), str(HUAIAN)], repeat),
        files=files, one_call=one_call, many_calls=many_calls)


def cli_section(scratch: Path, args) -> Section:
    r = measure(scratch, max(3, args.repeat))
    body = [
        "| process | runs | wall s (median) | CPU s (median) |", "| --- | ---: | ---: | ---: |",
        f"| `gkarchive --help` | {r.help.runs} | {r.help.wall:.2f} | {r.help.cpu:.2f} |",
        f"| `gkarchive extract huaian-2024.pdf --json` | {r.extract.runs} | "
        f"{r.extract.wall:.2f} | {r.extract.cpu:.2f} |",
        f"| plain pdfplumber script reading every page of huaian-2024.pdf | "
        f"{r.pdfplumber.runs} | {r.pdfplumber.wall:.2f} | {r.pdfplumber.cpu:.2f} |", "",
        f"{r.files} fixture documents (PDF, DOCX, HTML, XLSX, cycled): one "
        f"`gkarchive extract FOLDER --json` call **{r.one_call:.1f} s**; {r.files} calls of "
        f"`gkarchive extract FILE --json` **{r.many_calls:.1f} s** "
        f"({r.many_calls / r.one_call:.1f}× as long).", "",
        "The CLI imports what a command needs when it runs it: datasette for `serve`, the "
        "archive database for the commands that open it, and each format's reader (pypdfium2, "
        "trafilatura, openpyxl, PIL) for its first document.",
    ]
    targets = [
        Target("cli: `gkarchive extract huaian-2024.pdf --json` process faster than a plain "
               "pdfplumber script", f"{r.extract.wall:.2f} s vs {r.pdfplumber.wall:.2f} s",
               r.extract.wall < r.pdfplumber.wall),
        Target(f"cli: {r.files} files in one call ≥ 5× faster than {r.files} calls",
               f"{r.one_call:.1f} s vs {r.many_calls:.1f} s", r.many_calls >= 5 * r.one_call),
    ]
    return Section("gkarchive extract: process times", "`python -m bench --only cli`", body,
                   targets)
