"""The archive's canned queries (read-only SQL), with the printed layouts of T2, T3 and T4.

The layouts are ``VALUES`` lists generated from :mod:`archive.report.keys`, so the queries
print rows in the official order with the official Chinese labels, without any view or table
being added to the archive itself.

Example::

    >>> sorted(CANNED_QUERIES)[:2]
    ['applications_received', 'attachments_by_format']
"""

from __future__ import annotations

from archive.datasette_plugin.layout import (T2_BLOCKS, T2_MEASURES, T4_LABELS, t3_group,
                                             t3_row_order)
from archive.report.keys import (T2_ROWS_BY_TEMPLATE, T3_LABELS, T3_ROWS_2019, T3_ROWS_2021,
                                 T4_GROUPS)
from archive.search import SEARCH_SQL

def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _values(rows: list[tuple]) -> str:
    return ",\n  ".join(
        "(" + ", ".join(str(v) if isinstance(v, int) else _quote(v) for v in row) + ")"
        for row in rows)


def t2_layout() -> list[tuple]:
    """(template, ord, block, item, measure, key) for every T2 cell of both templates."""
    rows = []
    for template, t2_rows in T2_ROWS_BY_TEMPLATE.items():
        for row in t2_rows:
            for col in row.columns:
                rows.append((template.value, len(rows) + 1, T2_BLOCKS[row.key], row.labels[0],
                             T2_MEASURES[template][col], f"t2.{row.key}.{col}"))
    return rows


def t3_layout() -> list[tuple]:
    """(ord, row_key, grp, label, templates) for every T3 row, the 2019 ``other`` row first."""
    rows = []
    for ord_, key in enumerate(t3_row_order(), start=1):
        templates = ",".join(t for t, keys in (("2019", T3_ROWS_2019), ("2021", T3_ROWS_2021))
                             if key in keys)
        rows.append((ord_, key, " ".join(p for p in t3_group(key) if p), T3_LABELS[key],
                     templates))
    return rows


T2_SQL = f"""with layout(template, ord, block, item, measure, key) as (values
  {_values(t2_layout())})
select l.block, l.item, l.measure, c.value, c.raw, c.state, l.key
from reports r
join layout l on l.template = r.template
left join report_cells c on c.report_id = r.id and c.key = l.key
where r.id = cast(:report_id as integer)
order by l.ord"""

# The pivots read only the one report's cells (the report_t3/report_t4 views pivot every
# report first: seconds on a 50,000-report archive, see docs/benchmarks.md).
T3_SQL = f"""with layout(ord, row_key, grp, label, templates) as (values
  {_values(t3_layout())}),
t as (select row_key,
         max(case col_key when 'natural' then value end) as natural,
         max(case col_key when 'commercial' then value end) as commercial,
         max(case col_key when 'research' then value end) as research,
         max(case col_key when 'public_interest' then value end) as public_interest,
         max(case col_key when 'legal_service' then value end) as legal_service,
         max(case col_key when 'org_other' then value end) as org_other,
         max(case col_key when 'total' then value end) as total
       from report_cells
       where report_id = cast(:report_id as integer) and table_name = 't3'
       group by row_key)
select l.grp, l.label, t.natural, t.commercial, t.research, t.public_interest,
       t.legal_service, t.org_other, t.total, l.row_key
from reports r
join layout l
left join t on t.row_key = l.row_key
where r.id = cast(:report_id as integer) and (instr(l.templates, r.template) > 0 or t.row_key is not null)
order by l.ord"""

T4_SQL = f"""with layout(ord, grp, label) as (values
  {_values([(i, g, T4_LABELS[g]) for i, g in enumerate(T4_GROUPS, start=1)])}),
t as (select row_key as grp,
         max(case col_key when 'upheld' then value end) as upheld,
         max(case col_key when 'corrected' then value end) as corrected,
         max(case col_key when 'other' then value end) as other,
         max(case col_key when 'pending' then value end) as pending,
         max(case col_key when 'total' then value end) as total
       from report_cells
       where report_id = cast(:report_id as integer) and table_name = 't4'
       group by row_key)
select l.label, t.upheld, t.corrected, t.other, t.pending, t.total, l.grp
from reports r
join layout l
left join t on t.grp = l.grp
where r.id = cast(:report_id as integer)
order by l.ord"""

REPORTS_OF_YEAR_SQL = """select r.id as report_id, r.site, r.year, s.name as site_name, s.region,
       r.agency, r.title, r.template, r.cells_found, r.cells_missing, r.hard_checks_failed,
       r.source_anomalies, r.soft_checks_failed, r.source_name, r.source_sha256
from reports r join sites s on s.slug = r.site
where r.year = cast(:year as integer)
order by s.region, r.site"""

SITES_WITHOUT_REPORT_SQL = """select s.slug as site, s.name, s.region,
       (select max(year) from reports where site = s.slug) as latest_report_year,
       json_extract(s.config, '$.enabled') as enabled
from sites s
where not exists (select 1 from reports r where r.site = s.slug
                  and r.year = cast(:year as integer))
order by s.region, s.slug"""

REPORTS_WITH_PROBLEMS_SQL = """select r.id as report_id, r.site, r.year, r.agency, r.title,
       k.rule, k.scope, k.status, k.severity, k.detail
from report_checks k join reports r on r.id = k.report_id
where k.status in ('failed', 'source_anomaly')
order by r.year desc, r.site, k.rule, k.scope"""

APPLICATIONS_RECEIVED_SQL = """select r.site, s.name as site_name, r.agency, r.year,
       c.value as applications_received, c.state, r.id as report_id
from reports r
join sites s on s.slug = r.site
left join report_cells c on c.report_id = r.id and c.key = 't3.new_received.total'
order by r.site, r.year"""

LAST_RUN_CHANGES_SQL = """with newest as (select max(id) as run_id from runs)
select 'post' as kind, 'new' as change, p.site, p.post_id, p.title as name, p.url
  from posts p, newest n where p.first_run = n.run_id
union all
select 'post', v.change, v.site, v.post_id, v.title, p.url
  from post_versions v join posts p using (site, post_id), newest n
  where v.run_id = n.run_id and p.first_run <> n.run_id
union all
select 'post', 'removed', p.site, p.post_id, p.title, p.url
  from posts p, newest n where p.removed_run = n.run_id
union all
select 'attachment', 'new', a.site, a.post_id, a.name, a.url
  from attachments a, newest n where a.first_run = n.run_id
union all
select 'attachment', 'new version', a.site, a.post_id, a.name, a.url
  from attachment_versions v join attachments a on a.id = v.attachment_id, newest n
  where v.run_id = n.run_id and a.first_run <> n.run_id
union all
select 'report', 'built', r.site, r.post_id, r.title, cast(r.year as text)
  from reports r, newest n where r.run_id = n.run_id
order by 1, 3, 4"""

ATTACHMENTS_BY_FORMAT_SQL = """select lower(coalesce(a.ext, '')) as ext,
       coalesce(e.format, '') as format, a.status as fetch_status,
       coalesce(e.status, 'not extracted') as extraction_status,
       count(*) as attachments, count(distinct a.site) as sites
from attachments a
left join extractions e on e.id = (select max(x.id) from extractions x where x.sha256 = a.sha256)
group by 1, 2, 3, 4
order by attachments desc, ext"""

CELL_PROVENANCE_SQL = """select c.key, c.value, c.raw, c.state,
       r.id as report_id, r.site, r.year, r.title, r.chosen_because, r.source_name,
       e.id as extraction_id, e.extractor_version, e.parser_version, e.status as extraction_status,
       e.format, e.created_at as extracted_at,
       b.sha256, b.size, f.id as fetch_id, f.url, f.fetched_at, f.status as http_status,
       f.outcome, f.run_id, run.started_at as run_started_at, run.crawler_version,
       f.referer_fetch_id, ref.url as referer_url, ref.fetched_at as referer_fetched_at,
       ref.status as referer_status, s.name as site_name, s.region, s.entry_urls,
       s.config as site_config
from report_cells c
join reports r on r.id = c.report_id
join extractions e on e.id = r.extraction_id
join blobs b on b.sha256 = r.source_sha256
left join fetches f on f.sha256 = b.sha256
left join runs run on run.id = f.run_id
left join fetches ref on ref.id = f.referer_fetch_id
join sites s on s.slug = r.site
where c.report_id = cast(:report_id as integer) and c.key = :key
order by f.fetched_at"""

def _query(sql: str, title: str, description: str) -> dict:
    """A read-only canned query whose SQL is hidden until asked for (``?_show_sql=1``)."""
    return {"sql": sql, "title": title, "description": description, "write": False,
            "hide_sql": True}


CANNED_QUERIES: dict[str, dict] = {
    "reports_of_year": _query(
        REPORTS_OF_YEAR_SQL, "某年全部年报 / All reports of a year",
        "每个机关某一年度的年报（:year，如 2020）。Every agency's report for :year, with its "
        "template, cells found/missing, failed checks and the source document."),
    "sites_without_report": _query(
        SITES_WITHOUT_REPORT_SQL, "某年缺少年报的机关 / Agencies with no report for a year",
        "没有 :year 年报的站点。Sites of the archive with no report for :year, with their "
        "latest report year."),
    "report_t2": _query(
        T2_SQL, "表二 主动公开 / One report's T2 as printed",
        "第二十条主动公开政府信息情况，按印刷顺序（栏目、信息内容、指标）。T2 of report "
        ":report_id in printed order; money in 元 (proc_amount_yuan) or 万元 (fee_amount_wan)."),
    "report_t3": _query(
        T3_SQL, "表三 收到和处理申请 / One report's T3 as printed",
        "申请人类型 7 栏：自然人、商业企业、科研机构、社会公益组织、法律服务机构、其他、总计。"
        "T3 of report :report_id: printed rows × the 7 applicant columns."),
    "report_t4": _query(
        T4_SQL, "表四 行政复议与诉讼 / One report's T4 as printed",
        "行政复议、行政诉讼 × 结果维持、结果纠正、其他结果、尚未审结、总计。"
        "T4 of report :report_id: groups × outcomes."),
    "reports_with_problems": _query(
        REPORTS_WITH_PROBLEMS_SQL, "校验未通过的年报 / Reports with failed checks",
        "校验失败（failed）或原文自身不一致（source_anomaly）的规则。Every failed check and "
        "source anomaly, by report."),
    "applications_received": _query(
        APPLICATIONS_RECEIVED_SQL, "各机关每年新收申请数 / Applications received per year",
        "t3.new_received.total（本年新收政府信息公开申请数量，总计），按机关和年度。"
        "Applications received per agency per year; see also /-/chart."),
    "last_run_changes": _query(
        LAST_RUN_CHANGES_SQL, "最近一次运行的新增与变更 / What the last run added or changed",
        "最新一次运行（runs 中 id 最大者）新增或变更的文章、附件和年报。Posts, attachments and "
        "reports that the newest run added, changed, removed or rebuilt."),
    "attachments_by_format": _query(
        ATTACHMENTS_BY_FORMAT_SQL, "附件格式与提取状态 / Attachments by format and extraction",
        "按扩展名、识别格式、下载状态和最新提取状态统计附件。Attachments counted by extension, "
        "detected format, fetch status and latest extraction status."),
    "cell_provenance": _query(
        CELL_PROVENANCE_SQL, "单元格来源链 / Provenance of one cell",
        "一个单元格（:report_id, :key，如 t3.new_received.total）从数值到提取、原始文件、"
        "下载记录、引导页面和站点配置的完整来源。One row per fetch of the source document."),
    "search_reports": _query(
        SEARCH_SQL, "全文检索 / Search the reports",
        "检索年报标题和正文（:q）。三个字以上用 FTS5 trigram 索引，一两个字（如“年报”）用双字索引。"
        "Full-text search; 1–2 character queries use an index of character pairs."),
}
