"""Distributed benchmark: crawls of the simulated province (``tests/portal/province.py``
through ``bench/province.py``) by the single process and by 1, 2 and 4 crawl workers, against
the politeness ideal; OCR of N scanned PDFs with 1 and 2 extraction workers. A real
redis-server on a free loopback port, every gkarchive part a subprocess on this machine.

The politeness ideal: one request at a time per host, and ``delay`` s between the starts of two
requests to a host (Scrapy's rule, and the workers'): no crawl of these requests, with any
number of workers, is shorter than its busiest host's ``(n - 1) × delay``. Measured from the
archive's fetch rows (start = fetched_at − elapsed): the crawl's span from the first request's
start to the last response, and CPU seconds of every process (writer, workers, Redis, portal),
so that a run on a loaded machine still says what it cost.

Example::

    .venv/bin/python -m bench --only distributed --out /tmp/bench.md
    points = crawl_points(Path("/tmp/b"), sites=60, hosts=12)
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from bench.province_bench import LATENCY, REAL_DELAY, SCALE, crawl_command, start_province_portal
from tests.crawl_support import PORTAL_SITES
from tests.portal import Portal
from tests.redis_support import RedisServer, kill_tree

REPO = Path(__file__).resolve().parents[1]
GKARCHIVE = [sys.executable, "-m", "archive.cli"]
FAST = ["--set", "GKARCHIVE_RETRY_BASE=0.05", "--set", "GKARCHIVE_RETRY_CAP=1",
        "--set", "DOWNLOAD_TIMEOUT=30"]
SCAN = REPO / "tests" / "fixtures" / "documents" / "dg-qingxi-2021-scan.pdf"
SITES, HOSTS = 100, 20  # a third of the province (300 / 60): the same shape, a third the time
WORKERS = (0, 1, 2, 4)  # 0: today's single-process crawl


@dataclass
class CrawlPoint:
    workers: int  # 0: today's single-process crawl
    requests: int
    seconds: float  # first request's start to the last response
    busiest: int  # requests of the busiest host
    delay: float
    cpu: dict  # CPU seconds: writer (the crawl process), workers, redis, portal
    load: float = 0.0  # the machine's 1-minute load average at the end

    @property
    def ideal_seconds(self) -> float:
        return (self.busiest - 1) * self.delay

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def ideal_per_second(self) -> float:
        return self.requests / self.ideal_seconds

    @property
    def of_ideal(self) -> float:
        return self.ideal_seconds / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * sum(self.cpu.values()) / self.requests


def measure(fetches, workers: int, delay: float, cpu: dict | None = None) -> CrawlPoint:
    """A crawl point from (url, fetched_at ISO, elapsed ms) rows of one run."""
    starts, ends, per_host = [], [], defaultdict(int)
    for url, fetched_at, elapsed_ms in fetches:
        end = datetime.fromisoformat(fetched_at).timestamp()
        starts.append(end - (elapsed_ms or 0) / 1000)
        ends.append(end)
        per_host[urlsplit(url).hostname] += 1
    return CrawlPoint(workers, len(ends), max(ends) - min(starts), max(per_host.values()), delay,
                      cpu or {}, os.getloadavg()[0])


def _cpu_seconds(pid: int, children: bool = False) -> float:
    """utime + stime of a process (and of its children it waited for), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _serving_children(pid: int) -> list[int]:
    """The children of a crawl worker that serve a run (not multiprocessing's resource
    tracker, which lives as long as the worker)."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
                if b"resource_tracker" not in cmdline:
                    found.append(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def _worker_cpu(worker: subprocess.Popen, timeout: float = 60) -> float:
    """A crawl worker's CPU once the child that served the run has ended (the worker waits
    for it, so its time is in the worker's children's time)."""
    deadline = time.monotonic() + timeout
    while _serving_children(worker.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _cpu_seconds(worker.pid, children=True)


def crawl_once(scratch: Path, workers: int, sites: int, hosts: int, delay: float) -> CrawlPoint:
    """One first crawl of a fresh province (sites file, archive) with ``workers`` workers."""
    tag = f"{workers}w"
    sites_file, db = scratch / f"province-{tag}.toml", scratch / f"province-{tag}.db"
    portal, proxy = start_province_portal(sites, hosts, sites_file)
    portal_before = _cpu_seconds(portal.pid)
    cpu = {}
    try:
        command = [*crawl_command(sites_file, db, proxy, delay), "--set", "DOWNLOAD_TIMEOUT=30"]
        before = _children_cpu()
        if workers == 0:
            done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
            cpu["writer"] = _children_cpu() - before
        else:
            with RedisServer(scratch / f"redis-{tag}", appendfsync="everysec") as server:
                procs = [subprocess.Popen([*GKARCHIVE, "worker", "--redis", server.url,
                                           "--log-level", "WARNING"], cwd=REPO,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                         for _ in range(workers)]
                try:
                    redis_before = _cpu_seconds(server.process.pid)
                    done = subprocess.run([*command, "--redis", server.url], cwd=REPO,
                                          capture_output=True, text=True)
                    cpu["writer"] = _children_cpu() - before
                    cpu["workers"] = sum(_worker_cpu(proc) for proc in procs)
                    cpu["redis"] = _cpu_seconds(server.process.pid) - redis_before
                finally:
                    for proc in procs:
                        kill_tree(proc)
        cpu["portal"] = _cpu_seconds(portal.pid) - portal_before
    finally:
        portal.terminate()
        portal.wait(timeout=30)
    if done.returncode not in (0, 1):  # 1: the province's own faults (errors recorded)
        raise RuntimeError(f"crawl with {workers} workers failed: {done.stderr[-2000:]}")
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT url, fetched_at, elapsed_ms FROM fetches").fetchall()
    return measure(rows, workers, delay, cpu)


def crawl_points(scratch: Path, sites: int = SITES, hosts: int = HOSTS,
                 delay: float = REAL_DELAY / SCALE) -> list[CrawlPoint]:
    return [crawl_once(scratch, n, sites, hosts, delay) for n in WORKERS]


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


def distributed_section(scratch: Path, args):
    """The ``docs/benchmarks.md`` section (``python -m bench --only distributed``)."""
    from bench.report import Section, Target

    points = crawl_points(scratch)
    ocr = ocr_seconds(scratch, scans=6)
    delay = points[0].delay
    body = [
        f"Crawl: the simulated province (`tests/portal/province.py` through `bench/province.py`) "
        f"cut to {SITES} sites on {HOSTS} hosts (a third of the 300 / 60 of *A simulated "
        "province*, same shape: one host holds 5 % of the sites, lists of 40–2,500 posts, 1–4 "
        f"reports a site, {LATENCY[0] * 1000:.0f}–{LATENCY[1] * 1000:.0f} ms latency), a fresh "
        f"archive each time, `--delay {delay:g}` (the real {REAL_DELAY:g} s scaled by {SCALE}), "
        "`--no-extract`; redis-server on loopback (`appendfsync everysec`), every worker on "
        "this machine. Seconds from the first request's start to the last response, from the "
        "archive's fetch rows. The ideal is the politeness bound: one request at a time per "
        "host and the delay between two starts, so no crawl is shorter than its busiest host's "
        "(n − 1) × delay; *of ideal* = ideal seconds / seconds. CPU: seconds of every process of "
        "the run (the crawl process — the writer in distributed runs —, the workers, Redis, the "
        "portal), per request.",
        "",
        "| crawl | requests | busiest host | ideal s | seconds | requests/s | ideal/s | of ideal "
        "| CPU s writer / workers / redis / portal | CPU ms per request | load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for p in points:
        name = "single process (no Redis)" if p.workers == 0 else f"{p.workers} crawl worker(s)"
        cpu = " / ".join(f"{p.cpu.get(k, 0):.0f}" if k in p.cpu else "–"
                         for k in ("writer", "workers", "redis", "portal"))
        body.append(f"| {name} | {p.requests} | {p.busiest} | {p.ideal_seconds:.0f} | "
                    f"{p.seconds:.0f} | {p.per_second:.1f} | {p.ideal_per_second:.1f} | "
                    f"**{p.of_ideal:.0%}** | {cpu} | {p.cpu_ms_per_request:.0f} | {p.load:.1f} |")
    body += ["", f"OCR: 6 scanned PDFs (unique copies of `dg-qingxi-2021-scan.pdf`) plus dg-zjj's "
             "own 3 reports, `gkarchive reextract --missing --redis` with extraction workers: "
             f"1 worker {ocr[1]:.0f} s, 2 workers {ocr[2]:.0f} s "
             f"({ocr[1] / ocr[2]:.2f}× on this 2-core machine)."]
    single = points[0]
    distributed = [p for p in points if p.workers]
    best = max(distributed, key=lambda p: p.per_second)
    targets = [
        Target("distributed: every crawl-worker count ≥ 80% of the politeness ideal",
               ", ".join(f"{p.workers}: {p.of_ideal:.0%}" for p in distributed),
               all(p.of_ideal >= 0.8 for p in distributed)),
        Target("distributed: 2 extraction workers faster than 1", f"{ocr[1] / ocr[2]:.2f}×",
               ocr[2] < ocr[1]),
        Target("distributed: crawl workers within 10% of the single process",
               f"best {best.per_second:.1f} vs {single.per_second:.1f} requests/s",
               best.per_second >= 0.9 * single.per_second)]
    return Section("Distributed crawl and extraction (Redis)",
                   "`python -m bench --only distributed`", body, targets)
