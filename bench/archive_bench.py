"""Archive benchmark: reports written per second on the real write path, bytes per report,
and the latency of every canned query of ``gkarchive serve`` (datasette, in-process client)
on a synthetic archive of many reports.

The cells, checks and sections of the synthetic reports are those of real parses of fixture
documents, with values varied per report; sites, runs, blobs, fetches, posts, attachments and
extractions are small stand-ins (one of each per report) so the foreign keys and joins of the
canned queries hold.

Example::

    facts = build_archive(Path("/tmp/a.db"), reports=50_000)
    timings = time_canned_queries(Path("/tmp/a.db"), facts)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from archive.reports import check_counts
from archive.search import short_tokens
from bench.machine import median, p95

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = REPO / "tests" / "fixtures" / "documents"
SAMPLES = ("dg-fenggang-2019.html", "dg-fenggang-2021.docx", "dg-qingxi-2022.docx",
           "huadu-chini-2022.html", "huadu-shiling-2019.docx")
YEARS = tuple(range(2014, 2024))  # ten report years: sites = reports / 10
NOW = "2026-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class Sample:
    record: dict
    raw: dict


@dataclass
class ArchiveFacts:
    reports: int
    cells: int
    checks: int
    seconds: float
    size_bytes: int
    report_ids: list[int] = field(default_factory=list)

    @property
    def bytes_per_report(self) -> float:
        return self.size_bytes / self.reports


def sample_reports() -> list[Sample]:
    """Real parser output for a few quick fixture documents (as ``build_reports`` stores it)."""
    from archive.extract import extract_file
    from archive.report import parse_document

    samples = []
    for name in SAMPLES:
        doc = extract_file(DOCUMENTS / name)
        record = parse_document(doc, path=name)
        raw = {key: [cell.raw, getattr(cell.state, "value", cell.state)]
               for key, cell in record.cells.items()}
        samples.append(Sample(json.loads(json.dumps(record.to_json_dict(), ensure_ascii=False,
                                                    default=str)), raw))
    return samples


def _site(n: int) -> str:
    return f"bench-site-{n:05d}"


def _stand_ins(conn, report_no: int, site: str, year: int) -> tuple[str, int]:
    """Blob, fetch, post, attachment and extraction rows of one report; (sha256, extraction id)."""
    content = f"%PDF-1.4 bench report {report_no}".encode()
    sha = hashlib.sha256(content).hexdigest()
    url = f"http://www.example.gov.cn/{site}/attachment/{report_no}.pdf"
    conn.execute("INSERT INTO blobs VALUES (?,?,?,?,?)", [sha, len(content), content, 1, NOW])
    conn.execute("INSERT INTO fetches (run_id, site, kind, method, url, status, outcome, "
                 "request_headers, fetched_at, size, sha256) VALUES (1,?,?,?,?,200,'ok','{}',?,?,?)",
                 [site, "attachment", "GET", url, NOW, len(content), sha])
    conn.execute("INSERT INTO posts (site, post_id, title, url, report_year, article, first_run, "
                 "last_run) VALUES (?,?,?,?,?,'{}',1,1)",
                 [site, report_no, f"{year}年政府信息公开工作年度报告", url, year])
    conn.execute("INSERT INTO attachments (site, post_id, url, name, ext, listed_in, status, "
                 "sha256, first_run, last_run) VALUES (?,?,?,?,'pdf','api','ok',?,1,1)",
                 [site, report_no, url, f"{report_no}.pdf", sha])
    extraction = conn.execute(
        "INSERT INTO extractions (sha256, name, extractor_version, parser_version, status, "
        "format, pages, text, tables, template, cells_found, hard_checks_failed, run_id, "
        "created_at) "
        "VALUES (?,?,'bench','bench','ok','pdf',4,'…','[]','2021',200,0,1,?)",
        [sha, f"{report_no}.pdf", NOW]).lastrowid
    return sha, extraction


def _prepare(path: Path, sites: int):
    """A migrated archive with one run and ``sites`` sites; a raw connection for bulk work."""
    from archive.db import open_db

    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    open_db(path).conn.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO runs (id, command, args, started_at, finished_at, status, "
                 "crawler_version) VALUES (1, 'crawl', '{}', ?, ?, 'finished', 'bench')", [NOW, NOW])
    conn.executemany("INSERT INTO sites VALUES (?,?,?,'[]','[]',?,1)",
                     [(_site(n), f"机关{n}", f"广东省{n % 21}市", json.dumps({"enabled": True}))
                      for n in range(sites)])
    conn.execute("COMMIT")
    return conn


def write_path_rate(path: Path, samples: list[Sample], reports: int = 300) -> tuple[float, float]:
    """Reports/s and bytes/report through ``archive.reports._replace_report`` in units of work."""
    from archive.db import open_db, unit_of_work
    from archive.reports import _replace_report

    conn = _prepare(path, reports // len(YEARS) + 1)
    conn.execute("BEGIN")
    rows = []
    for n in range(reports):
        site, year = _site(n // len(YEARS)), YEARS[n % len(YEARS)]
        sha, extraction = _stand_ins(conn, n, site, year)
        rows.append((site, year, n, sha, extraction))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = path.stat().st_size
    db = open_db(path)
    start = time.perf_counter()
    for site, year, n, sha, extraction in rows:
        sample = samples[n % len(samples)]
        row = _report_row(site, year, n, sha, extraction, sample.record)
        unit_of_work(db, lambda: _replace_report(db, row, sample.record, sample.raw))
    seconds = time.perf_counter() - start
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return reports / seconds, (path.stat().st_size - before) / reports


def _report_row(site, year, n, sha, extraction, record) -> dict:
    checks = record.get("checks", [])
    return {"site": site, "year": year, "agency": record.get("agency"),
            "title": f"{year}年政府信息公开工作年度报告", "post_id": n,
            "extraction_id": extraction, "source_sha256": sha, "source_name": f"{n}.pdf",
            "chosen_because": "bench", "template": record.get("template", "2021"),
            "cells_found": len(record.get("cells", {})),
            "cells_missing": len(record.get("missing", [])),
            **check_counts(checks),
            "run_id": 1, "updated_at": NOW}


def build_archive(path: Path, samples: list[Sample], reports: int = 50_000,
                  batch: int = 1000) -> ArchiveFacts:
    """A synthetic archive of ``reports`` reports, written with executemany batches."""
    start = time.perf_counter()
    conn = _prepare(path, -(-reports // len(YEARS)))
    rng = random.Random(8)
    cells = checks = 0
    ids = []
    for first in range(0, reports, batch):
        conn.execute("BEGIN")
        cell_rows, check_rows, section_rows, search_rows = [], [], [], []
        for n in range(first, min(first + batch, reports)):
            site, year = _site(n // len(YEARS)), YEARS[n % len(YEARS)]
            sample = samples[n % len(samples)]
            sha, extraction = _stand_ins(conn, n, site, year)
            row = _report_row(site, year, n, sha, extraction, sample.record)
            failing = rng.random() < 0.1  # one report in ten fails a check
            row["hard_checks_failed"] += failing
            report_id = conn.execute(
                f"INSERT INTO reports ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                list(row.values())).lastrowid
            ids.append(report_id)
            for key, value in sample.record["cells"].items():
                table, row_key, col_key = key.split(".")
                raw, state = sample.raw.get(key, ["", "value"])
                varied = value if not isinstance(value, int) else value + rng.randrange(50)
                cell_rows.append((report_id, key, table, row_key, col_key, varied, raw, state))
            for c in sample.record["checks"]:
                status = "failed" if failing and c is sample.record["checks"][0] else c["status"]
                check_rows.append((report_id, c["rule"], c["scope"], status,
                                   "soft" if c["rule"].startswith("W-") else "hard",
                                   c.get("detail")))
            sections = sample.record.get("sections", {})
            section_rows += [(report_id, k, t) for k, t in sections.items()]
            search_rows.append((row["title"], "\n".join(sections.values()), site, year,
                                report_id))
        conn.executemany("INSERT INTO report_cells VALUES (?,?,?,?,?,?,?,?)", cell_rows)
        conn.executemany("INSERT INTO report_checks VALUES (?,?,?,?,?,?)", check_rows)
        conn.executemany("INSERT INTO report_sections VALUES (?,?,?)", section_rows)
        conn.executemany("INSERT INTO report_search (title, body, site, year, report_id) "
                         "VALUES (?,?,?,?,?)", search_rows)
        conn.executemany("INSERT INTO report_search_short (title, body, report_id) VALUES (?,?,?)",
                         [(short_tokens(t), short_tokens(b), rid) for t, b, _, _, rid in search_rows])
        conn.execute("COMMIT")
        cells += len(cell_rows)
        checks += len(check_rows)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return ArchiveFacts(reports=reports, cells=cells, checks=checks,
                        seconds=time.perf_counter() - start, size_bytes=path.stat().st_size,
                        report_ids=ids)


def query_params(facts: ArchiveFacts) -> dict[str, list[dict]]:
    """Parameters for each canned query (several variants where the query has branches)."""
    middle = facts.report_ids[len(facts.report_ids) // 2]
    return {"reports_of_year": [{"year": 2020}], "sites_without_report": [{"year": 2020}],
            "report_t2": [{"report_id": middle}], "report_t3": [{"report_id": middle}],
            "report_t4": [{"report_id": middle}],
            "cell_provenance": [{"report_id": middle, "key": "t3.new_received.total"}],
            "search_reports": [{"q": "政府信息公开"}, {"q": "年报"}]}


def page_urls(path: Path, facts: ArchiveFacts) -> dict[str, str]:
    """The report page of the middle report, its body's page and the health page."""
    middle = facts.report_ids[len(facts.report_ids) // 2]
    conn = sqlite3.connect(path)
    site, year = conn.execute("SELECT site, year FROM reports WHERE id = ?", [middle]).fetchone()
    conn.close()
    return {"page /-/report": f"/-/report/{site}/{year}", "page /-/body": f"/-/body/{site}",
            "page /-/health": "/-/health"}


@dataclass
class QueryTiming:
    name: str
    params: dict
    status: int
    rows: int
    times_ms: list[float]

    @property
    def median_ms(self) -> float:
        return median(self.times_ms)

    @property
    def p95_ms(self) -> float:
        return p95(self.times_ms)


def time_canned_queries(path: Path, facts: ArchiveFacts, repeat: int = 5) -> list[QueryTiming]:
    """Every canned query of the datasette metadata, through datasette's in-process client."""
    from urllib.parse import urlencode

    from archive.serve import DATABASE_NAME, make_datasette

    ds = make_datasette(path)
    queries = ds.metadata()["databases"][DATABASE_NAME]["queries"]
    params = query_params(facts)

    async def run() -> list[QueryTiming]:
        await ds.invoke_startup()
        timings = []
        for name in queries:
            for variant in params.get(name, [{}]):
                url = f"/{DATABASE_NAME}/{name}.json?" + urlencode({**variant, "_shape": "array"})
                start = time.perf_counter()
                response = await ds.client.get(url)  # warm-up, timed only when it fails
                times = [(time.perf_counter() - start) * 1000] if response.status_code != 200 else []
                for _ in range(repeat if response.status_code == 200 else 0):
                    start = time.perf_counter()
                    response = await ds.client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
                rows = len(response.json()) if response.status_code == 200 else 0
                timings.append(QueryTiming(name, variant, response.status_code, rows, times))
        for name, url in page_urls(path, facts).items():  # the plugin's pages (HTML)
            times = []
            for _ in range(repeat + 1):
                start = time.perf_counter()
                response = await ds.client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            timings.append(QueryTiming(name, {}, response.status_code, 0, times[1:]))
        return timings

    return asyncio.run(run())


def report_scoped(sql: str, view: str, table: str) -> str:
    """A canned T3/T4 query with its view replaced by the same aggregate over one report's
    cells only: the view is grouped over every report before the join can narrow it."""
    body = _VIEW_COLUMNS[view]
    scoped = (f"(select report_id, row_key{' as grp' if view == 'report_t4' else ''}, {body} "
              f"from report_cells where report_id = cast(:report_id as integer) "
              f"and table_name = '{table}' group by report_id, row_key)")
    return sql.replace(f"{view} t", f"{scoped} t")


_VIEW_COLUMNS = {
    "report_t3": ", ".join(f"max(case col_key when '{c}' then value end) as {c}" for c in (
        "natural", "commercial", "research", "public_interest", "legal_service", "org_other",
        "total")),
    "report_t4": ", ".join(f"max(case col_key when '{c}' then value end) as {c}" for c in (
        "upheld", "corrected", "other", "pending", "total")),
}


def time_rewrites(path: Path, facts: ArchiveFacts, repeat: int = 5) -> list[QueryTiming]:
    """The report-scoped T3 and T4 queries, through datasette's arbitrary-SQL endpoint."""
    from urllib.parse import urlencode

    from archive.datasette_plugin.queries import T3_SQL, T4_SQL
    from archive.serve import DATABASE_NAME, make_datasette

    ds = make_datasette(path)
    middle = facts.report_ids[len(facts.report_ids) // 2]
    variants = {"report_t3 (report-scoped)": report_scoped(T3_SQL, "report_t3", "t3"),
                "report_t4 (report-scoped)": report_scoped(T4_SQL, "report_t4", "t4")}

    async def run() -> list[QueryTiming]:
        timings = []
        for name, sql in variants.items():
            url = f"/{DATABASE_NAME}.json?" + urlencode(
                {"sql": sql, "report_id": middle, "_shape": "array"})
            times, response = [], await ds.client.get(url)
            for _ in range(repeat):
                start = time.perf_counter()
                response = await ds.client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            rows = len(response.json()) if response.status_code == 200 else 0
            timings.append(QueryTiming(name, {"report_id": middle}, response.status_code, rows,
                                       times))
        return timings

    return asyncio.run(run())
