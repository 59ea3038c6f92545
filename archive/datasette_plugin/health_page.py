"""``/-/health``: per site its last success, reports per year, open failures, and whatever
the archive holds of unassigned reports, alarms and probes.

The per-site figures are :func:`archive.status.archive_status` (what ``gkarchive status``
prints), read through datasette's read-only connection, plus the structured reports per
year; any further per-site key it returns (status, last new report, streaks, probe) is shown
too. The tables other parts of the project add are shown when the archive has them and named
as absent when it has not: ``unassigned_reports`` (reports in a shared column that no
configured body claims, migration m006), ``site_runs`` (per site and run; the latest run's
``alarms``, m007) and ``probes`` (m007).

Example::

    GET /-/health
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.datasette_plugin.pages import body_path, report_path
from archive.status import archive_status


@dataclass(frozen=True)
class OptionalTable:
    """A table another part of gkarchive adds: its title, the column naming the site, the
    rows worth showing."""

    title: str
    site_column: str
    where: str = "1"


OPTIONAL_TABLES = {
    "unassigned_reports": OptionalTable("未归属的年报 / Unassigned reports", "seen_by_site"),
    "site_runs": OptionalTable("告警 / Alarms (site_runs)", "site", "alarms <> '[]'"),
    "probes": OptionalTable("站点探测 / Probes", "site"),
}
ROWS_SHOWN = 200
SITES_PER_PAGE = 250  # async Jinja renders ~1 ms per site row
LATEST_ALARMS = """select site, alarms from site_runs s
where run_id = (select max(run_id) from site_runs t where t.site = s.site)"""


def _health(conn) -> dict:
    """Everything the page shows, read in one go on a read-only connection."""
    sites = archive_status(conn)
    for slug, year in conn.execute("select site, year from reports order by site, year"):
        if slug in sites:
            sites[slug].setdefault("built", []).append(year)
    present = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    if "site_runs" in present:
        for slug, alarms in conn.execute(LATEST_ALARMS):
            if slug in sites:
                sites[slug]["alarms"] = json.loads(alarms or "[]")
    return {"sites": sites, "extra": [_table(conn, name, table)
                                      for name, table in OPTIONAL_TABLES.items()
                                      if name in present]}


def _table(conn, name: str, table: OptionalTable) -> dict:
    columns = [r[1] for r in conn.execute(f'pragma table_info("{name}")')]
    total = conn.execute(f'select count(*) from "{name}" where {table.where}').fetchone()[0]
    rows = conn.execute(f'select * from "{name}" where {table.where} '
                        f'order by rowid desc limit {ROWS_SHOWN}')
    by_site = {}
    if table.site_column in columns:
        by_site = dict(conn.execute(f'select "{table.site_column}", count(*) from "{name}" '
                                    f'where {table.where} group by 1'))
    return {"name": name, "title": table.title, "columns": columns, "total": total,
            "rows": [list(r) for r in rows], "per_site": table.site_column in columns,
            "by_site": by_site}


async def health_page(datasette, request):
    db = datasette.get_database()
    health = await db.execute_fn(_health)
    for site in health["sites"].values():
        site["reports"] = sorted(site["reports"].items(), key=lambda kv: kv[0] or 0)
        site.setdefault("built", [])
    if request.args.get("_format") == "json":
        return Response.json({"sites": health["sites"],
                              "tables": {t["name"]: t["total"] for t in health["extra"]}},
                             default=str)
    present = [t["name"] for t in health["extra"]]
    shown, paging = _page(health["sites"], request.args.get("page"))
    for slug, site in shown.items():
        # Formatted here, not in the template: a loop per year and site costs seconds in
        # datasette's async Jinja on thousands of sites.
        site["body_url"] = datasette.urls.path(body_path(slug))
        site["reports_text"] = ", ".join(f"{'?' if y is None else y}: {n}"
                                         for y, n in site["reports"])
        site["built_html"] = Markup(", ".join(
            f'<a href="{escape(datasette.urls.path(report_path(slug, year)))}">{int(year)}</a>'
            for year in site["built"]))
    return Response.html(await datasette.render_template("gk_health.html", {
        **health, "sites": shown, "paging": paging, "database": db.name,
        "has_alarms": "site_runs" in present,
        "absent": [name for name in OPTIONAL_TABLES if name not in present]}, request=request))


def needs_attention(site: dict) -> bool:
    """Never succeeded, an open failure, an alarm, or a status other than ok."""
    return (not site["last_success"] or bool(site["open_failures"]) or bool(site.get("alarms"))
            or site.get("status", "ok") not in ("ok", "never"))


def _page(sites: dict, page_arg: str | None) -> tuple[dict, dict]:
    """One page of sites, those needing attention first; the numbers for the pager."""
    order = sorted(sites, key=lambda slug: (not needs_attention(sites[slug]), slug))
    pages = max(1, -(-len(order) // SITES_PER_PAGE))
    page = min(max(int(page_arg), 1), pages) if (page_arg or "").isdigit() else 1
    chosen = order[(page - 1) * SITES_PER_PAGE:page * SITES_PER_PAGE]
    attention = sum(needs_attention(s) for s in sites.values())
    return {slug: sites[slug] for slug in chosen}, {
        "page": page, "pages": pages, "total": len(order), "attention": attention}
