"""``gkarchive status``: per site, the last successful run, reports per year, open failures.

A failure is open while the URL it names has not been fetched successfully since. Reports of
bodies that no configured site claims (found in shared portal columns) end the table.

Example::

    >>> print(format_status(archive_status(open_db("data/archive.db", readonly=True))))
"""

from __future__ import annotations

import json

_OPEN_FAILURES = """
SELECT e.site, e.kind, count(DISTINCT e.url) FROM errors e
WHERE e.run_id = (SELECT max(run_id) FROM errors e2 WHERE e2.site = e.site)
  AND NOT EXISTS (SELECT 1 FROM fetches f WHERE f.url = e.url AND f.outcome = 'ok'
                  AND f.id > coalesce(e.fetch_id, 0) AND f.run_id > e.run_id)
GROUP BY e.site, e.kind
"""


def archive_status(db) -> dict:
    """A dict per site: name, last_success (run id and time), reports by year, open failures."""
    sites = {slug: {"name": name, "last_success": None, "reports": {}, "attachments": 0,
                    "open_failures": {}}
             for slug, name in db.execute("SELECT slug, name FROM sites ORDER BY slug")}
    for run_id, finished, summary in db.execute(
            "SELECT id, finished_at, summary FROM runs WHERE status = 'finished' ORDER BY id"):
        for slug, site in (json.loads(summary or "{}").get("sites") or {}).items():
            if slug in sites and site.get("status") == "ok":
                sites[slug]["last_success"] = {"run": run_id, "finished_at": finished}
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


def format_status(status: dict, unassigned: dict | None = None) -> str:
    lines = [f"{'site':<22} {'last success':<25} {'att':>4}  reports by year; open failures"]
    for slug, site in status.items():
        last = site["last_success"]
        when = f"run {last['run']} {last['finished_at'][:16]}" if last else "never"
        years = ", ".join(f"{y}: {n}" for y, n in sorted(site["reports"].items(),
                                                          key=lambda kv: kv[0] or 0)) or "none"
        failures = ", ".join(f"{n} {k}" for k, n in site["open_failures"].items())
        lines.append(f"{slug:<22} {when:<25} {site['attachments']:>4}  {years}"
                     + (f"; {failures}" if failures else ""))
    if unassigned:
        reports = sum(len(v) for v in unassigned.values())
        bodies = ", ".join(f"{body or '(no name)'} ({len(v)})" for body, v in unassigned.items())
        lines.append(f"unassigned: {reports} reports of {len(unassigned)} bodies no configured "
                     f"site claims (add a site for them): {bodies}")
    return "\n".join(lines)
