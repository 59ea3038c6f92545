"""Crawl benchmark: the gkmlpt spider with the full archive pipeline against the bare replay
spider (``bench.bare_spider``) on a larger simulated portal, politeness off; then an unchanged
nightly re-crawl. Peak RSS of the crawl process and of each extraction worker.

Example::

    result = run_crawl_bench(Path("/tmp/bench"), news=3000, reports=60)
    result.ratio, result.crawl_rss_mb, result.nightly_request_fraction
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.machine import median
from bench.procwatch import ProcessWatch

REPO = Path(__file__).resolve().parents[1]
PORTAL_SITES = REPO / "tests" / "portal" / "sites.toml"
CONCURRENCY = {"CONCURRENT_REQUESTS": "16", "CONCURRENT_REQUESTS_PER_DOMAIN": "8"}
# Politeness off, fast retries (the portal is ours, on loopback); the rest as in production.
FAST = {"GKARCHIVE_RETRY_BASE": "0.05", "GKARCHIVE_RETRY_CAP": "1", "DOWNLOAD_TIMEOUT": "30"}
NIGHTLY_KINDS = {"entry", "shell", "list", "robots"}


@dataclass
class CrawlRun:
    requests: int
    bytes: int
    crawl_seconds: float  # spider open → spider close (runs.started_at → finished_at)
    extraction_seconds: float  # spider close → process exit (build_reports in workers)
    total_seconds: float
    kinds: dict[str, int]
    rss_mb: float  # the crawl process (VmHWM)
    worker_rss_mb: list[float] = field(default_factory=list)  # extraction workers
    converter_rss_mb: float = 0.0  # largest converter child (soffice, tesseract, …)
    extracted: int = 0
    reports: int = 0

    @property
    def pages_per_second(self) -> float:
        return self.requests / self.crawl_seconds


@dataclass
class CrawlBench:
    news: int
    reports: int
    first: CrawlRun
    bare_runs: list[dict]
    bare_rss_mb: float
    nightly: CrawlRun
    full: CrawlRun  # gkarchive crawl of the fixture portal: both phases
    scrapy: str
    gkarchive: str

    @property
    def bare_pages_per_second(self) -> float:
        return median([run["requests"] / run["seconds"] for run in self.bare_runs])

    @property
    def ratio(self) -> float:
        return self.first.pages_per_second / self.bare_pages_per_second

    @property
    def nightly_only_lists(self) -> bool:
        return set(self.nightly.kinds) <= NIGHTLY_KINDS


def _settings_args(settings: dict, flag: str = "--set") -> list[str]:
    return [arg for name, value in settings.items() for arg in (flag, f"{name}={value}")]


def crawl_command(db: Path, proxy: str) -> list[str]:
    """``gkarchive crawl``: the crawl, then extraction in worker processes."""
    return [sys.executable, "-m", "archive.cli", "crawl", "--sites", str(PORTAL_SITES),
            "--db", str(db), "--proxy", proxy, "--delay", "0", "--log-level", "WARNING",
            *_settings_args({**CONCURRENCY, **FAST})]


def scrapy_command(db: Path, proxy: str, user_agent: str) -> list[str]:
    """``scrapy crawl gkmlpt``: the same spider, middlewares and archive pipeline, no extraction."""
    settings = {"GKARCHIVE_DB": db, "GKARCHIVE_PROXY": proxy,
                "GKARCHIVE_SITES_FILE": PORTAL_SITES, "USER_AGENT": user_agent,
                "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING",
                **CONCURRENCY, **FAST}
    return [str(Path(sys.executable).with_name("scrapy")), "crawl", "gkmlpt", "-a", "site=all",
            *_settings_args(settings, "-s")]


def start_portal(news: int, reports: int) -> tuple[subprocess.Popen, str]:
    return start_portal_process("bench.bigportal", "--news", str(news), "--reports", str(reports))


def start_portal_process(module: str, *args: str) -> tuple[subprocess.Popen, str]:
    """``python -m module --port 0 args…``; (the process, its proxy URL)."""
    proc = subprocess.Popen([sys.executable, "-m", module, "--port", "0", *args],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("portal listening on "):
        proc.kill()
        raise RuntimeError(f"portal did not start: {line!r}")
    return proc, line.removeprefix("portal listening on ")


def _iso(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def watched(command: list[str], timeout: float = 600):
    """Run ``command`` watching its process tree; (stdout, watch, started, ended) epoch."""
    started = time.time()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    with ProcessWatch(proc.pid) as watch:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise RuntimeError(f"{command[:4]} still running after {timeout:.0f} s") from None
    ended = time.time()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{command[:4]} failed ({proc.returncode}):\n{err[-3000:]}")
    return out, watch, started, ended


def measured_run(command: list[str], db: Path) -> CrawlRun:
    """Run a crawl command, then read what its newest run fetched from the archive."""
    _, watch, started, ended = watched(command)
    conn = sqlite3.connect(db)
    try:
        run_id, run_start, run_end = conn.execute(
            "SELECT id, started_at, finished_at FROM runs ORDER BY id DESC").fetchone()
        kinds = dict(conn.execute("SELECT kind, count(*) FROM fetches WHERE run_id = ? "
                                  "GROUP BY kind", [run_id]))
        requests, size = conn.execute("SELECT count(*), coalesce(sum(size), 0) FROM fetches "
                                      "WHERE run_id = ?", [run_id]).fetchone()
        reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
        extracted = conn.execute("SELECT count(*) FROM extractions").fetchone()[0]
    finally:
        conn.close()
    children = watch.children().values()
    workers = [mb for cmd, mb in children if "spawn_main" in cmd]
    converters = [mb for cmd, mb in children if "python" not in cmd.split(" ")[0]]
    return CrawlRun(requests=requests, bytes=size,
                    crawl_seconds=_iso(run_end) - _iso(run_start),
                    extraction_seconds=ended - _iso(run_end), total_seconds=ended - started,
                    kinds=kinds, rss_mb=watch.peak_mb(watch.root),
                    worker_rss_mb=sorted(workers, reverse=True),
                    converter_rss_mb=max(converters, default=0.0),
                    extracted=extracted, reports=reports)


def bare_replay(db: Path, proxy: str, user_agent: str) -> tuple[dict, float]:
    command = [sys.executable, "-m", "bench.bare_spider", "--db", str(db), "--run", "1",
               "--proxy", proxy, *_settings_args({**CONCURRENCY, "USER_AGENT": user_agent,
                                                  "DOWNLOAD_TIMEOUT": FAST["DOWNLOAD_TIMEOUT"]})]
    out, watch, _, _ = watched(command)
    return json.loads(out.strip().splitlines()[-1]), watch.peak_mb(watch.root)


def _fresh(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    return path


def run_crawl_bench(workdir: Path, news: int = 3000, reports: int = 60,
                    bare_repeats: int = 3) -> CrawlBench:
    """The big portal with ``scrapy crawl`` (crawl phase) vs the bare replay, then its nightly
    re-crawl; the fixture portal with ``gkarchive crawl`` (crawl and extraction phases)."""
    from archive.sites import load_sites

    user_agent = load_sites(PORTAL_SITES).crawler.user_agent
    big_db, full_db = _fresh(workdir / "crawl-big.db"), _fresh(workdir / "crawl-full.db")
    portal, proxy = start_portal(news, reports)
    try:
        first = measured_run(scrapy_command(big_db, proxy, user_agent), big_db)
        bare = [bare_replay(big_db, proxy, user_agent) for _ in range(bare_repeats)]
        nightly = measured_run(scrapy_command(big_db, proxy, user_agent), big_db)
    finally:
        portal.terminate()
        portal.wait(timeout=30)
    portal, proxy = start_portal(0, 0)
    try:
        full = measured_run(crawl_command(full_db, proxy), full_db)
    finally:
        portal.terminate()
        portal.wait(timeout=30)
    return CrawlBench(news=news, reports=reports, first=first, bare_runs=[b[0] for b in bare],
                      bare_rss_mb=max(b[1] for b in bare), nightly=nightly, full=full,
                      scrapy=" ".join(["scrapy"] + scrapy_command(Path("X.db"), "URL", "UA")[1:]),
                      gkarchive=" ".join(["python"] + crawl_command(Path("X.db"), "URL")[1:]))
