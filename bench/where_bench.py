"""Where reports are found, and what it costs: a site's first crawl (lists, report columns and
the title search), the nightly re-crawl that follows (no search: new reports are inside the list
window) and a backfill of 2019–2020 (search again, with a year filter), against the simulated
portal with the list window and the portal columns on. Requests and bytes per kind of fetch.

``python -m bench.where_bench`` writes its section of ``docs/benchmarks.md`` in place (between
its markers); ``make bench`` includes it as the ``where`` section.

Example::

    runs = run_where_bench(Path("/tmp/where"))
    runs["nightly"].kinds.get("search", (0, 0))       # (0, 0): the search does not run nightly
"""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SWITCHES = ("list_window", "portal_columns")
BACKFILL = ("--years", "2019-2020")
# (name, archive, arguments): three runs on one archive, then a backfill into a new one
RUNS = (("first crawl", "where.db", ()), ("nightly re-crawl", "where.db", ()),
        ("backfill 2019-2020 of that archive", "where.db", BACKFILL),
        ("backfill 2019-2020 into a new archive", "backfill.db", BACKFILL))
KINDS = ("robots", "entry", "shell", "list", "column", "search", "detail", "attachment")
# dg-zjj has no 2019-2020 report: a backfill of it is an error by design (zero reports)
TOWNS = ("--site", "dg-fenggang", "--site", "dg-qingxi", "--site", "huadu-shiling",
         "--site", "huadu-chini")
BEGIN, END = "<!-- where-bench: begin -->", "<!-- where-bench: end -->"
TITLE = "Where reports are found: first crawl, nightly, backfill"
COMMAND = "`.venv/bin/python -m bench.where_bench`"


@dataclass
class WhereRun:
    name: str
    returncode: int
    requests: int
    bytes: int
    kinds: dict[str, tuple[int, int]]  # kind -> (requests, bytes)
    reports: int


def _run_stats(db: Path, run_id: int) -> tuple[int, int, dict, int]:
    with sqlite3.connect(db) as conn:
        kinds = {k: (n, b or 0) for k, n, b in conn.execute(
            "SELECT kind, count(*), sum(size) FROM fetches WHERE run_id = ? GROUP BY kind",
            [run_id])}
        reports = conn.execute("SELECT count(*) FROM posts WHERE last_run = ?",
                               [run_id]).fetchone()[0]
    return sum(n for n, _ in kinds.values()), sum(b for _, b in kinds.values()), kinds, reports


def run_where_bench(scratch: Path) -> dict[str, WhereRun]:
    """The three runs on one archive, through ``gkarchive crawl --no-extract``."""
    sys.path.insert(0, str(REPO))
    from tests.crawl_support import crawl
    from tests.portal import Portal

    runs: dict[str, WhereRun] = {}
    run_ids: dict[str, int] = {}
    with Portal(faults=set(SWITCHES)) as portal:
        for name, archive, args in RUNS:
            db = scratch / archive
            run_ids[archive] = run_ids.get(archive, 0) + 1
            result = crawl(portal.url, db, *args, *TOWNS if args else ())
            requests, size, kinds, reports = _run_stats(db, run_ids[archive])
            runs[name] = WhereRun(name, result.returncode, requests, size, kinds, reports)
    return runs


def section_lines(runs: dict[str, WhereRun]) -> list[str]:
    head = "| run | reports | requests | bytes | " + " | ".join(KINDS) + " |"
    lines = [f"The five fixture sites of the simulated portal with `{'`, `'.join(SWITCHES)}` "
             "on (the list API shows posts since 2021-07-01 only; the report columns hold "
             "reports found nowhere else and other towns' reports). One archive, three runs "
             "(the backfills of the four towns: dg-zjj has no 2019–2020 report), then a "
             "backfill into a new archive; `gkarchive crawl --no-extract`, politeness off. "
             "Requests per kind of fetch (bytes in brackets); `reports`: report posts the run "
             "archived or found unchanged.", "", head,
             "| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in KINDS) + " |"]
    for run in runs.values():
        cells = " | ".join(f"{run.kinds.get(k, (0, 0))[0]} ({run.kinds.get(k, (0, 0))[1]:,})"
                           for k in KINDS)
        lines.append(f"| {run.name} | {run.reports} | {run.requests} | {run.bytes:,} | {cells} |")
    nightly = runs["nightly re-crawl"]
    lines += ["", f"The nightly re-crawl sends {nightly.kinds.get('search', (0, 0))[0]} search "
              "requests: the search runs on a site's first crawl, on backfills (`--year`) and on "
              "`--revisit`, never nightly (new reports are inside the list window); a known "
              "report found by search or in a column is touched, not fetched again."]
    return lines


def where_section(scratch: Path, args=None):
    from bench.report import Section, Target

    runs = run_where_bench(scratch)
    nightly_search = runs["nightly re-crawl"].kinds.get("search", (0, 0))[0]
    targets = [Target("no search requests in a nightly re-crawl", str(nightly_search),
                      nightly_search == 0)]
    return Section(TITLE, COMMAND, section_lines(runs), targets)


def write_section(doc: Path, lines: list[str]) -> None:
    """Replace this bench's block of ``doc`` (or append it) with ``lines``."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    heading = f"## {TITLE}"
    block = "\n".join([BEGIN, heading, "", f"Command: {COMMAND}", "", *lines, END])
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    elif heading in text:  # written by `make bench`: up to the next section
        start = text.index(heading)
        following = text.find("\n## ", start + len(heading))
        text = text[:start] + block + ("\n" + text[following:] if following >= 0 else "\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")


def main() -> int:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="gkbench-where-") as scratch:
        runs = run_where_bench(Path(scratch))
    lines = section_lines(runs)
    write_section(REPO / "docs" / "benchmarks.md", lines)
    print("\n".join(lines))
    return 0 if all(r.returncode == 0 for r in runs.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
