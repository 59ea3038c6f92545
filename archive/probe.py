"""``gkarchive sites probe``: what state each configured site is in, and what the config
should say about it. The fetching is the probe spider's (``crawler/probe.py``); this module
holds the states, the archive rows (``probes``, migration m007), the summary and the
proposed config diff. The config file is never rewritten.

States: ``ok``, ``moved`` (redirected to another host or prefix), ``gone`` (404/410),
``challenged`` (412/521 JavaScript challenge), ``tls_failing``, ``unreachable`` (timeouts,
refused or reset connections, DNS), ``no_report_category`` (a shell whose TREE names no
annual-report category), ``not_gkmlpt`` (a page without ``window._CONFIG``), ``http_error``
(another 4xx/5xx), ``refused`` (the site guard refused the URL), ``skipped`` (the host's time
budget was spent).

Example::

    summary = run_probe(ProbeOptions(sites=["dg-*"], db="data/archive.db"))
    print(format_probe(summary))
    print(config_diff(Path("config/sites.toml"), summary))
"""

from __future__ import annotations

import difflib
import enum
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive.db import unit_of_work
from archive.sites import DEFAULT_SITES_FILE
from archive.store import utcnow


class ProbeState(str, enum.Enum):
    OK = "ok"
    MOVED = "moved"
    GONE = "gone"
    CHALLENGED = "challenged"
    TLS_FAILING = "tls_failing"
    UNREACHABLE = "unreachable"
    NO_REPORT_CATEGORY = "no_report_category"
    NOT_GKMLPT = "not_gkmlpt"
    HTTP_ERROR = "http_error"
    REFUSED = "refused"
    SKIPPED = "skipped"


@dataclass
class ProbeResult:
    """One site's probe."""

    site: str
    state: ProbeState
    url: str
    final_url: str | None = None
    http_status: int | None = None
    sid: str | None = None
    report_categories: list[dict] = field(default_factory=list)  # [{"id", "name"}]
    tree_categories: int | None = None
    search_jsonp_url: str | None = None
    site_name: str | None = None
    detail: str = ""
    fetch_id: int | None = None

    def to_dict(self) -> dict:
        return asdict(self) | {"state": self.state.value}


def record_probe(db, run_id: int, result: ProbeResult) -> None:
    row = result.to_dict() | {"run_id": run_id, "probed_at": utcnow(),
                              "report_categories": json.dumps(result.report_categories,
                                                              ensure_ascii=False)}
    unit_of_work(db, lambda: db["probes"].insert(row))


def probe_summary(run_id: int, results: dict[str, ProbeResult], configs: dict) -> dict:
    """The run's summary: every site's result, counts by state, and proposed config changes."""
    sites = {slug: results[slug].to_dict() if slug in results else
             ProbeResult(slug, ProbeState.SKIPPED, url=configs[slug].entry_urls[0],
                         detail="the probe stopped before this site").to_dict()
             for slug in configs}
    proposals = {slug: changes for slug in sites
                 if (changes := proposed_changes(sites[slug], configs[slug]))}
    return {"run_id": run_id, "command": "probe", "sites": sites,
            "states": dict(Counter(s["state"] for s in sites.values())), "proposals": proposals}


def proposed_changes(probe: dict, config) -> dict:
    """Config fields a probe result suggests for one site (empty: nothing to change)."""
    state, today = probe["state"], utcnow()[:10]
    changes: dict = {}
    if state == "ok" and probe["sid"] and probe["sid"] != config.sid_hint:
        changes["sid_hint"] = probe["sid"]
    elif state == "moved" and probe["final_url"]:
        base = re.sub(r"/gkmlpt/.*$", "", probe["final_url"]).rstrip("/")
        host = base.split("://", 1)[1].split("/", 1)[0]
        changes["entry_urls"] = [f"{base}/gkmlpt/index"]
        changes["allowed_hosts"] = sorted({*config.allowed_hosts, host})
        if probe["sid"] and probe["sid"] != config.sid_hint:
            changes["sid_hint"] = probe["sid"]
    elif state in ("gone", "not_gkmlpt") and config.enabled:
        changes["enabled"] = False
        changes["disabled_reason"] = f"probe {today}: {state} ({probe['detail']}) at {probe['url']}"
    elif state == "tls_failing" and not config.http_only and probe["url"].startswith("https://"):
        changes["http_only"] = True
    return changes


@dataclass
class ProbeOptions:
    sites: list[str] = field(default_factory=list)  # slugs, globs or groups
    groups: list[str] = field(default_factory=list)
    sites_file: Path = DEFAULT_SITES_FILE
    db: Path = Path("data/archive.db")
    proxy: str | None = None
    delay: float | None = None
    timeout: float = 20.0  # seconds per request (DOWNLOAD_TIMEOUT)
    host_budget: float = 120.0  # seconds per host, all its sites together
    log_level: str = "WARNING"
    settings: dict = field(default_factory=dict)


def run_probe(options: ProbeOptions) -> dict:
    """Probe the selected sites (all enabled ones by default) into the archive; the summary."""
    from scrapy.crawler import CrawlerProcess

    from archive.crawl import CrawlOptions, crawl_settings
    from archive.lock import run_lock
    from archive.sites import load_sites
    from crawler.probe import ProbeSpider
    from crawler.session import ArchiveSession

    sites = load_sites(options.sites_file).select(options.sites, options.groups)
    crawl = CrawlOptions(sites=options.sites, groups=options.groups, sites_file=options.sites_file,
                         db=options.db, proxy=options.proxy, delay=options.delay,
                         log_level=options.log_level,
                         settings={"DOWNLOAD_TIMEOUT": options.timeout, "RETRY_TIMES": 1,
                                   "EXTENSIONS": {}, **options.settings})
    with run_lock(options.db):
        process = CrawlerProcess(crawl_settings(crawl))
        crawler = process.create_crawler(ProbeSpider)
        process.crawl(crawler, site=",".join(s.slug for s in sites),
                      host_budget=options.host_budget)
        process.start()
        return ArchiveSession.of(crawler).summary


def format_probe(summary: dict) -> str:
    """One line per site that is not ok, then the counts by state."""
    lines = [f"probe run {summary['run_id']}: {len(summary['sites'])} sites"]
    for slug, probe in summary["sites"].items():
        if probe["state"] != "ok":
            lines.append(f"  {slug:<22} {probe['state']:<18} {probe['detail']}")
    counts = ", ".join(f"{n} {state}" for state, n in sorted(summary["states"].items()))
    lines.append(f"states: {counts}")
    return "\n".join(lines)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _edit_table(lines: list[str], slug: str, changes: dict) -> None:
    header = f"[sites.{slug}]"
    start = next((i for i, line in enumerate(lines) if line.strip() == header), None)
    if start is None:
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    for key, value in changes.items():
        line = f"{key} = {_toml_value(value)}"
        at = next((i for i in range(start + 1, end) if re.match(rf"{key}\s*=", lines[i])), None)
        if at is None:
            lines.insert(end, line)
            end += 1
        else:
            lines[at] = line


def config_diff(sites_file: Path, summary: dict) -> str:
    """A unified diff of ``sites_file`` with the probe's proposals applied (for review; the
    file is not touched). Generated rows are better changed through the catalogue's
    overrides (archive/catalogue.py), or the next regeneration undoes the edit."""
    text = Path(sites_file).read_text(encoding="utf-8")
    lines = text.splitlines()
    for slug, changes in summary.get("proposals", {}).items():
        _edit_table(lines, slug, changes)
    return "".join(difflib.unified_diff(text.splitlines(keepends=True),
                                        [line + "\n" for line in lines],
                                        str(sites_file), f"{sites_file} (proposed)"))
