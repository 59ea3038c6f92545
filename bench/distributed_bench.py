"""Distributed benchmark: crawls with 1, 2 and 4 crawl workers against the politeness ideal,
and OCR of N scanned PDFs with 1 and 2 extraction workers. A real redis-server on a free
loopback port, the simulated portal in this process, every gkarchive part a subprocess.

The politeness ideal: with one request at a time per host and ``delay`` s between the end of
one and the start of the next, no crawl of these requests, with any number of workers, ends
sooner than its busiest host allows: ``max over hosts of n_host × (delay + service time)``
(median service time per host from the portal's own log). The ideal rate is the requests
over that time.

Example::

    .venv/bin/python -m bench --only distributed --out /tmp/bench.md
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.bigportal import grow
from tests.crawl_support import PORTAL_SITES
from tests.portal import Portal
from tests.redis_support import RedisServer, kill_tree

REPO = Path(__file__).resolve().parents[1]
GKARCHIVE = [sys.executable, "-m", "archive.cli"]
FAST = ["--set", "GKARCHIVE_RETRY_BASE=0.05", "--set", "GKARCHIVE_RETRY_CAP=1",
        "--set", "DOWNLOAD_TIMEOUT=30"]
SCAN = REPO / "tests" / "fixtures" / "documents" / "dg-qingxi-2021-scan.pdf"


@dataclass
class CrawlPoint:
    workers: int  # 0: today's single-process crawl
    requests: int
    seconds: float  # first request to last, at the portal
    ideal_per_second: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def _crawl_once(scratch: Path, workers: int, delay: float, news: int, reports: int) -> CrawlPoint:
    db = scratch / f"crawl-{workers}.db"
    with Portal() as portal:
        grow(portal, news, reports)
        command = [*GKARCHIVE, "crawl", "--sites", str(PORTAL_SITES), "--db", str(db),
                   "--proxy", portal.url, "--log-level", "WARNING", "--delay", str(delay),
                   "--no-extract", *FAST]
        if workers == 0:
            done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        else:
            with RedisServer(scratch / f"redis-{workers}") as server:
                procs = [subprocess.Popen([*GKARCHIVE, "worker", "--redis", server.url,
                                           "--log-level", "WARNING"], cwd=REPO,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                         for _ in range(workers)]
                try:
                    done = subprocess.run([*command, "--redis", server.url], cwd=REPO,
                                          capture_output=True, text=True)
                finally:
                    for proc in procs:
                        kill_tree(proc)
        if done.returncode != 0:
            raise RuntimeError(f"crawl with {workers} workers failed: {done.stderr[-2000:]}")
        return _measure(portal.requests, workers, delay)


def _measure(requests, workers: int, delay: float) -> CrawlPoint:
    timed = [r for r in requests if r.method != "CONNECT" and r.started]
    service = defaultdict(list)
    for rec in timed:
        service[urlsplit(rec.url).hostname].append(rec.time - rec.started)
    fastest = max(len(times) * (delay + statistics.median(times)) for times in service.values())
    seconds = max(r.time for r in timed) - min(r.started for r in timed)
    return CrawlPoint(workers, len(timed), seconds, len(timed) / fastest)


def crawl_points(scratch: Path, delay: float = 0.2, news: int = 300,
                 reports: int = 6) -> list[CrawlPoint]:
    return [_crawl_once(scratch, n, delay, news, reports) for n in (0, 1, 2, 4)]


def _scanned_archive(scratch: Path, scans: int) -> Path:
    """An archive (not extracted) of dg-zjj plus ``scans`` reports, each a unique scanned PDF."""
    db = scratch / "scans.db"
    data = SCAN.read_bytes()
    with Portal() as portal:
        for n in range(scans):
            portal.add_report("dg-zjj", f"住房和城乡建设局{2010 + n}年政府信息公开工作年度报告",
                              2010 + n, attachments=[(f"scan-{n}.pdf",
                                                      data + f"\n% bench {n}\n".encode())])
        done = subprocess.run([*GKARCHIVE, "crawl", "--sites", str(PORTAL_SITES), "--db", str(db),
                               "--site", "dg-zjj", "--proxy", portal.url, "--delay", "0",
                               "--no-extract", "--log-level", "WARNING", *FAST], cwd=REPO,
                              capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"crawl of the scans failed: {done.stderr[-2000:]}")
    return db


def ocr_seconds(scratch: Path, scans: int = 6) -> dict[int, float]:
    """Seconds of ``reextract --missing --redis`` over the scans archive, per worker count."""
    source = _scanned_archive(scratch, scans)
    seconds = {}
    for workers in (1, 2):
        db = scratch / f"scans-{workers}.db"
        shutil.copy(source, db)
        with RedisServer(scratch / f"redis-ocr-{workers}") as server:
            procs = [subprocess.Popen([*GKARCHIVE, "worker", "--extract", "--redis", server.url],
                                      cwd=REPO, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL) for _ in range(workers)]
            try:
                _wait_for_extract_workers(server.url, workers)
                start = time.perf_counter()
                done = subprocess.run([*GKARCHIVE, "reextract", "--missing", "--db", str(db),
                                       "--redis", server.url], cwd=REPO, capture_output=True,
                                      text=True)
                seconds[workers] = time.perf_counter() - start
            finally:
                for proc in procs:
                    kill_tree(proc)
        if done.returncode != 0 or "no extraction worker" in done.stderr:
            raise RuntimeError(f"OCR with {workers} workers failed: {done.stderr[-2000:]}")
    return seconds


def _wait_for_extract_workers(url: str, count: int) -> None:
    import redis

    from archive.distributed.extraction import live_workers

    conn = redis.Redis.from_url(url)
    deadline = time.monotonic() + 120
    while len(live_workers(conn)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("extraction workers did not come up")
        time.sleep(0.2)
