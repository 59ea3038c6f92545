"""``/-/health``: per site its last success, reports per year, open failures, and whatever
the archive holds of unassigned reports, probes and alarms.

The per-site figures are :func:`archive.status.archive_status` (what ``gkarchive status``
prints), read through datasette's read-only connection, plus the structured reports per
year. The tables other parts of the project add — ``unassigned`` (reports found but not
assigned to a configured body), ``alarms``, ``site_health`` and ``probes`` — are shown when
the archive has them (all their columns, newest first) and simply absent when it has not.

Example::

    GET /-/health
"""

from __future__ import annotations

from datasette.utils.asgi import Response

from archive.datasette_plugin.pages import body_path, report_path
from archive.status import archive_status

OPTIONAL_TABLES = {
    "unassigned": "未归属的年报 / Unassigned reports",
    "alarms": "告警 / Alarms",
    "site_health": "站点健康记录 / Site health",
    "probes": "站点探测 / Probes",
}
ROWS_SHOWN = 200


def _health(conn) -> dict:
    """Everything the page shows, read in one go on a read-only connection."""
    sites = archive_status(conn)
    for slug, year, report_id in conn.execute(
            "select site, year, id from reports order by site, year"):
        if slug in sites:
            sites[slug].setdefault("built", {})[year] = report_id
    present = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    extra = []
    for name, title in OPTIONAL_TABLES.items():
        if name not in present:
            continue
        columns = [r[1] for r in conn.execute(f'pragma table_info("{name}")')]
        total = conn.execute(f'select count(*) from "{name}"').fetchone()[0]
        rows = conn.execute(f'select * from "{name}" order by rowid desc limit {ROWS_SHOWN}')
        by_site = {}
        if "site" in columns:
            by_site = dict(conn.execute(f'select site, count(*) from "{name}" group by site'))
        extra.append({"name": name, "title": title, "columns": columns, "total": total,
                      "rows": [list(r) for r in rows], "per_site": "site" in columns,
                      "by_site": by_site})
    return {"sites": sites, "extra": extra}


async def health_page(datasette, request):
    db = datasette.get_database()
    health = await db.execute_fn(_health)
    for slug, site in health["sites"].items():
        site["body_url"] = datasette.urls.path(body_path(slug))
        site["built"] = [(year, datasette.urls.path(report_path(slug, year)))
                         for year in sorted(site.get("built", {}))]
        site["reports"] = sorted(site["reports"].items(), key=lambda kv: kv[0] or 0)
    if request.args.get("_format") == "json":
        return Response.json({"sites": health["sites"],
                              "tables": {t["name"]: t["total"] for t in health["extra"]}},
                             default=str)
    return Response.html(await datasette.render_template("gk_health.html", {
        **health, "database": db.name, "optional": OPTIONAL_TABLES}, request=request))
