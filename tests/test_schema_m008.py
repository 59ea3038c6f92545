"""Migration m008: ``checks_failed`` split into three columns that each count one kind.

The archive is made at the schema before m008 by the project's own writer (runs, sites,
fetches, posts, attachments through :class:`ArchiveWriter`); its extraction and report rows
are the values the writer of that schema stored (``extractions.checks_failed``: hard failed
plus source anomalies; ``reports.checks_failed``: every failed or anomalous check, soft ones
included). Then the remaining migrations run, as ``open_db`` does on the first command after
an upgrade.
"""

from __future__ import annotations

import json
import sqlite3

import sqlite_utils

from archive.db import open_db
from archive.schema import MIGRATIONS
from archive.store import ArchiveWriter, Exchange

CHECKS = [{"rule": "T3-BAL", "scope": "total", "status": "source_anomaly", "detail": "1 ≠ 2"},
          {"rule": "T4-SUM", "scope": "review", "status": "failed", "detail": "3 ≠ 2"},
          {"rule": "T3-ROW", "scope": "granted", "status": "failed", "detail": "1 ≠ 0"},
          {"rule": "W-TEXT-T3", "scope": "new_received", "status": "failed"},
          {"rule": "W-T2-PUB", "scope": "regulations", "status": "ok"},
          {"rule": "DOM", "scope": "t3", "status": "ok"}]


def _old_archive(path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    MIGRATIONS.apply(db, stop_before="m008_check_counts_split")
    writer = ArchiveWriter(db)
    run = writer.start_run("crawl", {})
    writer.upsert_sites([{"slug": "s", "name": "某镇", "region": "某地", "entry_urls": ["http://h/"],
                          "allowed_hosts": ["h"]}], run)
    fetch = writer.record_fetch(Exchange(run_id=run, kind="attachment", method="GET",
                                         url="http://h/a.pdf", request_headers={},
                                         outcome="ok", site="s", status=200, body=b"%PDF-1.4 x"))
    sha = db.execute("select sha256 from fetches where id = ?", [fetch]).fetchone()[0]
    writer.record_post({"site": "s", "post_id": 1, "title": "2020年年报", "url": "http://h/p",
                        "report_year": 2020, "article": "{}", "article_sha256": "a"}, "",
                       [], run)
    record = json.dumps({"checks": CHECKS, "cells": {}, "missing": []})
    extraction = db.execute(
        "insert into extractions (sha256, name, extractor_version, parser_version, status, "
        "record, template, cells_found, checks_failed, created_at) values "
        "(?, 'a.pdf', 'x', 'y', 'ok', ?, '2019', 198, 3, 'now')", [sha, record]).lastrowid
    report = db.execute(
        "insert into reports (site, year, title, post_id, extraction_id, source_sha256, "
        "source_name, chosen_because, template, cells_found, cells_missing, checks_failed, "
        "source_anomalies, run_id, updated_at) values ('s', 2020, 't', 1, ?, ?, 'a.pdf', 'x', "
        "'2019', 198, 0, 4, 1, ?, 'now')", [extraction, sha, run]).lastrowid
    for check in CHECKS:
        db.execute("insert into report_checks values (?, ?, ?, ?, ?, ?)",
                   [report, check["rule"], check["scope"], check["status"],
                    "soft" if check["rule"].startswith("W-") else "hard", check.get("detail")])
    conn.close()


def test_m008_recounts_each_kind_apart_and_drops_the_ambiguous_column(tmp_path):
    path = tmp_path / "old.db"
    _old_archive(path)
    db = open_db(path)
    counts = "hard_checks_failed, source_anomalies, soft_checks_failed"
    assert db.execute(f"select {counts} from reports").fetchone() == (2, 1, 1)
    assert db.execute(f"select {counts} from extractions").fetchone() == (2, 1, 1)
    assert "checks_failed" not in db["reports"].columns_dict
    assert "checks_failed" not in db["extractions"].columns_dict
    assert db.execute("select status from report_overview").fetchone() == ("hard_checks_failed",)
    db.conn.close()


def test_report_overview_status_ranks_the_kinds(tmp_path):
    path = tmp_path / "old.db"
    _old_archive(path)
    db = open_db(path)
    status = lambda: db.execute("select status from report_overview").fetchone()[0]  # noqa: E731
    for hard, anomalies, soft, missing, expected in [
            (0, 1, 1, 0, "source_anomaly"), (0, 0, 1, 3, "incomplete"),
            (0, 0, 1, 0, "soft_checks_failed"), (0, 0, 0, 0, "ok")]:
        db.execute("update reports set hard_checks_failed = ?, source_anomalies = ?, "
                   "soft_checks_failed = ?, cells_missing = ?", [hard, anomalies, soft, missing])
        assert status() == expected
    db.conn.close()
