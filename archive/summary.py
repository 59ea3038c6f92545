"""What a run did, per site: report posts seen, new, changed, unchanged and removed;
attachments archived and failed; errors.

A site that yields zero annual reports is an error: gkmlpt sites publish one every year; so is
a site with any row in ``errors`` for the run (a failed list page — entry, shell, list API,
report column, search: its reports may be incomplete, and none of its posts was marked
removed —, a challenge, a refused link …) or a failed attachment. Alarms (``archive.health``)
name sites that went silent or changed shape since their previous run.

Example::

    >>> summarize_run(db, run_id=3, sites=["dg-fenggang"])["sites"]["dg-fenggang"]
    {'reports': 5, 'new_reports': 0, 'changed': 1, 'unchanged': 4, 'removed': 0,
     'attachments_ok': 6, 'attachments_failed': 0, 'new_blobs': 0, 'errors': 0,
     'status': 'ok', 'problems': []}
"""

from __future__ import annotations


LIST_KINDS = ("entry", "shell", "list", "column", "search")  # fetches that find posts


def _count(db, sql: str, params: list) -> int:
    return db.execute(sql, params).fetchone()[0]


def summarize_site(db, run_id: int, site: str) -> dict:
    reports = _count(db, "SELECT count(*) FROM posts WHERE site = ? AND last_run = ?",
                     [site, run_id])
    new_reports = _count(db, "SELECT count(*) FROM posts WHERE site = ? AND first_run = ?",
                         [site, run_id])
    changed = _count(db, "SELECT count(DISTINCT post_id) FROM post_versions WHERE site = ? "
                         "AND run_id = ? AND change = 'changed'", [site, run_id])
    removed = _count(db, "SELECT count(*) FROM posts WHERE site = ? AND removed_run = ?",
                     [site, run_id])
    attachments_ok = _count(
        db, "SELECT count(*) FROM attachments WHERE site = ? AND last_run = ? AND status = 'ok'",
        [site, run_id])
    attachments_failed = _count(
        db, "SELECT count(*) FROM attachments WHERE site = ? AND last_run = ? AND status != 'ok'",
        [site, run_id])
    new_blobs = _count(
        db, "SELECT count(DISTINCT b.sha256) FROM blobs b JOIN fetches f ON f.sha256 = b.sha256 "
            "WHERE b.first_run = ? AND f.site = ? AND f.run_id = ?", [run_id, site, run_id])
    errors = db.execute(
        "SELECT kind, count(*) FROM errors WHERE run_id = ? AND site = ? GROUP BY kind",
        [run_id, site]).fetchall()
    problems = [f"{count} {kind}" for kind, count in errors]
    list_failures = _count(
        db, "SELECT count(*) FROM errors e JOIN fetches f ON f.id = e.fetch_id "
            "WHERE e.run_id = ? AND e.site = ? AND f.kind IN (?, ?, ?, ?, ?)",
        [run_id, site, *LIST_KINDS])
    if list_failures:
        problems.insert(0, f"{list_failures} list pages failed: reports may be missing")
    if reports == 0:
        problems.insert(0, "zero annual reports found")
    return {
        "reports": reports, "new_reports": new_reports, "changed": changed,
        "unchanged": reports - new_reports - changed, "removed": removed,
        "attachments_ok": attachments_ok,
        "attachments_failed": attachments_failed, "new_blobs": new_blobs,
        "errors": sum(count for _, count in errors),
        "status": "error" if reports == 0 or attachments_failed or errors else "ok",
        "problems": problems,
    }


def summarize_run(db, run_id: int, sites: list[str]) -> dict:
    """The per-site summary stored in ``runs.summary`` and printed after a crawl."""
    per_site = {site: summarize_site(db, run_id, site) for site in sites}
    requests = _count(db, "SELECT count(*) FROM fetches WHERE run_id = ?", [run_id])
    downloaded = _count(db, "SELECT coalesce(sum(size), 0) FROM fetches WHERE run_id = ?", [run_id])
    return {
        "run_id": run_id,
        "requests": requests,
        "bytes": downloaded,
        "sites": per_site,
        "sites_with_errors": sorted(s for s, v in per_site.items() if v["status"] != "ok"),
    }


def format_summary(summary: dict) -> str:
    """A plain-text table of a run's summary, one line per site."""
    lines = [f"run {summary['run_id']}: {summary['requests']} requests, "
             f"{summary['bytes']:,} bytes"]
    header = (f"{'site':<22} {'reports':>7} {'new':>4} {'changed':>7} {'same':>4} {'gone':>4} "
              f"{'att ok':>6} {'failed':>6} {'errors':>6}  status")
    lines.append(header)
    for site, s in summary["sites"].items():
        status = s["status"] if not s["problems"] else f"{s['status']}: {'; '.join(s['problems'])}"
        lines.append(f"{site:<22} {s['reports']:>7} {s['new_reports']:>4} {s['changed']:>7} "
                     f"{s['unchanged']:>4} {s['removed']:>4} {s['attachments_ok']:>6} "
                     f"{s['attachments_failed']:>6} {s['errors']:>6}  {status}")
    lines += transport_lines(summary.get("transport"))
    for alarm in summary.get("alarms", []):
        lines.append(f"ALARM {alarm['site']}: {alarm['kind']}: {alarm['message']}")
    built = summary.get("extraction")
    if built:
        lines.append(f"extraction: {built['extracted']} documents extracted "
                     f"({', '.join(f'{n} {k}' for k, n in sorted(built['by_status'].items())) or 'none'}), "
                     f"{built['reused']} already done; {built['reports']} reports written")
    return "\n".join(lines)


def transport_lines(transport: dict | None) -> list[str]:
    """How the run got past challenges and TLS handshake failures, one line per host; nothing
    when it met neither."""
    if not transport:
        return []
    lines = []
    if transport["browser_launches"] or transport["browser_solves"]:
        browser = f" ({transport['browser']})" if transport.get("browser") else ""
        lines.append(f"browser{browser}: launched {transport['browser_launches']} time(s), "
                     f"{transport['browser_solves']} challenge(s) solved")
    for host, c in transport["challenges"].items():
        unsolved = f"; unsolved: {'; '.join(c['unsolved'])}" if c["unsolved"] else ""
        engine = (f"{c.get('passed_by_engine', 0)} after {c.get('engine_solves', 0)} JavaScript "
                  "engine run(s), ") if c.get("engine_solves") or c.get("engine_unsolved") else ""
        lines.append(f"challenge at {host}: {c['passed_by_cookie']} passed by the cookie retry, "
                     f"{engine}{c['passed_by_browser']} after {c['browser_solves']} browser "
                     f"solve(s){unsolved}")
    for host, t in transport["tls"].items():
        worked = f"the {t['profile']} profile worked" if t["profile"] else "no TLS profile worked"
        lines.append(f"TLS at {host}: {worked} (failed: {'; '.join(t['failed'])})")
    return lines
