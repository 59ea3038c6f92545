"""Extraction on RQ workers over a real redis-server: the same extractions and report cells as
the single-process path, and a worker SIGKILLed mid-job loses nothing."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time

import pytest
import redis

from tests.crawl_support import GKARCHIVE, REPO, crawl
from tests.portal import Portal
from tests.redis_support import RedisServer, kill_tree

def extractions(db) -> dict:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT sha256, status, reason, format, pages, page_methods, text, "
                            "tables, record, cells FROM extractions").fetchall()
        cells = conn.execute("SELECT r.site, r.year, r.source_sha256, c.key, c.value, c.raw, "
                             "c.state FROM report_cells c JOIN reports r ON r.id = c.report_id"
                             ).fetchall()
    return {"extractions": sorted(rows), "cells": sorted(cells)}


def start_worker(url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([*GKARCHIVE, "worker", "--extract", "--redis", url, *extra], cwd=REPO,
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_for_workers(url: str, count: int) -> None:
    from archive.distributed.extraction import live_workers

    conn = redis.Redis.from_url(url)
    deadline = time.monotonic() + 60
    while len(live_workers(conn)) < count:
        assert time.monotonic() < deadline, "extraction workers did not come up"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """An archive of dg-qingxi (HTML, DOC, DOCX, PDFs, a scan), not yet extracted."""
    db = tmp_path_factory.mktemp("crawled") / "archive.db"
    with Portal() as portal:
        result = crawl(portal.url, db, "--site", "dg-qingxi")
    assert result.returncode == 0, result.stderr[-3000:]
    local = db.with_name("local.db")
    shutil.copy(db, local)
    done = subprocess.run([*GKARCHIVE, "reextract", "--missing", "--db", str(local)], cwd=REPO,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return db, extractions(local)


def test_two_workers_give_the_single_process_extractions_even_when_one_is_killed(
        crawled, tmp_path):
    source, local = crawled
    db = tmp_path / "archive.db"
    shutil.copy(source, db)
    with RedisServer(tmp_path / "redis") as server:
        victim, other = start_worker(server.url), start_worker(server.url)
        try:
            wait_for_workers(server.url, 2)
            writer = subprocess.Popen([*GKARCHIVE, "reextract", "--missing", "--db", str(db),
                                       "--redis", server.url], cwd=REPO, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
            killed_job = kill_during_job(server.url, victim, writer)
            out, err = writer.communicate(timeout=300)
            assert writer.returncode == 0, err[-3000:]
        finally:
            kill_tree(victim)
            kill_tree(other)
    assert "no extraction worker" not in err
    assert killed_job, "the victim never ran a job"
    assert extractions(db) == local
    assert "died during job" in err, (killed_job, err)  # the kill hit a running job: retried
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM extractions").fetchone()[0] == len(
            local["extractions"])


def kill_during_job(url: str, victim: subprocess.Popen, writer: subprocess.Popen) -> str | None:
    """SIGKILL the victim (worker and horse) while it runs a job; returns that job's name."""
    from rq import Queue
    from rq.job import Job
    from rq.registry import StartedJobRegistry

    from archive.distributed.extraction import QUEUE

    conn = redis.Redis.from_url(url)
    registry = StartedJobRegistry(queue=Queue(QUEUE, connection=conn))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and writer.poll() is None:
        for job_id in registry.get_job_ids(cleanup=False):
            job = Job.fetch(job_id, connection=conn)
            if f".{victim.pid}." in (job.worker_name or ""):
                kill_tree(victim)
                return job.description
        if victim.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def test_no_worker_means_local_extraction_and_a_bad_url_is_a_clear_error(crawled, tmp_path):
    source, local = crawled
    db = tmp_path / "archive.db"
    shutil.copy(source, db)
    bad = subprocess.run([*GKARCHIVE, "reextract", "--missing", "--db", str(db),
                          "--redis", "localhost:6379"], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "--redis wants redis://HOST:PORT/DB" in bad.stderr
    with RedisServer(tmp_path / "redis") as server:
        down = RedisServer(tmp_path / "down")  # a port nobody serves
        refused = subprocess.run([*GKARCHIVE, "worker", "--extract", "--redis", down.url],
                                 cwd=REPO, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2 and "does not answer" in refused.stderr
        alone = subprocess.run([*GKARCHIVE, "reextract", "--missing", "--db", str(db),
                                "--redis", server.url], cwd=REPO, capture_output=True,
                               text=True, timeout=900)
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert "no extraction worker" in alone.stderr
    assert extractions(db) == local
