"""``/-/report/{site}/{year}``: one report as printed, its checks on its cells, its documents.

T2, T3 and T4 are laid out as the official tables (``layout.py``), each in the template its
cells show (a hybrid prints each table in its own). A cell involved in a failed check or a
source anomaly is marked, with the rule and the detail in its title and a link to the check
below; every cell links to its provenance (the ``cell_provenance`` canned query). The chosen
document is linked (a PDF shown inline), beside the post's other documents and why this one
was chosen. Unknown sites and years answer 404 with a page that says what was not found.

Example::

    GET /-/report/huadu-shiling/2020
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from datasette.utils.asgi import Response

from archive.datasette_plugin.layout import (
    REPORT_STATUS_LABELS, RULES, SECTION_HEADINGS, STATUS_LABELS, T2_ITEM_HEADER, T3_APPLICANTS, T3_ORGANISATIONS,
    T4_COLUMNS, T4_LABELS, T4_OUTCOME_LABELS, T4_SUIT, T4_SUIT_GROUPS, check_keys, t2_blocks,
    t3_header, t3_label_cells, t3_printed_rows, template_of_table)
from archive.datasette_plugin.pages import body_path, not_found, path_var, quoted
from archive.report.keys import T3_COLS, T4_GROUPS, T4_OUTCOMES, Template

YEAR = re.compile(r"[0-9]{4}")
MARKED = ("failed", "source_anomaly")

REPORT_SQL = """select r.*, s.name as site_name, s.region, p.title as post_title, p.url as post_url,
       p.publish_date, substr(b.content, 1, 5) as head,
       (select o.status from report_overview o where o.report_id = r.id) as status
from reports r join sites s on s.slug = r.site
left join posts p on p.site = r.site and p.post_id = r.post_id
left join blobs b on b.sha256 = r.source_sha256
where r.site = :site and r.year = :year"""

# Every document of the site's posts for that year: attachments and post bodies, with what
# the newest extraction of each found.
DOCUMENTS_SQL = """with docs as (
  select a.post_id, a.name, a.sha256, a.status, a.url, a.id as attachment_id
  from attachments a join posts p on p.site = a.site and p.post_id = a.post_id
  where a.site = :site and p.report_year = :year
  union all
  select p.post_id, p.title || '.html', p.body_sha256, 'ok', p.url, null
  from posts p where p.site = :site and p.report_year = :year and p.body_sha256 is not null)
select d.*, p.title as post_title, p.removed_run, b.size, e.id as extraction_id,
       e.status as extraction_status, e.template, e.cells_found, e.hard_checks_failed,
       e.source_anomalies, e.soft_checks_failed
from docs d join posts p on p.site = :site and p.post_id = d.post_id
left join blobs b on b.sha256 = d.sha256
left join extractions e on e.id = (select max(x.id) from extractions x where x.sha256 = d.sha256)
order by d.post_id, d.attachment_id"""


@dataclass
class Cell:
    """One printed cell: value as read, its state, the checks that mark it."""

    key: str
    value: object = None
    raw: str | None = None
    state: str = "missing"
    checks: list[dict] = field(default_factory=list)
    provenance: str = ""

    @property
    def text(self) -> str:
        if self.state == "missing":
            return ""
        if self.value is None:
            return (self.raw or "").strip()
        if isinstance(self.value, float) and self.value.is_integer():
            return str(int(self.value))
        return str(self.value)

    @property
    def css(self) -> str:
        marks = {mark_class(c) for c in self.checks}
        return " ".join(["cell", f"state-{self.state}", *sorted(marks)])

    @property
    def title(self) -> str:
        what = {"missing": "未找到 / not found in the document",
                "value": ""}.get(self.state, f"原文 / printed: {self.raw!r} ({self.state})")
        notes = [f"{c['rule']} {c['scope']}: {c['status_label']} — {c['rule_text']}"
                 + (f" ({c['detail']})" if c["detail"] else "") for c in self.checks]
        return "\n".join([f"{self.key}", what, *notes]).strip()


def mark_class(check) -> str:
    """How a failing check marks its cells: a source anomaly, a failed hard identity (a
    possible extraction error) or a failed soft warning, each its own colour."""
    if check["severity"] == "soft":
        return "mark-soft"
    return f"mark-{check['status']}"


async def report_page(datasette, request):
    site, year_text = path_var(request, "site"), path_var(request, "year")
    db = datasette.get_database()
    if not YEAR.fullmatch(year_text):
        return await not_found(datasette, request, f"{quoted(year_text)} 不是年度 / is not a year",
                               site=site)
    report = (await db.execute(REPORT_SQL, {"site": site, "year": int(year_text)})).first()
    if report is None:
        known = (await db.execute("select name from sites where slug = ?", [site])).first()
        if known is None:
            return await not_found(datasette, request,
                                   f"没有站点 {quoted(site)} / no site {quoted(site)}")
        return await not_found(datasette, request, f"{known['name']}（{site}）没有 {year_text} "
                               f"年的年报 / has no report for {year_text}", site=site)
    context = await report_context(datasette, db, dict(report))
    return Response.html(await datasette.render_template("gk_report.html", context,
                                                         request=request))


class CellBook:
    """The report's stored cells, each made a :class:`Cell` once, the first time it is printed."""

    def __init__(self, stored: dict[str, dict], provenance: str, report_id: int):
        self.stored, self.provenance, self.report_id = stored, provenance, report_id
        self.cells: dict[str, Cell] = {}

    def __call__(self, key: str) -> Cell:
        if key not in self.cells:
            found = self.stored.get(key, {})
            link = urlencode({"report_id": self.report_id, "key": key})
            self.cells[key] = Cell(key, found.get("value"), found.get("raw"),
                                   found.get("state", "missing"),
                                   provenance=f"{self.provenance}?{link}")
        return self.cells[key]


async def _rows(db, sql: str, params) -> list[dict]:
    return [dict(r) for r in (await db.execute(sql, params)).rows]


async def report_context(datasette, db, report: dict) -> dict:
    report_id = report["id"]
    stored = {r["key"]: r for r in await _rows(
        db, "select key, value, raw, state from report_cells where report_id = ?", [report_id])}
    checks = [dict(r, rule_text=RULES.get(r["rule"], ""), mark=mark_class(r),
                   status_label=STATUS_LABELS.get(r["status"], r["status"]))
              for r in await _rows(db, "select rule, scope, status, severity, detail from "
                                   "report_checks where report_id = ? order by rowid", [report_id])]
    marked = [c for c in checks if c["status"] in MARKED]
    cell = CellBook(stored, datasette.urls.query(db.name, "cell_provenance"), report_id)
    t2_template = template_of_table("t2", set(stored), report["template"])
    t3_template = template_of_table("t3", set(stored), report["template"])
    for n, check in enumerate(marked, start=1):
        check["n"] = n  # T3-RES sums the result rows of the template T3 was printed in
        for key in check_keys(check["rule"], check["scope"], t3_template.value, check["detail"]):
            cell(key).checks.append(check)
    sections = await _rows(db, "select number, text from report_sections where report_id = ? "
                           "order by number", [report_id])
    tables = _tables(cell, t2_template, t3_template)  # makes every printed cell
    return {
        "report": report, "database": db.name, "checks": checks, "marked": marked,
        "status_label": REPORT_STATUS_LABELS.get(report["status"], report["status"]),
        "hybrid": t2_template is not t3_template,
        "t2_template": t2_template.value, "t3_template": t3_template.value,
        **tables,
        "missing_cells": sorted(k for k, c in cell.cells.items() if c.state == "missing"),
        "sections": [dict(s, heading=SECTION_HEADINGS.get(s["number"], s["number"]))
                     for s in sections],
        "documents": await _rows(db, DOCUMENTS_SQL, {"site": report["site"],
                                                     "year": report["year"]}),
        "is_pdf": (report.get("head") or b"").startswith(b"%PDF"),
        "links": _links(datasette, db.name, report),
    }


def _tables(cell: CellBook, t2_template: Template, t3_template: Template) -> dict:
    """T2, T3 and T4 as printed, every value cell from ``cell``."""
    present_rows = {k.split(".")[1] for k in cell.stored if k.startswith("t3.")}
    t3_rows = t3_printed_rows(t3_template, present_rows)
    return {
        "t2": [{"caption": b.caption, "measures": b.measures, "item_header": T2_ITEM_HEADER,
                "rows": [(label, [cell(f"t2.{row}.{m.key}") for m in b.measures])
                         for row, label in b.rows]} for b in t2_blocks(t2_template)],
        "t3_header": t3_header(), "t3_applicants": T3_APPLICANTS,
        "t3_organisations": T3_ORGANISATIONS,
        "t3": [(labels, row, [cell(f"t3.{row}.{c}") for c in T3_COLS])
               for labels, row in zip(t3_label_cells(t3_rows), t3_rows)],
        "t4_review": T4_LABELS["review"], "t4_suit": T4_SUIT,
        "t4_suit_groups": [T4_SUIT_GROUPS[g] for g in T4_GROUPS[1:]],
        "t4_outcomes": [T4_OUTCOME_LABELS[o] for o in T4_OUTCOMES],
        "t4": [cell(f"t4.{g}.{o}") for g, o in T4_COLUMNS],
    }


def _links(datasette, database: str, report: dict) -> dict:
    rid = report["id"]
    cells = datasette.urls.table(database, "report_cells")
    return {
        "json": f"{cells}.json?{urlencode({'report_id': rid, '_shape': 'array', '_size': 'max'})}",
        "csv": f"{cells}.csv?{urlencode({'report_id': rid, '_size': 'max'})}",
        "checks": f"{datasette.urls.table(database, 'report_checks')}?report_id={rid}",
        "row": datasette.urls.row(database, "reports", rid),
        "t3_query": f"{datasette.urls.query(database, 'report_t3')}?report_id={rid}",
        "blob": datasette.urls.path(f"/-/blob/{report['source_sha256']}"),
        "inline": datasette.urls.path(f"/-/blob/{report['source_sha256']}?inline=1"),
        "body": datasette.urls.path(body_path(report["site"])),
    }
