"""The sections of ``docs/benchmarks.md``: each runs one benchmark and returns its Markdown
and its targets (met or not).

Example::

    section = crawl_section(Path("/tmp/scratch"), args)
    render([section], machine_lines(), seconds=95.0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bench.machine import median, p95


@dataclass
class Target:
    what: str
    measured: str
    met: bool


@dataclass
class Section:
    title: str
    command: str
    body: list[str]
    targets: list[Target] = field(default_factory=list)


def _mb(value: float) -> str:
    return f"{value:.0f} MB"


def crawl_section(scratch: Path, args) -> Section:
    from bench.crawl_bench import run_crawl_bench

    r = run_crawl_bench(scratch, news=args.news, reports=args.crawl_reports,
                        bare_repeats=max(1, min(args.repeat, 3)))
    bare = r.bare_runs
    workers = r.full.worker_rss_mb
    body = [
        f"Simulated portal (`bench/bigportal.py`): the five fixture sites plus {r.news} news "
        f"posts and {r.reports} report posts (each with a unique 230 KB PDF) per site; "
        "politeness off (`--delay 0`, AutoThrottle off), CONCURRENT_REQUESTS=16, "
        "CONCURRENT_REQUESTS_PER_DOMAIN=8 for both spiders, robots.txt obeyed by the real crawl "
        "and replayed by the bare one.",
        "",
        "| crawl phase (spider open → close) | requests | MB | seconds | pages/s | peak RSS |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| gkmlpt spider + archive pipeline (`scrapy crawl gkmlpt`) | {r.first.requests} | "
        f"{r.first.bytes / 1e6:.1f} | {r.first.crawl_seconds:.2f} | "
        f"{r.first.pages_per_second:.0f} | {_mb(r.first.rss_mb)} |",
        f"| bare Scrapy replay of the same URLs, no pipeline (median of {len(bare)}) | "
        f"{bare[0]['requests']} | {bare[0]['bytes'] / 1e6:.1f} | "
        f"{median([b['seconds'] for b in bare]):.2f} | {r.bare_pages_per_second:.0f} | "
        f"{_mb(r.bare_rss_mb)} |",
        "",
        f"Ratio (archive / bare): **{r.ratio:.2f}**. Requests by kind: "
        + ", ".join(f"{k} {v}" for k, v in sorted(r.first.kinds.items())) + ".",
        "",
        "Both phases of `gkarchive crawl` (the fixture portal: 22 reports, 43 documents of every "
        "format, OCR and LibreOffice included):",
        "",
        "| phase | seconds | peak RSS |",
        "| --- | ---: | ---: |",
        f"| crawl ({r.full.requests} requests, {r.full.crawl_seconds and r.full.requests / r.full.crawl_seconds:.0f} pages/s) | "
        f"{r.full.crawl_seconds:.2f} | whole process {_mb(r.full.rss_mb)} |",
        f"| extraction ({r.full.extracted} documents → {r.full.reports} reports, 2 workers) | "
        f"{r.full.extraction_seconds:.1f} | largest worker "
        f"{_mb(max(workers, default=0))} ({len(workers)} seen); largest converter child "
        f"{_mb(r.full.converter_rss_mb)} |",
        "",
        "The big-portal runs use `scrapy crawl gkmlpt` (same spider, middlewares and archive "
        "pipeline) so that the crawl phase is timed alone, against the bare spider; "
        "`gkarchive crawl` adds the extraction phase, timed above on the fixture portal's "
        "documents of every format. Extraction pools are renewed every 40 documents "
        "(`max_tasks_per_child` can deadlock on Python 3.11: CPython gh-115634).",
    ]
    n = r.nightly
    nightly_kinds = ", ".join(f"{k} {v}" for k, v in sorted(n.kinds.items()))
    body_nightly = [
        "", "**Nightly (unchanged re-crawl of the big portal)**", "",
        "| run | requests | bytes |", "| --- | ---: | ---: |",
        f"| first crawl | {r.first.requests} | {r.first.bytes:,} |",
        f"| unchanged re-crawl | {n.requests} ({n.requests / r.first.requests:.1%}) | "
        f"{n.bytes:,} ({n.bytes / r.first.bytes:.1%}) |", "",
        f"Re-crawl kinds: {nightly_kinds}.",
    ]
    targets = [
        Target("crawl: archive/bare pages per second ≥ 0.8", f"{r.ratio:.2f}", r.ratio >= 0.8),
        Target("crawl: peak RSS of the crawl process < 300 MB",
               f"{_mb(max(r.first.rss_mb, r.full.rss_mb))}",
               max(r.first.rss_mb, r.full.rss_mb) < 300),
        Target("extraction phase: peak RSS per worker < 500 MB", _mb(max(workers, default=0)),
               bool(workers) and max(workers) < 500),
        Target("nightly: re-crawl fetches only entry/shell/list/robots",
               f"{n.requests / r.first.requests:.1%} of requests, "
               f"{n.bytes / r.first.bytes:.1%} of bytes; kinds {sorted(n.kinds)}",
               r.nightly_only_lists),
    ]
    return Section("Crawl and nightly re-crawl", f"`{r.scrapy}`  \n`{r.gkarchive}`",
                   body + body_nightly, targets)


def extraction_section(scratch: Path, args) -> Section:
    from bench import extract_bench

    rows, ocr = extract_bench.measure(args.repeat)
    body = ["| what | runs | median ms | p95 ms |", "| --- | ---: | ---: | ---: |"]
    for name in sorted(rows):
        values = rows[name]
        body.append(f"| {name} | {len(values)} | {median(values):.1f} | {p95(values):.1f} |")
    rss = {p.name: extract_bench.worker_peak_rss_mb(p) for p in extract_bench.largest_documents()}
    body += ["", f"OCR: {median(ocr):.2f} s per page median (max {max(ocr):.2f}).",
             "Peak RSS of a fresh extraction worker: "
             + ", ".join(f"{name} {_mb(mb)}" for name, mb in rss.items()) + "."]
    huaian = median(rows["extract: huaian-2024.pdf (6 pages, 5 grids)"])
    targets = [
        Target("extraction: huaian-2024.pdf with grids ≤ 100 ms median", f"{huaian:.0f} ms",
               huaian <= 100),
        Target("extraction: OCR ≤ 4 s per page", f"{median(ocr):.2f} s (max {max(ocr):.2f})",
               max(ocr) <= 4),
        Target("extraction: worker peak RSS on the largest fixture < 500 MB",
               _mb(max(rss.values())), max(rss.values()) < 500),
    ]
    return Section("Extraction per format", f"`python bench/extract_bench.py --repeat {args.repeat}`",
                   body, targets)


def parsing_section(scratch: Path, args) -> Section:
    from bench import parse_bench

    rounds = max(5, args.repeat * 4)
    per = parse_bench.measure(parse_bench.documents(with_slow=False), rounds)
    ms = [t * 1000 for t in per]
    body = [f"{len(ms)} reports (corpus texts and fixture documents, extracted once), "
            f"{rounds} rounds each: median {median(ms):.1f} ms, p95 {p95(ms):.1f} ms, "
            f"max {max(ms):.1f} ms per report."]
    return Section("Parsing beyond extraction", f"`python bench/parse_bench.py --rounds {rounds}`",
                   body, [Target("parsing: ≤ 20 ms per report median", f"{median(ms):.1f} ms",
                                 median(ms) <= 20)])


def archive_section(scratch: Path, args) -> Section:
    from bench import archive_bench as ab

    samples = ab.sample_reports()
    rate, per_report = ab.write_path_rate(scratch / "write-path.db", samples, 300)
    facts = ab.build_archive(scratch / "archive.db", samples, args.reports)
    timings = ab.time_canned_queries(scratch / "archive.db", facts, args.repeat)
    rewrites = ab.time_rewrites(scratch / "archive.db", facts, args.repeat)
    body = [
        f"Write path (`archive.reports._replace_report`, one `BEGIN IMMEDIATE` unit per report, "
        f"~200 cells, 46 checks, sections and search row each): **{rate:.0f} reports/s**, "
        f"{per_report / 1024:.0f} KiB per report.", "",
        f"Synthetic archive: {facts.reports:,} reports ({facts.reports // len(ab.YEARS):,} sites "
        f"× {len(ab.YEARS)} years), {facts.cells:,} cells, {facts.checks:,} checks; built with "
        f"executemany batches in {facts.seconds:.0f} s; {facts.size_bytes / 2**30:.2f} GiB "
        f"({facts.bytes_per_report / 1024:.0f} KiB per report). No ANALYZE.", "",
        "| canned query or page | params | HTTP | rows | median ms | p95 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for t in timings + rewrites:
        params = ", ".join(f"{k}={v}" for k, v in t.params.items())
        body.append(f"| {t.name} | {params} | {t.status} | {t.rows} | {t.median_ms:.0f} | "
                    f"{t.p95_ms:.0f} |")
    slow = [t for t in timings if t.status != 200 or t.median_ms >= 200]
    body += ["", "Rows marked *report-scoped* are the same T3/T4 queries with the view replaced "
             "by the same aggregate restricted to the one report (`bench/archive_bench.py`, "
             "`report_scoped`), through datasette's arbitrary-SQL endpoint."]
    targets = [Target("archive: every canned query and page < 200 ms (50k reports)",
                      "all met" if not slow else "missed: " + ", ".join(
                          f"{t.name}{'(' + ','.join(map(str, t.params.values())) + ')' if t.params else ''}"
                          f" {t.median_ms:.0f} ms" + ("" if t.status == 200 else f" HTTP {t.status}")
                          for t in slow), not slow)]
    return Section("Archive and canned queries",
                   f"`python -m bench --only archive --reports {args.reports}`", body, targets)


def province_section(scratch: Path, args) -> Section:
    from bench.province_bench import province_section as section

    return section(scratch, args)


def where_section(scratch: Path, args) -> Section:
    from bench.where_bench import where_section as section

    return section(scratch, args)


def challenge_section(scratch: Path, args) -> Section:
    from bench.challenge_bench import section

    return section(scratch, args)


def accuracy_section(scratch: Path, args) -> Section:
    from bench.accuracy_bench import accuracy_section as section

    return section(scratch, args)


def cli_section(scratch: Path, args) -> Section:
    from bench.cli_bench import cli_section as section

    return section(scratch, args)


def distributed_section(scratch: Path, args) -> Section:
    from bench.distributed_bench import distributed_section as section

    return section(scratch, args)


SECTIONS = {"crawl": crawl_section, "extract": extraction_section, "parse": parsing_section,
            "archive": archive_section, "where": where_section, "challenge": challenge_section,
            "distributed": distributed_section, "accuracy": accuracy_section, "cli": cli_section,
            "province": province_section}


def render(sections: list[Section], machine: list[str], seconds: float) -> str:
    when = _now()
    lines = ["# Benchmarks", "",
             f"Written by `make bench` (`.venv/bin/python -m bench`) on {when}, one run, "
             f"{seconds / 60:.1f} minutes in all. Medians (p95 where it matters).", "",
             "## Machine", "", *[f"- {line}" for line in machine], "",
             "## Targets", "", "| target | measured | met |", "| --- | --- | --- |"]
    for section in sections:
        lines += _target_rows(section)
    for section in sections:
        lines += ["", *_section_block(section)]
    return "\n".join(lines) + "\n"


def splice(previous: str, sections: list[Section]) -> str:
    """``previous`` (a written ``docs/benchmarks.md``) with the sections just run in place of
    theirs (``python -m bench --only …``): each one's ``## title`` block, dated, and its rows
    of the targets table. A row names its section in a fourth cell, which Markdown does not
    show; the table lists the sections' rows in the order of the sections (then those of a
    section with no block in the file), then any row that names none (written by hand), as
    it was. A section the file did not have goes at its end.
    Everything else, hand-written notes included, is kept."""
    fresh = {section.title: section for section in sections}
    blocks = re.split(r"(?m)^(?=## )", previous)
    titles = [_title(block) for block in blocks]
    order = [t for t in titles if t not in (None, "Machine", "Targets")]
    order += [t for t in fresh if t not in order]
    out = []
    for block, title in zip(blocks, titles):
        if title == "Targets":
            block = _splice_targets(block, order, fresh)
        elif title in fresh:
            block = "\n".join(_section_block(fresh[title], dated=True)) + "\n\n"
        out.append(block)
    text = "".join(out).rstrip("\n") + "\n"
    for title in order:
        if title not in titles:  # new to the file
            text += "\n" + "\n".join(_section_block(fresh[title], dated=True)) + "\n"
    return text


def _title(block: str) -> str | None:
    return block.splitlines()[0][3:].strip() if block.startswith("## ") else None


def _splice_targets(block: str, order: list[str], fresh: dict[str, Section]) -> str:
    lines = block.rstrip("\n").split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("| ---")) + 1
    last = next((i for i in range(first, len(lines)) if not lines[i].startswith("|")),
                len(lines))
    rows, unnamed = {}, []
    for line in lines[first:last]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        marker = re.fullmatch(r"<!-- (.+) -->", cells[-1]) if len(cells) > 3 else None
        if marker:
            rows.setdefault(marker.group(1), []).append(line)
        else:
            unnamed.append(line)
    for title, section in fresh.items():
        rows[title] = _target_rows(section)
    order = order + [title for title in rows if title not in order]  # rows of no block here
    table = [row for title in order for row in rows.get(title, [])]
    return "\n".join(lines[:first] + table + unnamed + lines[last:]) + "\n\n"


def _target_rows(section: Section) -> list[str]:
    return [f"| {t.what} | {t.measured} | {'met' if t.met else '**not met**'} | "
            f"<!-- {section.title} --> |" for t in section.targets]


def _section_block(section: Section, dated: bool = False) -> list[str]:
    when = [f"Run alone (`--only`) on {_now()}; the machine as above.", ""] if dated else []
    return [f"## {section.title}", "", f"Command: {section.command}", "", *when, *section.body]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
