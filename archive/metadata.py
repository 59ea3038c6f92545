"""Datasette metadata of the archive: bilingual titles, sources, licences, column units, facets.

Built as data so ``gkarchive serve`` and the tests share it; the archive file is never changed.

Example::

    meta = build_metadata("archive")
    meta["databases"]["archive"]["queries"]["report_t3"]["sql"]
"""

from __future__ import annotations

from archive.datasette_plugin.layout import T3_COL_LABELS, T4_OUTCOME_LABELS
from archive.datasette_plugin.queries import CANNED_QUERIES

SOURCE = "各地政府信息公开平台（gkmlpt）/ gkmlpt disclosure portals listed in config/sites.toml"
SOURCE_URL = "https://www.gd.gov.cn/"
DOC_LICENSE = "政府公开信息（《政府信息公开条例》）/ Government information disclosed under the OGI Regulations"
DOC_LICENSE_URL = "https://www.gov.cn/zhengce/content/2019-04/15/content_5382991.htm"
CODE_LICENSE = "MIT (gkarchive: schema, parsing and derived data)"

RAW = {"source": SOURCE, "source_url": SOURCE_URL, "license": DOC_LICENSE,
       "license_url": DOC_LICENSE_URL}
DERIVED = {"source": "gkarchive 从原始文件解析 / parsed by gkarchive from the archived documents",
           "license": CODE_LICENSE,
           "license_url": "https://opensource.org/license/mit"}


def _table(title: str, description: str, columns: dict[str, str], *, facets=(), derived=False,
           **extra) -> dict:
    meta = {"title": title, "description": description, "columns": columns,
            **(DERIVED if derived else RAW), **extra}
    if facets:
        meta["facets"] = list(facets)
    return meta


# The three kinds of failing check (migration m008): each column counts one kind only.
CHECK_COUNTS = {
    "hard_checks_failed": "硬校验失败数（T3-BAL、T3-RES、T3-ROW、T4-SUM、DOM 未通过，可能是提取错误）"
                          " / hard identities failed: a possible extraction error",
    "source_anomalies": "原文自身不一致数（硬校验，所读数字可靠但原文合计不符）/ hard identities "
                        "the source itself breaks",
    "soft_checks_failed": "警告数（W- 软规则未通过）/ soft W- warnings failed",
}
RUN_COLUMNS = {"first_run": "首次见到的运行 / run that first saw it (runs.id)",
               "last_run": "最近见到的运行 / run that last saw it (runs.id)"}

TABLES: dict[str, dict] = {
    "runs": _table("运行 / Runs", "每次 crawl、回填或重新提取的调用及其摘要。Each invocation.", {
        "command": "命令 / crawl, backfill, reextract…", "args": "参数 (JSON)",
        "started_at": "开始时间 (UTC, ISO 8601)", "finished_at": "结束时间 (UTC, ISO 8601)",
        "status": "结果 / outcome", "crawler_version": "爬虫版本 / gkarchive version",
        "summary": "每站点摘要 (JSON) / per-site summary"}, facets=("status", "command")),
    "sites": _table("站点 / Sites", "抓取的站点配置（最近一次）。The config entry of each site.", {
        "slug": "站点代号 / slug, e.g. dg-fenggang", "name": "机关名称 / agency name",
        "region": "行政区划 / region", "entry_urls": "入口地址 (JSON list)",
        "allowed_hosts": "允许的主机 (JSON list)", "config": "完整配置 (JSON)",
        "updated_run": "配置更新的运行 / run that stored this config"},
        facets=("region",), label_column="name"),
    "blobs": _table("原始文件 / Blobs", "每个下载内容按 sha256 只存一次；/-/blob/<sha256> 下载。", {
        "sha256": "内容的 SHA-256 (hex)", "size": "大小（字节）/ size in bytes",
        "content": "内容（二进制）/ the bytes; download with /-/blob/<sha256>",
        "created_at": "存入时间 (UTC)"}, size=20),
    "fetches": _table("HTTP 请求 / Fetches", "每次 HTTP 交换或失败的尝试。Every HTTP exchange.", {
        "kind": "请求类型 / shell, list, detail, attachment…", "url": "地址 / URL",
        "status": "HTTP 状态码", "outcome": "结果 / ok, http_error, challenge, refused…",
        "fetched_at": "时间 (UTC)", "elapsed_ms": "耗时（毫秒）/ ms", "size": "正文大小（字节）/ bytes",
        "sha256": "正文 / body (blobs.sha256)", "referer_fetch_id": "引导页面的请求 / fetch of the page that led here",
        "attempt": "第几次尝试 / attempt number", "via_proxy": "经代理 / 1 when sent through --proxy",
        "new_blob": "首次存入该内容 / 1 when this fetch stored a new blob"},
        facets=("site", "kind", "outcome", "status", "run_id")),
    "posts": _table("年报文章 / Posts", "年报文章及其原始列表和详情数据。Annual-report posts.", {
        "post_id": "文章 id / post id (text: gkmlpt decimal, UCAP 32 hex)", "title": "标题", "url": "地址 / URL",
        "publish_date": "发布日期", "report_year": "报告年度 / report year",
        "year_source": "年度来源 / title, body or publish_date",
        "article": "列表接口原始数据 (JSON)", "detail": "详情页原始数据",
        "removed_run": "从平台消失的运行 / run in which it disappeared", **RUN_COLUMNS},
        facets=("site", "report_year", "classify_name")),
    "attachments": _table("附件 / Attachments", "文章的附件：原始文件可通过 sha256 链接下载。", {
        "name": "附件名称 / name as listed", "ext": "扩展名 / extension",
        "listed_in": "出现位置 / api, body or both", "status": "下载状态 / fetch status",
        "sha256": "内容 / blobs.sha256 (link downloads the original)", **RUN_COLUMNS},
        facets=("site", "ext", "status", "listed_in")),
    "errors": _table("错误 / Errors", "失败作为数据记录。Failures recorded as data.", {
        "kind": "错误类型 / kind", "message": "说明 / message", "at": "时间 (UTC)"},
        facets=("site", "kind", "run_id")),
    "site_runs": _table("站点运行 / Site runs", "每次抓取中每个站点的情况与告警。Per site and run: "
                        "reports, posts listed, shells read, errors, alarms (silent, shape).", {
        "full_listing": "1: 无年份过滤的完整抓取 / a run without a year filter",
        "listed": "列表中见到的文章数 / posts seen in the lists",
        "shells": "读到 window._CONFIG 的壳页数 / shells read", "alarms": "告警 (JSON)"},
        facets=("site", "status", "run_id")),
    "probes": _table("站点探测 / Probes", "gkarchive sites probe 的每次结果。Every probe of a site.", {
        "state": "状态 / ok, moved, gone, challenged, tls_failing, unreachable…",
        "report_categories": "年报栏目 (JSON)", "search_jsonp_url": "SEARCH_JSONP_URL"},
        facets=("state", "site", "run_id")),
    "post_versions": _table("文章版本 / Post versions", "文章的每次变更。", {
        "change": "变更 / new, changed…", "article_sha256": "列表数据的 SHA-256"},
        facets=("site", "change", "run_id")),
    "attachment_versions": _table("附件版本 / Attachment versions", "附件内容的每个版本。", {
        "sha256": "该版本内容 / blobs.sha256"}, facets=("run_id",)),
    "extractions": _table("提取 / Extractions", "按（文件, 提取器版本, 解析器版本）记录的提取结果。", {
        "extractor_version": "提取器版本", "parser_version": "解析器版本",
        "status": "提取状态 / extraction status", "format": "识别的格式 / detected format",
        "pages": "页数", "page_methods": "每页读取方式 (JSON: text, ocr…)", "text": "全文",
        "tables": "表格网格 (JSON)", "record": "年报记录 (JSON)", "template": "模板 / template",
        "cells_found": "找到的单元格数", **CHECK_COUNTS},
        facets=("status", "format", "template", "extractor_version"), derived=True),
    "reports": _table("年报 / Reports", "每个站点每年一份年报，注明所选原始文件及原因。", {
        "site": "站点 / sites.slug", "year": "报告年度 / report year", "agency": "机关 / agency",
        "title": "标题", "source_sha256": "所选原始文件 / chosen document (blobs.sha256)",
        "source_name": "原始文件名", "chosen_because": "选择理由 / why this document",
        "template": "模板 / 2019, 2021, pre2019, unknown", "cells_found": "找到的单元格数",
        "cells_missing": "缺失的单元格数", **CHECK_COUNTS, "run_id": "生成该年报的运行"},
        facets=("site", "year", "template"), derived=True, sort_desc="year"),
    "report_overview": _table(
        "年报一览 / Reports overview", "每份年报一行，含地区和状态，可按站点、地区、年度、模板、"
        "状态筛选。One row per report with its region and a status (ok, incomplete, "
        "source_anomaly, hard_checks_failed, soft_checks_failed, unreadable).", {
            "region": "行政区划 / region", "status": "状态（按先后）：unreadable 无法读取、"
            "hard_checks_failed 硬校验失败（可能是提取错误）、source_anomaly 原文不一致、"
            "incomplete 缺格、soft_checks_failed 仅警告未通过、ok 完整 / status, first that applies",
            **CHECK_COUNTS,
            "source_sha256": "所选原始文件 / chosen document (blobs.sha256)"},
        facets=("site", "region", "year", "template", "status"), derived=True, sort_desc="year"),
    "report_cells": _table("年报单元格 / Report cells", "每个单元格一行；键见 report-schema.md。", {
        "key": "规范键 / canonical key, e.g. t3.new_received.total",
        "table_name": "表 / t2, t3, t4", "row_key": "行键 / row key", "col_key": "列键 / column key",
        "value": "数值：件数；proc_amount_yuan 单位为元，fee_amount_wan 单位为万元 / count, or "
                 "money in 元 (proc_amount_yuan) or 万元 (fee_amount_wan); null when printed blank",
        "raw": "原文 / the cell's text as printed", "state": "状态 / ok, uncertain, blank…"},
        facets=("table_name", "state", "col_key"), derived=True),
    "report_checks": _table("年报校验 / Report checks", "会计恒等式校验。T3-BAL, T3-RES, T3-ROW, T4-SUM, DOM…", {
        "rule": "规则 / rule id", "scope": "范围 / column, row or group",
        "status": "ok, failed, source_anomaly, not_assessable", "severity": "严重程度 / hard or soft",
        "detail": "说明 / detail"}, facets=("rule", "status", "severity"), derived=True),
    "report_sections": _table("年报章节 / Report sections", "各章节正文（一至六）。", {
        "number": "章节号 / section number 1–6", "text": "正文"}, derived=True),
    "report_search": _table("全文检索 / Report search", "FTS5 trigram 索引；一两个字请用 /-/search。", {
        "title": "标题", "body": "正文"}, derived=True),
    "report_t2": _table("表二视图 / T2 view", "T2 cells, one per row.", {}, derived=True),
    "report_t3": _table("表三视图 / T3 view", "T3 as 7 columns per row (natural … total).",
                        dict(T3_COL_LABELS), derived=True),
    "report_t4": _table("表四视图 / T4 view", "T4 as groups × outcomes.",
                        dict(T4_OUTCOME_LABELS), derived=True),
}


def build_metadata(database: str = "archive") -> dict:
    """The whole metadata dict for a datasette serving the archive as ``database``."""
    return {
        "title": "政府信息公开工作年度报告档案 / gkarchive",
        "description_html": (
            "<p>政府信息公开工作年度报告的原始文件、抓取记录和逐格解析结果。"
            "Chinese government information-disclosure annual reports: the archived documents, "
            "every fetch, and every table cell parsed.</p>"
            '<p><a href="/-/health">站点健康 / Site health</a> · '
            '<a href="/-/search">检索 / Search</a> · '
            '<a href="/-/chart">申请数图表 / Applications chart</a> · '
            '<a href="/archive/report_overview">年报一览 / Reports overview</a> — '
            '每份年报有其页面 / every report has its page: '
            '<code>/-/report/&lt;site&gt;/&lt;year&gt;</code>, '
            '每个机关 / every body: <code>/-/body/&lt;site&gt;</code></p>'),
        **RAW,
        "databases": {database: {
            "title": "年报档案 / The archive",
            "description": "只读 / read-only. 表 reports、report_cells 为解析结果；其余为原始档案。",
            "allow_download": False,
            "tables": TABLES,
            "queries": CANNED_QUERIES,
        }},
    }
