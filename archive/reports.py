"""From archived bytes to structured reports: extraction in worker processes, one report per
site and year, naming the chosen source document and why.

Extraction and parsing are pure functions (``archive.extract``, ``archive.report``); this
module runs them over stored blobs — offline, so ``reextract`` needs no network — in a pool
of worker processes (PDFium is not thread-safe, and the crawl's reactor must never stall),
and writes the results as the single writer. An extraction is keyed by (blob, extractor
version, parser version): a new version is recorded beside the old, never over it.

Example::

    summary = build_reports("data/archive.db", run_id=7)              # after a crawl
    summary = build_reports("data/archive.db", run_id=8, years=(2020, 2020), force=True)
"""

from __future__ import annotations

import json
import multiprocessing
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from archive.db import open_db, unit_of_work
from archive.document import Document
from archive.schema import CHECK_COUNT_COLUMNS
from archive.search import index_report
from archive.store import utcnow

WORKERS = 2
POOL_BATCH = 40  # documents per pool of workers


@dataclass(frozen=True)
class Candidate:
    """One document that may hold a post's report: its body or one attachment."""

    site: str
    post_id: str
    sha256: str
    name: str
    published: str = ""  # the post's publish date: among equals, the newest post wins

    @property
    def recency(self) -> tuple:
        """Newer posts sort later: by publish date, then by id (gkmlpt's grow; numerically)."""
        return self.published or "", len(self.post_id), self.post_id


@dataclass
class BuildSummary:
    extracted: int = 0
    reused: int = 0
    reports: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def versions() -> tuple[str, str]:
    from archive.extract import EXTRACTOR_VERSION
    from archive.report import PARSER_VERSION

    return EXTRACTOR_VERSION, PARSER_VERSION


def extract_blob(db_path: str, sha256: str, name: str) -> dict:
    """Worker: read one blob (read-only), extract and parse it; a dict of plain values."""
    db = open_db(db_path, readonly=True)
    try:
        refusal = too_large(db, sha256)
        if refusal:
            return refusal
        data = db.execute("SELECT content FROM blobs WHERE sha256 = ?", [sha256]).fetchone()[0]
    finally:
        db.conn.close()
    return extract_bytes(data, sha256, name)


def too_large(db, sha256: str) -> dict | None:
    """The result for a blob over the input limit, refused before its bytes are read."""
    from archive.extract import Limits

    size = db.execute("SELECT size FROM blobs WHERE sha256 = ?", [sha256]).fetchone()[0]
    limit = Limits().max_input_bytes
    if size > limit:
        return _result(Document(status="too_large", format="",
                                reason=f"{size} bytes > limit {limit}"), None)
    return None


def extract_bytes(data: bytes, sha256: str, name: str) -> dict:
    """Extract and parse one blob's bytes: the result as a dict of plain values (pure)."""
    from archive.extract import extract
    from archive.report import parse_document

    doc = extract(data, name=name)
    record = parse_document(doc, path=name, sha256=sha256) if doc.usable else None
    return _result(doc, record)


def severity(rule: str) -> str:
    """``soft`` for the ``W-`` warnings, ``hard`` for the template's identities."""
    return "soft" if rule.startswith("W-") else "hard"


def check_counts(checks: list[dict]) -> dict[str, int]:
    """The three kinds of failing check apart, from the record's JSON checks.

    >>> check_counts([{"rule": "T3-BAL", "status": "source_anomaly"},
    ...               {"rule": "W-TEXT-T3", "status": "failed"}, {"rule": "DOM", "status": "ok"}])
    {'hard_checks_failed': 0, 'source_anomalies': 1, 'soft_checks_failed': 1}
    """
    kinds = [(severity(c["rule"]), c["status"]) for c in checks]
    return {"hard_checks_failed": kinds.count(("hard", "failed")),
            "source_anomalies": kinds.count(("hard", "source_anomaly")),
            "soft_checks_failed": kinds.count(("soft", "failed"))}


def _result(doc: Document, record) -> dict:
    status = getattr(doc.status, "value", doc.status)
    result = {
        "status": status, "reason": doc.reason, "format": doc.format, "pages": len(doc.pages),
        "page_methods": json.dumps([p.method.value for p in doc.pages]),
        "text": doc.text, "tables": json.dumps([t.grid() for t in doc.tables], ensure_ascii=False),
        "record": None, "template": None, "cells_found": 0, "cells": None,
        **dict.fromkeys(CHECK_COUNT_COLUMNS, 0),
    }
    if record is not None:
        record_json = record.to_json_dict()
        result.update(
            record=json.dumps(record_json, ensure_ascii=False),
            template=record.template.value, cells_found=len(record.cells),
            **check_counts(record_json["checks"]),
            cells=json.dumps({key: [cell.raw, getattr(cell.state, "value", cell.state)]
                              for key, cell in record.cells.items()}, ensure_ascii=False),
        )
    return result


def report_candidates(db, *, sites=None, years=None, run_id=None) -> dict[tuple, list[Candidate]]:
    """Candidates per (site, year): bodies and archived attachments of present report posts."""
    where, params = ["p.removed_run IS NULL", "p.report_year IS NOT NULL"], []
    if sites:
        where.append(f"p.site IN ({','.join('?' * len(sites))})")
        params += list(sites)
    if years:
        where.append("p.report_year BETWEEN ? AND ?")
        params += list(years)
    if run_id is not None:
        where.append("p.last_run = ?")
        params.append(run_id)
    groups: dict[tuple, list[Candidate]] = defaultdict(list)
    sql = (f"SELECT p.site, p.post_id, p.report_year, p.body_sha256, p.title, p.publish_date "
           f"FROM posts p WHERE {' AND '.join(where)} "
           f"ORDER BY p.site, length(p.post_id), p.post_id")
    for site, post_id, year, body, title, published in db.execute(sql, params).fetchall():
        post_id, published = str(post_id), published or ""
        if body:
            groups[(site, year)].append(Candidate(site, post_id, body, f"{title}.html", published))
        for sha, name in db.execute(
                "SELECT sha256, name FROM attachments WHERE site = ? AND post_id = ? "
                "AND status = 'ok' AND sha256 IS NOT NULL ORDER BY id", [site, post_id]):
            groups[(site, year)].append(Candidate(site, post_id, sha, name, published))
    return groups


def build_reports(db_path, run_id: int, *, sites=None, years=None, only_run=None,
                  force: bool = False, only_sha256: set[str] | None = None,
                  workers: int = WORKERS, progress=None, redis_url: str | None = None) -> BuildSummary:
    """Extract every candidate not yet extracted by these versions, then choose and write one
    report per (site, year). ``only_run``: only posts seen in that run; ``force``: re-extract;
    ``only_sha256``: (re-)extract just these blobs; ``redis_url``: by the extraction workers
    on that Redis (``archive.distributed.extraction``) when any is alive."""
    db = open_db(db_path)
    extractor_version, parser_version = versions()
    groups = report_candidates(db, sites=sites, years=years, run_id=only_run)
    wanted = {(c.sha256, c.name) for cands in groups.values() for c in cands}
    done = {row[0] for row in db.execute(
        "SELECT sha256 FROM extractions WHERE extractor_version = ? AND parser_version = ?",
        [extractor_version, parser_version])}
    todo = sorted({(sha, name) for sha, name in wanted
                   if (only_sha256 is not None and sha in only_sha256)
                   or (only_sha256 is None and (force or sha not in done))})
    summary = BuildSummary(reused=len({sha for sha, _ in wanted} & done) if not force else 0)
    if todo:
        from archive.progress import progress_reporter

        with progress_reporter("extracting", total=len(todo)) as advance:
            extract_all = _extract_all
            if redis_url:
                from archive.distributed.extraction import queue_extractor

                extract_all = queue_extractor(redis_url) or _extract_all
            extract_all(db, db_path, todo, run_id, summary, workers, progress or advance)
    fresh = {sha for sha, _ in todo}
    built = {(site, year) for site, year in db.execute("SELECT site, year FROM reports")}
    for (site, year), candidates in sorted(groups.items()):
        # A report is rewritten when one of its documents was (re-)read, or when it has none
        # yet: an unchanged night rewrites nothing.
        if (site, year) in built and not any(c.sha256 in fresh for c in candidates):
            continue
        _write_report(db, site, year, candidates, run_id)
        summary.reports += 1
    db.conn.close()
    return summary


def _extract_all(db, db_path, todo, run_id, summary, workers, progress) -> None:
    """Extract in a pool of worker processes, renewed every ``POOL_BATCH`` documents so that
    no worker grows for ever (``max_tasks_per_child`` can hang on Python 3.11: gh-115634)."""
    from archive.extract.legacy import sweep_profiles

    context = multiprocessing.get_context("spawn")
    for start in range(0, len(todo), POOL_BATCH):
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [(sha, name, pool.submit(extract_blob, str(db_path), sha, name))
                       for sha, name in todo[start:start + POOL_BATCH]]
            for sha, name, future in futures:
                record_result(db, sha, name, _worker_result(future), run_id, summary, progress)
        sweep_profiles()  # what workers killed in this batch left behind


def record_result(db, sha, name, result: dict, run_id, summary: BuildSummary, progress) -> None:
    """Store one extraction result (from a local or a remote worker) and count it."""
    extractor_version, parser_version = versions()
    _store_extraction(db, sha, name, result, run_id, extractor_version, parser_version)
    summary.extracted += 1
    summary.by_status[result["status"]] = summary.by_status.get(result["status"], 0) + 1
    if progress:
        progress(name)


def _worker_result(future) -> dict:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 — a crashed worker is a recorded failure
        return _result(Document(status="converter_failed", format="",
                                reason=f"worker failed: {type(exc).__name__}: {exc}"), None)


def _store_extraction(db, sha, name, result, run_id, extractor_version, parser_version) -> None:
    row = {k: result[k] for k in ("status", "reason", "format", "pages", "page_methods", "text",
                                  "tables", "record", "cells", "template", "cells_found",
                                  *CHECK_COUNT_COLUMNS)}
    row.update(sha256=sha, name=name, extractor_version=extractor_version,
               parser_version=parser_version, run_id=run_id, created_at=utcnow())
    # Same versions again (a forced re-read): update in place, so reports keep their link.
    updates = ", ".join(f"{k} = excluded.{k}" for k in row)
    unit_of_work(db, lambda: db.execute(
        f"INSERT INTO extractions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) "
        f"ON CONFLICT (sha256, extractor_version, parser_version) DO UPDATE SET {updates}",
        list(row.values())))


def _best_extraction(db, candidates: list[Candidate]):
    """The candidate whose extraction found most cells, then fewest failing hard checks
    (failed or source anomaly)."""
    extractor_version, parser_version = versions()
    scored = []
    newest_first = {recency: rank for rank, recency in
                    enumerate(sorted({c.recency for c in candidates}, reverse=True))}
    for order, cand in enumerate(candidates):
        row = db.execute(
            "SELECT id, cells_found, hard_checks_failed + source_anomalies, status, record, cells "
            "FROM extractions "
            "WHERE sha256 = ? AND extractor_version = ? AND parser_version = ?",
            [cand.sha256, extractor_version, parser_version]).fetchone()
        if row:
            scored.append(((-(row[1] or 0), row[2] or 0, newest_first[cand.recency], order),
                           cand, row))
    return min(scored, key=lambda s: s[0]) if scored else None


def _write_report(db, site: str, year: int, candidates: list[Candidate], run_id: int) -> None:
    best = _best_extraction(db, candidates)
    if best is None:
        return
    _, cand, (extraction_id, cells_found, hard_failing, status, record_json, cells_json) = best
    record = json.loads(record_json) if record_json else {}
    raw = json.loads(cells_json) if cells_json else {}
    because = (f"{cells_found} cells, {hard_failing} failing hard checks (extraction {status}); "
               f"best of {len(candidates)} document(s) of the year")
    post_title = db.execute("SELECT title FROM posts WHERE site = ? AND post_id = ?",
                            [site, cand.post_id]).fetchone()[0]
    row = {"site": site, "year": year, "agency": record.get("agency"),
           "title": record.get("title") or post_title, "post_id": cand.post_id,
           "extraction_id": extraction_id, "source_sha256": cand.sha256, "source_name": cand.name,
           "chosen_because": because, "template": record.get("template", "unknown"),
           "cells_found": len(record.get("cells", {})),
           "cells_missing": len(record.get("missing", [])),
           **check_counts(record.get("checks", [])), "run_id": run_id, "updated_at": utcnow()}
    unit_of_work(db, lambda: _replace_report(db, row, record, raw))


def _replace_report(db, row: dict, record: dict, raw: dict) -> None:
    known = db.execute("SELECT id FROM reports WHERE site = ? AND year = ?",
                       [row["site"], row["year"]]).fetchone()
    if known:
        report_id = known[0]
        db["reports"].update(report_id, row)
        for table in ("report_cells", "report_checks", "report_sections"):
            db.execute(f"DELETE FROM {table} WHERE report_id = ?", [report_id])
    else:
        report_id = db["reports"].insert(row).last_pk
    db["report_cells"].insert_all(
        ({"report_id": report_id, "key": key, "table_name": key.split(".")[0],
          "row_key": key.split(".")[1], "col_key": key.split(".")[2], "value": value,
          "raw": raw.get(key, ["", ""])[0], "state": raw.get(key, ["", "value"])[1]}
         for key, value in record.get("cells", {}).items()), batch_size=500)
    db["report_checks"].insert_all(
        ({"report_id": report_id, "rule": c["rule"], "scope": c["scope"], "status": c["status"],
          "severity": severity(c["rule"]),
          "detail": c.get("detail")} for c in record.get("checks", [])), batch_size=500)
    sections = record.get("sections", {})
    db["report_sections"].insert_all(
        ({"report_id": report_id, "number": n, "text": t} for n, t in sections.items()))
    index_report(db, report_id, row["title"], "\n".join(sections.values()), row["site"],
                 row["year"])
