"""A simulated province: ``gkarchive crawl`` of 300 gkmlpt sites on 60 hosts (one host holds
5 % of them, like www.dg.gov.cn), lists of 40–2,500 posts, 1–4 reports a site, 50–300 ms
latency per response, politeness scaled down by :data:`SCALE` (delay 2 s → 0.5 s ± 10 %, one
request at a time per host). Measured: wall time against the ideal (the
busiest host's requests × delay), each host's own span against its ideal (starvation), peak
RSS and CPU seconds per request of the crawl process; for the first crawl and the unchanged
nightly re-crawl, for a first crawl of 100 sites at the real 2 s (the delay unscaled), and
for a first crawl of twice the province (600 sites on 120 hosts) at the scaled delay: memory
against the number of sites. About 25 minutes in all.

Example::

    python -m bench.province --port 0 --sites 300 --hosts 60     # the portal alone (bench/province.py)
    result = run_province_bench(Path("/tmp/b"))                  # the benchmark
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from bench.crawl_bench import start_portal_process, watched

REAL_DELAY = 2.0  # config/sites.toml download_delay
SCALE = 4  # politeness delays divided by this
LATENCY = (0.05, 0.30)
FAST_RETRIES = ["--set", "GKARCHIVE_RETRY_BASE=0.05", "--set", "GKARCHIVE_RETRY_CAP=1"]


@dataclass
class ProvinceRun:
    sites: int
    hosts: int
    delay: float  # seconds between requests to a host (the real 2 s / the scale)
    requests: int
    seconds: float  # spider open → close
    busiest_host_requests: int
    rss_mb: float
    worst_host_ratio: float  # max over hosts with ≥ 20 requests: span / (requests × delay)
    crawl_cpu: float = 0.0  # CPU seconds of the crawl process
    portal_cpu: float = 0.0  # CPU seconds of the portal process during the crawl
    load: float = 0.0  # the machine's 1-minute load average at the end

    @property
    def ideal_seconds(self) -> float:
        return self.busiest_host_requests * self.delay

    @property
    def ratio(self) -> float:
        return self.seconds / self.ideal_seconds

    @property
    def projected_hours(self) -> float:
        """The same night at real politeness (latency ≪ 2 s, so the ratio carries over)."""
        return self.busiest_host_requests * REAL_DELAY * self.ratio / 3600


    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.crawl_cpu / self.requests


@dataclass
class ProvinceBench:
    first: ProvinceRun
    nightly: ProvinceRun
    real: ProvinceRun  # a first crawl of a third of the sites at the real delay (no scaling)
    command: str
    double: ProvinceRun | None = None  # a first crawl of twice the sites (memory against sites)

    def runs_by_sites(self) -> list[ProvinceRun]:
        """The first crawls, fewest sites first."""
        return sorted([r for r in (self.real, self.first, self.double) if r], key=lambda r: r.sites)

    def mb_per_100_sites(self) -> float:
        """Peak RSS added by 100 more sites, between the smallest and the largest first crawl."""
        runs = self.runs_by_sites()
        low, high = runs[0], runs[-1]
        return 100 * (high.rss_mb - low.rss_mb) / (high.sites - low.sites)

    def projected_mb(self, sites: int) -> float:
        largest = self.runs_by_sites()[-1]
        return largest.rss_mb + max(0.0, self.mb_per_100_sites()) * (sites - largest.sites) / 100


def start_province_portal(sites: int, hosts: int, sites_file: Path,
                          *extra: str) -> tuple[subprocess.Popen, str]:
    return start_portal_process("bench.province", "--sites", str(sites), "--hosts", str(hosts),
                                "--sites-file", str(sites_file), *extra)


def crawl_command(sites_file: Path, db: Path, proxy: str, delay: float) -> list[str]:
    return [sys.executable, "-m", "archive.cli", "crawl", "--sites", str(sites_file), "--db",
            str(db), "--proxy", proxy, "--delay", f"{delay:g}", "--no-extract",
            "--log-level", "WARNING", *FAST_RETRIES]


def _host_spans(conn, run_id: int) -> tuple[Counter, dict[str, float]]:
    counts, first, last = Counter(), {}, {}
    for url, at in conn.execute("SELECT url, fetched_at FROM fetches WHERE run_id = ?", [run_id]):
        host, when = urlsplit(url).hostname, datetime.fromisoformat(at).timestamp()
        counts[host] += 1
        first[host], last[host] = min(first.get(host, when), when), max(last.get(host, when), when)
    return counts, {h: last[h] - first[h] for h in counts}


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(sites_file: Path, db: Path, proxy: str, sites: int, hosts: int,
             portal_pid: int | None = None, delay: float = REAL_DELAY / SCALE) -> ProvinceRun:
    portal_before, children_before = _cpu_seconds(portal_pid) if portal_pid else 0.0, _children_cpu()
    _, watch, _, _ = watched(crawl_command(sites_file, db, proxy, delay), timeout=3600)
    crawl_cpu = _children_cpu() - children_before
    portal_cpu = _cpu_seconds(portal_pid) - portal_before if portal_pid else 0.0
    conn = sqlite3.connect(db)
    try:
        run_id, started, finished = conn.execute(
            "SELECT id, started_at, finished_at FROM runs ORDER BY id DESC").fetchone()
        counts, spans = _host_spans(conn, run_id)
    finally:
        conn.close()
    # A host's span runs from its first fetch to its last: n - 1 gaps.
    ratios = [spans[h] / ((n - 1) * delay) for h, n in counts.items() if n >= 20]
    seconds = datetime.fromisoformat(finished).timestamp() - datetime.fromisoformat(started).timestamp()
    return ProvinceRun(sites=sites, hosts=hosts, delay=delay, requests=sum(counts.values()),
                       seconds=seconds,
                       busiest_host_requests=max(counts.values()), rss_mb=watch.peak_mb(watch.root),
                       worst_host_ratio=max(ratios, default=0.0), crawl_cpu=crawl_cpu,
                       portal_cpu=portal_cpu, load=os.getloadavg()[0])


def run_province_bench(workdir: Path, sites: int = 300, hosts: int = 60,
                       scale: float = SCALE, double: bool = True) -> ProvinceBench:
    """First crawl and nightly re-crawl of ``sites`` sites at the scaled delay, a first crawl
    of a third of them at the real delay, and (``double``) a first crawl of twice as many
    sites on twice as many hosts at the scaled delay."""
    workdir.mkdir(parents=True, exist_ok=True)
    runs = {}
    plan = [("big", sites, hosts), ("real", sites // 3, hosts // 3)]
    if double:
        plan.append(("double", 2 * sites, 2 * hosts))
    for name, n_sites, n_hosts in plan:
        sites_file, db = workdir / f"province-{name}.toml", workdir / f"province-{name}.db"
        for stale in workdir.glob(db.name + "*"):
            stale.unlink()
        portal, proxy = start_province_portal(n_sites, n_hosts, sites_file)
        try:
            runs[name] = measured(sites_file, db, proxy, n_sites, n_hosts, portal.pid,
                                  REAL_DELAY if name == "real" else REAL_DELAY / scale)
            if name == "big":
                runs["nightly"] = measured(sites_file, db, proxy, n_sites, n_hosts, portal.pid,
                                           REAL_DELAY / scale)
        finally:
            portal.terminate()
            portal.wait(timeout=30)
    command = " ".join(["python"] + crawl_command(Path("SITES.toml"), Path("X.db"), "URL",
                                                  REAL_DELAY / scale)[1:])
    return ProvinceBench(first=runs["big"], nightly=runs["nightly"], real=runs["real"],
                         command=command, double=runs.get("double"))


def province_section(scratch: Path, args):
    """The ``docs/benchmarks.md`` section (``python -m bench --only province``)."""
    from bench.report import Section, Target

    r = run_province_bench(scratch)
    delay = r.first.delay

    def row(name: str, run: ProvinceRun) -> str:
        return (f"| {name} | {run.sites} / {run.hosts} | {run.delay:g} s | {run.requests:,} | "
                f"{run.busiest_host_requests} | {run.ideal_seconds:.0f} | {run.seconds:.0f} | "
                f"**{run.ratio:.2f}** | {run.worst_host_ratio:.2f} | {run.rss_mb:.0f} MB | "
                f"{run.cpu_ms_per_request:.1f} | {run.crawl_cpu:.0f} / {run.portal_cpu:.0f} | "
                f"{run.load:.1f} | {run.projected_hours:.1f} h |")

    body = [
        f"`tests/portal/province.py` through `bench/province.py`: the fixture portal plus "
        f"{r.first.sites} sites on {r.first.hosts} hosts (one host holds 5 % of the sites, like "
        "www.dg.gov.cn; every host at least one; search.gd.gov.cn serves every site's search, "
        "so it is the busiest host of a first crawl), lists of 40–2,500 posts, 1–4 annual "
        f"reports a site with a 230 KB PDF each, {LATENCY[0] * 1000:.0f}–{LATENCY[1] * 1000:.0f} ms "
        "latency per response (fixed per URL); the portal computes its answers before the "
        "crawl starts (`Province.frozen`), so that its CPU is not taken from the crawler. "
        "Politeness as in production but scaled down by "
        f"{REAL_DELAY / delay:g}: {REAL_DELAY:g} s → {delay:g} s ± 10 % between requests to a "
        "host, one at a time per host, AutoThrottle on; `--no-extract`. The third run is a "
        f"first crawl of a third of the sites at the real {REAL_DELAY:g} s (a whole province "
        "at 2 s would take 20 minutes), the fourth a first crawl of twice the province at the "
        "scaled delay: with the first, they show memory against the number of sites.",
        "",
        "Ideal = the busiest host's requests × the delay (no crawl of these sites can be "
        "shorter). Host span = a host's first to last fetch against its own requests × delay "
        "(worst host with ≥ 20 requests: a starved host would show here). Projection = the "
        f"same night of these sites at the real {REAL_DELAY:g} s (latency is then far below the "
        "delay).",
        "",
        "| run | sites / hosts | delay | requests | busiest host | ideal s | wall s | wall / ideal | "
        "worst host span / ideal | peak RSS | crawl CPU ms / request | CPU s crawl / portal | "
        "load | projected at 2 s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        row("first crawl", r.first), row("unchanged nightly", r.nightly),
        row("first crawl", r.real), *([row("first crawl", r.double)] if r.double else []),
        "",
        "Memory against the number of sites (first crawls; peak RSS of the crawl process, "
        "`VmHWM`): " + ", ".join(f"{run.sites} sites {run.rss_mb:.0f} MB"
                                   for run in r.runs_by_sites())
        + f"; {r.mb_per_100_sites():.1f} MB per 100 more sites, so about "
        f"{r.projected_mb(2000):.0f} MB for 2,000 sites of this mix (lists of 40–2,500 posts, "
        "626 on average). What grows with the sites is what the spider keeps to the run's end: "
        "every post id each site's lists showed (to mark removed posts), about 10 bytes an id "
        "(`crawler/postids.py`), the state of each site, and the requests queued at the start "
        "(every site's entry and first list pages: about 3 a site, a few KB each); and with the "
        "hosts (here a fifth of the sites), the bodies in flight, one response per host at a "
        "time. See *Memory* below.",
        "",
        "CPU: of the crawl process and of the portal process during the run; load: the "
        "machine's 1-minute load average at the end (2 cores, shared with the other work on the "
        "machine). At the scaled delay the crawl asks for a response processed every few "
        "milliseconds: when the machine cannot give it that much CPU, responses wait, each "
        "host's one request at a time takes longer than its delay, and the wall time grows "
        "past the ideal whatever the scheduling; at real delays the crawl asks "
        f"{REAL_DELAY / delay:g}× less CPU per second.",
        "",
        "What makes it scale (`archive/crawl.py`, `crawler/settings.py`, `crawler/pool.py`, "
        "`crawler/spiders/base.py`): `gkarchive crawl` raises `CONCURRENT_REQUESTS` to two per "
        "host of the run (a request waiting out its host's delay holds a slot too); "
        "`DownloaderAwarePriorityQueue` hands the next request to the least busy host; the "
        "delay jitter is ±10 % (Scrapy draws the delay again each time it looks at a slot, "
        "so a wide jitter lengthens the gaps). A host's queue goes in the order that keeps it "
        "full: entries, then list, search and column pages (the longest lists first, by the "
        "pages their `total` says are left), then detail pages, then attachments, so a host "
        "never waits on its own lists while it has anything to fetch. CPU per response: one "
        "item task per response (`CONCURRENT_ITEMS = 1`: Scrapy starts that many asyncio "
        "tasks for every response's output, 100 by default), a list entry's link read only "
        "when its title may be a report, and keep-alive through the proxy (Scrapy kept one "
        "idle connection per pool key, and every request through a proxy shares the proxy's "
        "key).",
        "",
        "Memory: the crawl process's peak RSS was 161 MB for 100 sites and 223 MB for 300 "
        "before `2eb9e3e`, and grew with the sites. Measured with `bench/memprobe.py` (a "
        "Scrapy extension for investigations: RSS, malloc's and SQLite's counts, Scrapy's live "
        "requests and responses, the spider's state, tracemalloc), most of it was responses "
        "waiting for the cyclic garbage collector: the fetch recorder kept the response it had "
        "recorded in the request's `FetchMeta`, and the response refers to its request, so "
        "every response was a reference cycle, freed with its body only by a full collection. "
        "Python runs those more rarely the more long-lived objects the process holds (3 to 10 a "
        "run here), and `CONCURRENT_ITEMS = 1` made them rarer still (fewer objects allocated "
        "per response): hundreds of list pages and the PDFs of every report (230 KB each) "
        "waited between collections, 55 MB of the 100-site crawl's peak and 90 MB of the "
        "300-site one. The recorder now keeps a weak reference; a "
        "crawl with the collector disabled leaves no response alive (tests/test_crawl_memory.py). "
        "The rest that grew with the sites was the spider's sets of listed post ids (about 180 "
        "bytes a post in strings and set slots, 30 MB for the 300 sites' 167,000 posts), now "
        "about 10 bytes an id (`crawler/postids.py`). The scheduler's pending requests peak "
        "at about 1,000 for 300 sites (the first minute: every site's entries and lists, a few "
        "MB) and the duplicate filter holds a few hundred fingerprints.",
    ]
    worst = max(r.first.ratio, r.nightly.ratio)
    rss = max(r.first.rss_mb, r.nightly.rss_mb, r.real.rss_mb, r.double.rss_mb if r.double else 0)
    targets = [
        Target(f"province: {r.first.sites} sites / {r.first.hosts} hosts within 1.2× of the "
               f"ideal, delays scaled by {REAL_DELAY / delay:g}",
               f"{r.first.ratio:.2f} first, {r.nightly.ratio:.2f} nightly (load "
               f"{r.first.load:.0f}, {r.nightly.load:.0f})", worst <= 1.2),
        Target(f"province: a first crawl within 1.2× of the ideal at the real {REAL_DELAY:g} s",
               f"{r.real.ratio:.2f} ({r.real.sites} sites)", r.real.ratio <= 1.2),
        Target("province: crawl process peak RSS < 300 MB (flat in the number of sites)",
               f"{rss:.0f} MB (" + ", ".join(f"{run.sites} sites: {run.rss_mb:.0f} MB"
                                             for run in r.runs_by_sites())
               + f"; 2,000 sites projected {r.projected_mb(2000):.0f} MB)",
               rss < 300 and r.projected_mb(2000) < 300),
    ]
    return Section("A simulated province", f"`{r.command}`", body, targets)
