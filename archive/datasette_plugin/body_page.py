"""``/-/body/{site}``: every year of one body — key figures per year, a chart, the gaps.

The figures are T3's 一、本年新收 (new received), （一）予以公开 (granted) and （七）总计
(total processed), and T4's three 总计 (review, suits direct and after review), as a table
and as small server-drawn SVG bars. A year between the first and the last with no report is
a row of its own (and a gap in the chart), saying whether posts of that year were seen.

Example::

    GET /-/body/huadu-shiling
"""

from __future__ import annotations

from datasette.utils.asgi import Response
from markupsafe import Markup

from archive.datasette_plugin.chart import series_svg
from archive.datasette_plugin.layout import T3_RESULTS_HEADING, T4_LABELS, T4_OUTCOME_LABELS
from archive.datasette_plugin.pages import not_found, path_var, quoted, report_path
from archive.report.keys import T3_LABELS, T4_GROUPS

FIGURES = [("t3.new_received.total", T3_LABELS["new_received"]),
           ("t3.granted.total", f"{T3_RESULTS_HEADING} {T3_LABELS['granted']}"),
           ("t3.total_processed.total", T3_LABELS["total_processed"]),
           *((f"t4.{g}.total", f"{T4_LABELS[g]} {T4_OUTCOME_LABELS['total']}") for g in T4_GROUPS)]

REPORTS_SQL = """select r.id, r.year, r.template, r.title, r.cells_found, r.cells_missing,
       r.hard_checks_failed, r.source_anomalies, r.soft_checks_failed, c.key, c.value
from reports r
left join report_cells c on c.report_id = r.id and c.key in ({keys})
where r.site = ?
order by r.year""".format(keys=", ".join(f"'{k}'" for k, _ in FIGURES))


async def body_page(datasette, request):
    site = path_var(request, "site")
    db = datasette.get_database()
    body = (await db.execute("select slug, name, region from sites where slug = ?",
                             [site])).first()
    if body is None:
        return await not_found(datasette, request,
                               f"没有站点 {quoted(site)} / no site {quoted(site)}")
    reports: dict[int, dict] = {}
    for row in (await db.execute(REPORTS_SQL, [site])).rows:
        report = reports.setdefault(row["year"], {**dict(row), "figures": {}})
        if row["key"]:
            report["figures"][row["key"]] = row["value"]
    posts = {r["report_year"]: r["n"] for r in (await db.execute(
        "select report_year, count(*) as n from posts where site = ? and report_year is not null "
        "and removed_run is null group by report_year", [site])).rows}
    years = list(range(min([*reports, *posts]), max([*reports, *posts]) + 1)) \
        if reports or posts else []
    for year, report in reports.items():
        report["url"] = datasette.urls.path(report_path(site, year))
    values = {(year, key): value for year, r in reports.items()
              for key, value in r["figures"].items()}
    return Response.html(await datasette.render_template("gk_body.html", {
        "body": dict(body), "years": years, "reports": reports, "posts": posts,
        "figures": FIGURES, "database": db.name,
        "svg": Markup(series_svg(years, FIGURES, values)) if years else "",
    }, request=request))
