"""``gkarchive status``: per site, its status, the last successful run, the last new report,
the streaks of runs with no report or with errors, the probe state, reports per year and open
failures.

A failure is open while the URL it names has not been fetched successfully since. A site is
``ok`` only when its last run was ok (reports found, no error of any kind) and it has no open
failure; ``error`` otherwise; ``never`` before its first run. Reports of bodies that no
configured site claims (found in shared portal columns) end the table.

Example::

    >>> print(format_status(archive_status(open_db("data/archive.db", readonly=True))))
"""

from __future__ import annotations

import json

from archive.health import site_health

_OPEN_FAILURES = """
SELECT e.site, e.kind, count(DISTINCT e.url) FROM errors e
WHERE e.run_id = (SELECT max(run_id) FROM errors e2 WHERE e2.site = e.site)
  AND NOT EXISTS (SELECT 1 FROM fetches f WHERE f.url = e.url AND f.outcome = 'ok'
                  AND f.id > coalesce(e.fetch_id, 0) AND f.run_id > e.run_id)
GROUP BY e.site, e.kind
"""


def archive_status(db) -> dict:
    """A dict per site: name, last_success (run id and time), reports by year, open failures."""
    sites = {slug: {"name": name, "status": "never", "last_success": None, "reports": {},
                    "attachments": 0, "open_failures": {}, "last_new_report": None,
                    "zero_streak": 0, "error_streak": 0, "probe": None}
             for slug, name in db.execute("SELECT slug, name FROM sites ORDER BY slug")}
    for run_id, finished, summary in db.execute(
            "SELECT id, finished_at, summary FROM runs WHERE status = 'finished' ORDER BY id"):
        for slug, site in (json.loads(summary or "{}").get("sites") or {}).items():
            if slug not in sites or "status" not in site:
                continue
            sites[slug]["status"] = site["status"]
            if site["status"] == "ok":
                sites[slug]["last_success"] = {"run": run_id, "finished_at": finished}
    for slug, health in site_health(db).items():
        if slug in sites:
            sites[slug].update({k: v for k, v in health.items() if k != "last_success"})
    for slug, year, count in db.execute(
            "SELECT site, report_year, count(*) FROM posts GROUP BY site, report_year"):
        if slug in sites:
            sites[slug]["reports"][year] = count
    for slug, count in db.execute(
            "SELECT site, count(*) FROM attachments WHERE status = 'ok' GROUP BY site"):
        if slug in sites:
            sites[slug]["attachments"] = count
    for slug, kind, count in db.execute(_OPEN_FAILURES):
        if slug in sites:
            sites[slug]["open_failures"][kind] = count
            sites[slug]["status"] = "error"
    return sites


def unassigned_summary(db) -> dict[str, list[tuple[int | None, str]]]:
    """Reports of bodies no configured site claims, per body: [(year, title), …]."""
    if not db["unassigned_reports"].exists():
        return {}
    found: dict[str, list[tuple[int | None, str]]] = {}
    for body, year, title in db.execute(
            "SELECT body, year, title FROM unassigned_reports ORDER BY body, year, url"):
        found.setdefault(body, []).append((year, title))
    return found


def _run(entry: dict | None) -> str:
    return f"run {entry['run']} {(entry['finished_at'] or '')[:10]}".strip() if entry else "never"


def format_status(status: dict, unassigned: dict | None = None) -> str:
    lines = [f"{'site':<22} {'status':<6} {'last success':<17} {'last new report':<17} "
             f"{'zero':>4} {'err':>3} {'probe':<18} {'att':>4}  reports by year; open failures"]
    for slug, site in status.items():
        years = ", ".join(f"{y}: {n}" for y, n in sorted(site["reports"].items(),
                                                          key=lambda kv: kv[0] or 0)) or "none"
        failures = ", ".join(f"{n} {k}" for k, n in site["open_failures"].items())
        probe = site["probe"]["state"] if site["probe"] else "-"
        lines.append(f"{slug:<22} {site['status']:<6} {_run(site['last_success']):<17} "
                     f"{_run(site['last_new_report']):<17} {site['zero_streak']:>4} "
                     f"{site['error_streak']:>3} {probe:<18} {site['attachments']:>4}  {years}"
                     + (f"; {failures}" if failures else ""))
    if unassigned:
        reports = sum(len(v) for v in unassigned.values())
        bodies = ", ".join(f"{body or '(no name)'} ({len(v)})" for body, v in unassigned.items())
        lines.append(f"unassigned: {reports} reports of {len(unassigned)} bodies no configured "
                     f"site claims (add a site for them): {bodies}")
    return "\n".join(lines)
