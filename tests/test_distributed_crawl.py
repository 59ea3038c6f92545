"""Distributed crawls of the simulated portal: a real redis-server, `gkarchive crawl --redis`
as the one writer, `gkarchive worker` processes for crawling and extraction. The archive must
be the single-process crawl's, whatever is killed; politeness must hold across workers."""

from __future__ import annotations

import sqlite3
import statistics
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis

from tests.crawl_support import FAST, GKARCHIVE, PORTAL_SITES, REPO, archived, crawl, expected_archive
from tests.portal import Portal
from tests.redis_support import RedisServer, kill_tree
from tests.test_crawl_where import without_columns

HOST_DELAY = 0.1  # seconds between the starts of two requests to one host, across all workers
DISTRIBUTED = [*FAST, "--delay", str(HOST_DELAY), "--set", "GKARCHIVE_LEASE_SECONDS=3"]
# The portal's sites with their report columns and the title search, and other towns'
# reports in the shared columns (unassigned): the deferral of column and search entries until
# every list of a site is read is shared by the workers.
SITES = PORTAL_SITES
COLUMNS = {"portal_columns"}


def writer_command(portal, server, db, *args: str, sites: Path = SITES) -> list[str]:
    return [*GKARCHIVE, "crawl", "--sites", str(sites), "--db", str(db), "--proxy",
            portal.url, "--log-level", "WARNING", *DISTRIBUTED, "--redis", server.url, *args]


def start_worker(server, log, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*GKARCHIVE, "worker", "--redis", server.url, "--log-level", "WARNING",
                             *args], cwd=REPO, stdout=log, stderr=subprocess.STDOUT)


def archive_rows(db) -> dict:
    """What must not depend on how the crawl was run: posts, attachments, errors, blobs and
    the report cells."""
    got = archived(db)
    with sqlite3.connect(db) as conn:
        blobs = {sha for (sha,) in conn.execute("SELECT sha256 FROM blobs")}
        cells = set(conn.execute("SELECT r.site, r.year, r.source_sha256, c.key, c.value "
                                 "FROM report_cells c JOIN reports r ON r.id = c.report_id"))
        runs = conn.execute("SELECT status FROM runs").fetchall()
        unassigned = set(conn.execute("SELECT url, title, year, body, column_url "
                                      "FROM unassigned_reports"))
        # the health's rows: per run and site, the shape (shells read, posts listed), alarms
        site_runs = set(conn.execute(
            "SELECT run_id, site, full_listing, status, reports, new_reports, errors, listed, "
            "shells, alarms FROM site_runs"))
    return {"posts": got.posts, "attachments": got.attachments, "errors": got.errors,
            "blobs": blobs, "cells": cells, "runs": runs, "unassigned": unassigned,
            "site_runs": site_runs}


def assert_one_request_at_a_time_per_host(requests, delay: float) -> int:
    """No two requests to one host overlap at the portal, and they start ``delay`` apart
    (Scrapy's delay: start to start); returns how many requests were checked.

    The delay holds where the host lock is taken, in the worker; the portal sees each request
    after the proxy hop and, on a new connection, the TLS handshake, which on a loaded machine
    take some ms more or less from one request to the next (under load up to a quarter of a
    0.1 s delay was seen, and once more than half). So the median gap must be the delay, and
    no gap under a quarter of it (without the delay, gaps are a request's few ms)."""
    by_host = defaultdict(list)
    for rec in requests:
        if rec.method != "CONNECT" and rec.started:
            by_host[urlsplit(rec.url).hostname].append(rec)
    gaps = []
    for host, recs in by_host.items():
        recs.sort(key=lambda r: r.started)
        for before, after in zip(recs, recs[1:]):
            assert after.started >= before.time, f"overlap on {host}: {before} and {after}"
            gaps.append(after.started - before.started)
    assert statistics.median(gaps) >= delay
    close = sorted(gap for gap in gaps if gap < 0.25 * delay)
    assert not close, f"{len(close)} of {len(gaps)} gaps below a quarter of the delay: {close[:5]}"
    return sum(len(recs) for recs in by_host.values())


def wait_for_lease_of(server, *workers: subprocess.Popen,
                      deadline_s: float = 120) -> subprocess.Popen:
    """Until one of ``workers`` holds a lease on a request (it is mid-request); that worker."""
    conn = redis.Redis.from_url(server.url)
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        for key in conn.scan_iter(match="gkarchive:run:*:lease_meta"):
            owners = conn.hvals(key)
            for worker in workers:
                if any(f".{worker.pid}.".encode() in owner for owner in owners):
                    return worker
        time.sleep(0.02)
    raise AssertionError("no worker ever leased a request")


@pytest.fixture(scope="module")
def single_process(tmp_path_factory):
    """The reference: today's single-process crawl with extraction."""
    db = tmp_path_factory.mktemp("single") / "archive.db"
    with Portal(faults=COLUMNS) as portal:
        result = crawl(portal.url, db, "--sites", str(SITES), extract=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return archive_rows(db)


def test_two_crawl_and_two_extraction_workers_one_killed_give_the_single_process_archive(
        single_process, tmp_path):
    db = tmp_path / "archive.db"
    logs = [open(tmp_path / f"worker{n}.log", "w") for n in range(4)]
    with Portal(faults=COLUMNS) as portal, RedisServer(tmp_path / "redis") as server:
        crawlers = [start_worker(server, logs[0]), start_worker(server, logs[1])]
        extractors = [start_worker(server, logs[n], "--extract") for n in (2, 3)]
        workers = [*crawlers, *extractors]
        try:
            writer = subprocess.Popen(writer_command(portal, server, db), cwd=REPO,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # the first crawl worker caught mid-request is killed (under load one worker may
            # still be starting when the other has taken every request), and replaced as
            # systemd's Restart=always would: two workers share the rest of the run (a site's
            # lists and its deferred column and search entries taken by different workers)
            killed = wait_for_lease_of(server, *crawlers)
            kill_tree(killed)
            workers.append(start_worker(server, logs[crawlers.index(killed)]))
            out, err = writer.communicate(timeout=400)
        finally:
            for worker in workers:
                kill_tree(worker)
        requests = portal.requests
        truth = portal.expected()
        others = portal.unassigned()
    assert writer.returncode == 0, err[-3000:]
    assert "requeued" in err, "the killed worker held no lease when it died"
    assert "no extraction worker" not in err
    distributed = archive_rows(db)
    want_posts, want_attachments, want_errors = expected_archive(truth)
    assert distributed["posts"] == want_posts
    assert distributed["attachments"] == want_attachments
    assert distributed["errors"] == want_errors
    assert {(u, t, y) for u, t, y, _, _ in distributed["unassigned"]} == {
        (e.url, e.title, e.year) for e in others} and others
    assert distributed == single_process
    assert assert_one_request_at_a_time_per_host(requests, HOST_DELAY) > 50


def test_the_writer_killed_mid_run_resumes_on_restart(tmp_path):
    db = tmp_path / "archive.db"
    log = open(tmp_path / "worker.log", "w")
    with Portal() as portal, RedisServer(tmp_path / "redis") as server:
        workers = [start_worker(server, log), start_worker(server, log)]
        try:
            first = subprocess.Popen(writer_command(portal, server, db, "--no-extract"), cwd=REPO,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            while sum(1 for r in portal.requests if "/attachment/" in r.url) < 3:
                assert first.poll() is None, first.communicate()[1][-3000:]
                time.sleep(0.02)
            kill_tree(first)
            second = subprocess.run(writer_command(portal, server, db, "--no-extract"), cwd=REPO,
                                    capture_output=True, text=True, timeout=600)
            blobs = len(archive_rows(db)["blobs"])
            nightly = subprocess.run(writer_command(portal, server, db, "--no-extract"), cwd=REPO,
                                     capture_output=True, text=True, timeout=600)
        finally:
            for worker in workers:
                kill_tree(worker)
        truth = portal.expected()
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming run 1" in second.stderr
    rows = archive_rows(db)
    want_posts, want_attachments, want_errors = expected_archive(truth)
    assert (rows["posts"], rows["attachments"], rows["errors"]) == (
        want_posts, want_attachments, want_errors)
    assert rows["runs"] == [("finished",), ("finished",)]
    # The nightly logic, with what the archive knows handed over through Redis: the unchanged
    # posts are not fetched again, so nothing but lists, report columns (and robots.txt) is;
    # no search (not a first crawl), no detail page (not even of a column entry naming no
    # body: the earlier run's decision is known).
    assert nightly.returncode == 0, nightly.stderr[-3000:]
    assert len(rows["blobs"]) == blobs
    with sqlite3.connect(db) as conn:
        kinds = {k for (k,) in conn.execute("SELECT DISTINCT kind FROM fetches WHERE run_id = 2")}
        touched = conn.execute("SELECT count(*) FROM posts WHERE last_run = 2").fetchone()[0]
    assert kinds <= {"entry", "shell", "list", "column", "robots"}, kinds
    assert touched == len(want_posts)
    # the health rows of the nightly: every site listed with its shells read, no alarm
    site_runs = archive_rows(db)["site_runs"]
    nightly_rows = {row[1]: row for row in site_runs if row[0] == 2}
    assert set(nightly_rows) == {row[1] for row in site_runs if row[0] == 1} and nightly_rows
    for run_id, site, full, status, reports, new, errors, listed, shells, alarms in \
            nightly_rows.values():
        assert (full, status, new, errors, alarms) == (1, "ok", 0, 0, "[]"), site
        assert listed > 0 and shells > 0 and reports > 0, site


def test_redis_restarting_is_survived_with_its_data_and_reported_without(tmp_path):
    log = open(tmp_path / "worker.log", "w")
    with Portal(faults={"slow"}) as portal, RedisServer(tmp_path / "redis") as server:
        workers = [start_worker(server, log), start_worker(server, log)]
        try:
            kept = subprocess.Popen(writer_command(portal, server, tmp_path / "kept.db",
                                                   "--no-extract"), cwd=REPO,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_for_lease_of(server, *workers)
            server.restart()  # same folder: the append-only file brings everything back
            _, err = kept.communicate(timeout=600)
            assert kept.returncode == 0, err[-3000:]
            want_posts, _, _ = expected_archive(portal.expected())
            assert archived(tmp_path / "kept.db").posts == want_posts
            lost = subprocess.Popen(writer_command(portal, server, tmp_path / "lost.db",
                                                   "--no-extract"), cwd=REPO,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_for_lease_of(server, *workers)
            server.stop()
            empty = RedisServer(tmp_path / "empty", port=server.port).start()
            _, err = lost.communicate(timeout=600)
            empty.stop()
        finally:
            for worker in workers:
                kill_tree(worker)
    assert lost.returncode == 2
    assert "Redis no longer has the run's state" in err
    with sqlite3.connect(tmp_path / "lost.db") as conn:
        status, reason = conn.execute("SELECT status, finish_reason FROM runs").fetchone()
    assert status == "failed" and "RunLost" in reason


def test_a_nightly_run_keeps_the_posts_below_the_list_window(tmp_path):
    """As one process (``fully_listed_sites``): a known post older than anything the site's
    list window shows is not removed, though no list of the nightly run showed it (nor a
    report column: without them, the search of the first crawl is the only way to them)."""
    db, sites = tmp_path / "archive.db", without_columns(tmp_path)
    log = open(tmp_path / "worker.log", "w")
    with Portal(faults={"list_window"}) as portal, RedisServer(tmp_path / "redis") as server:
        worker = start_worker(server, log)
        try:
            runs = [subprocess.run(writer_command(portal, server, db, "--no-extract", sites=sites),
                                   cwd=REPO, capture_output=True, text=True, timeout=600)
                    for _ in (1, 2)]
        finally:
            kill_tree(worker)
        truth = portal.expected()
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr[-3000:]
    assert archived(db).posts == expected_archive(truth)[0]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM fetches WHERE kind = 'search' AND run_id = 2"
                            ).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM posts WHERE removed_run IS NOT NULL"
                            ).fetchone() == (0,)
