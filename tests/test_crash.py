"""Crash safety: ``gkarchive crawl`` killed with SIGKILL (with its extraction workers) at
several points, then run again, leaves the archive an uninterrupted crawl leaves: the same
posts, attachments (names and sha256) and reports, no partial rows, no run left 'running',
``PRAGMA integrity_check`` ok and ``gkarchive verify`` clean. And the run lock: a second crawl
of the same archive is refused while the first runs, and a killed run does not hold it.

Kills hit dg-fenggang served ``slow`` (every answer 0.3–1.5 s late) and ``slow_drip``
(attachments dribble for seconds), so each moment is wide; reruns use the plain portal.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.crawl_support import FAST, GKARCHIVE, PORTAL_SITES, REPO, archived

SITE = "dg-fenggang"
# (stage, SQL count over the new run's rows that must reach 1 before the kill), in crawl order.
KILL_POINTS = [
    ("paging the lists", "SELECT count(*) FROM fetches WHERE kind = 'list' AND run_id = {run}"),
    ("fetching detail pages", "SELECT count(*) FROM fetches WHERE kind = 'detail' AND run_id = {run}"),
    ("downloading attachments", "SELECT count(*) FROM fetches WHERE kind = 'attachment' AND run_id = {run}"),
    ("amid the writes", "SELECT count(*) >= 6 FROM fetches WHERE run_id = {run}"),
]
REPORT_COLUMNS = ("site, year, post_id, source_sha256, source_name, template, cells_found, "
                  "cells_missing, hard_checks_failed, source_anomalies, soft_checks_failed")


def crawl_command(portal_url: str, db: Path) -> list[str]:
    return [*GKARCHIVE, "crawl", "--sites", str(PORTAL_SITES), "--db", str(db), "--site", SITE,
            "--proxy", portal_url, "--log-level", "WARNING", *FAST]


def start_crawl(portal_url: str, db: Path) -> subprocess.Popen:
    # A session of its own: the kill takes the extraction workers too, like a machine crash.
    return subprocess.Popen(crawl_command(portal_url, db), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def run_crawl(portal_url: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(crawl_command(portal_url, db), cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql).fetchone()[0] or 0
    except sqlite3.OperationalError:  # not migrated yet
        return 0
    finally:
        conn.close()


def kill_when(proc: subprocess.Popen, db: Path, sql: str, timeout: float = 60) -> None:
    """SIGKILL the crawl's process group as soon as ``sql`` counts at least 1."""
    deadline = time.monotonic() + timeout
    while count(db, sql) < 1:
        assert proc.poll() is None, f"crawl ended before the kill point: {proc.stderr.read()[-2000:]}"
        assert time.monotonic() < deadline, f"never reached: {sql}"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def assert_whole(db: Path, reference: Path) -> None:
    """The archive equals the uninterrupted one and has nothing half-done in it."""
    got, want = archived(db), archived(reference)
    assert (got.posts, got.attachments, got.errors) == (want.posts, want.attachments, want.errors)
    report_sql = f"SELECT {REPORT_COLUMNS} FROM reports ORDER BY site, year"
    assert rows(db, report_sql) == rows(reference, report_sql)
    assert rows(db, "SELECT status, count(*) FROM attachments GROUP BY status") == \
        rows(reference, "SELECT status, count(*) FROM attachments GROUP BY status")
    assert rows(db, "SELECT count(*) FROM runs WHERE status = 'running'") == [(0,)]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    verify = subprocess.run([*GKARCHIVE, "verify", "--db", str(db)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0 and verify.stdout.endswith("verify: clean\n"), verify.stdout


@pytest.fixture(scope="module")
def portals():
    from tests.portal import Portal

    with Portal() as plain, Portal(faults={"slow", "slow_drip"}) as slow:
        yield plain, slow


@pytest.fixture(scope="module")
def reference(portals, tmp_path_factory):
    db = tmp_path_factory.mktemp("reference") / "archive.db"
    result = run_crawl(portals[0].url, db)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(rows(db, "SELECT * FROM reports")) == 5
    return db


def test_killed_at_each_stage_then_rerun_is_whole(portals, reference, tmp_path):
    plain, slow = portals
    db = tmp_path / "archive.db"
    for run, (stage, sql) in enumerate(KILL_POINTS, 1):
        kill_when(start_crawl(slow.url, db), db, sql.format(run=run))
        assert rows(db, "PRAGMA integrity_check") == [("ok",)], stage
    runs = rows(db, "SELECT id, status FROM runs ORDER BY id")
    # Each killed run stays 'running' until a later run holds the lock and marks it.
    assert runs == [(1, "interrupted"), (2, "interrupted"), (3, "interrupted"), (4, "running")]
    assert rows(db, "SELECT count(*) FROM attachments WHERE status = 'pending'")[0][0] > 0
    result = run_crawl(plain.url, db)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_whole(db, reference)
    assert rows(db, "SELECT id, status, finish_reason LIKE 'process died%' FROM runs ORDER BY id") == \
        [(1, "interrupted", 1), (2, "interrupted", 1), (3, "interrupted", 1),
         (4, "interrupted", 1), (5, "finished", 0)]


def test_killed_while_building_reports_then_rerun_is_whole(portals, reference, tmp_path):
    plain, _ = portals
    db = tmp_path / "archive.db"
    proc = start_crawl(plain.url, db)
    kill_when(proc, db, "SELECT count(*) FROM extractions")
    # The crawl itself had finished; the extraction phase was cut short.
    assert rows(db, "SELECT status FROM runs") == [("finished",)]
    assert rows(db, "SELECT count(*) FROM reports")[0][0] < 5
    result = run_crawl(plain.url, db)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_whole(db, reference)


def test_a_second_crawl_is_refused_while_one_runs_and_a_killed_one_frees_the_lock(portals, tmp_path):
    plain, slow = portals
    db = tmp_path / "archive.db"
    first = start_crawl(slow.url, db)
    try:
        while count(db, "SELECT count(*) FROM fetches") < 1:
            assert first.poll() is None
            time.sleep(0.02)
        second = run_crawl(plain.url, db)
        assert second.returncode == 2
        assert "another gkarchive run is using this archive" in second.stderr
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.communicate(timeout=10)
    third = run_crawl(plain.url, db)
    assert third.returncode == 0, third.stderr[-3000:]
    assert rows(db, "SELECT id, status FROM runs ORDER BY id") == [(1, "interrupted"), (2, "finished")]
