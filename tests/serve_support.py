"""A realistic archive for the serve tests: five sites, two runs, the golden reports.

Every row goes through the real schema (``archive.db.open_db`` applies the migrations):
runs, sites, blobs, fetches (list page → detail page → attachment, linked by
``referer_fetch_id``), posts, attachments, extractions, and reports with their cells, checks,
sections and search rows taken from ``tests/golden/*.json``.

Example::

    facts = build_archive(tmp_path / "archive.db")
    facts.report_ids["huadu-shiling", 2020]
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from archive.search import index_report
from archive.db import open_db

GOLDEN = Path(__file__).parent / "golden"
NOW = "2024-05-01T02:00:00+00:00"

SITES = {
    "dg-fenggang": ("东莞市凤岗镇人民政府", "广东省东莞市凤岗镇", "http://www.dg.gov.cn/fg/"),
    "dg-qingxi": ("东莞市清溪镇人民政府", "广东省东莞市清溪镇", "http://www.dg.gov.cn/qx/"),
    "huadu-shiling": ("广州市花都区狮岭镇人民政府", "广东省广州市花都区狮岭镇",
                      "http://www.huadu.gov.cn/hdslz/gkmlpt/index"),
    "huadu-chini": ("广州市花都区赤坭镇人民政府", "广东省广州市花都区赤坭镇",
                    "http://www.huadu.gov.cn/hdcnz/gkmlpt/index"),
    "huaian": ("淮安市人民政府", "江苏省淮安市", "http://www.huaian.gov.cn/gkmlpt/index"),
}
# (site, golden file, year, post id, run that built the report, attachment name, ext)
REPORTS = [
    ("dg-fenggang", "000_07f264319299b7d3", 2020, 3301, 1, "2020年凤岗镇政府信息公开工作年度报告.pdf", "pdf"),
    ("dg-fenggang", "003_11c4e88847043786", 2019, 2901, 1, "凤岗镇2019年年报.pdf", "pdf"),
    ("huadu-shiling", "002_ca953a3e6110b081", 2020, 7001, 2,
     '../狮岭镇2020年"年报":终稿.docx', "docx"),
    ("huadu-chini", "003_11c4e88847043786", 2020, 7101, 1, "赤坭镇2020年报.pdf", "pdf"),
    ("huaian", "huaian-2024", 2024, 9001, 2, "淮安市2024年年报.pdf", "pdf"),
]

# Posts often say 年报 where the document says 年度报告: the search must find both.
TITLES = {("dg-fenggang", 2019): "凤岗镇2019年政府信息公开年报"}


@dataclass
class ArchiveFacts:
    """What the builder put in, for the tests to check the answers against."""

    path: Path
    report_ids: dict[tuple[str, int], int] = field(default_factory=dict)
    golden: dict[tuple[str, int], dict] = field(default_factory=dict)
    blobs: dict[tuple[str, int], bytes] = field(default_factory=dict)
    attachment_names: dict[tuple[str, int], str] = field(default_factory=dict)
    fetch_ids: dict[tuple[str, int], int] = field(default_factory=dict)


def document_bytes(title: str, ext: str) -> bytes:
    head = b"%PDF-1.4\n" if ext == "pdf" else b"PK\x03\x04"
    return head + title.encode() + b"\n" + b"x" * 3000


def build_archive(path: Path) -> ArchiveFacts:
    facts = ArchiveFacts(path=path)
    db = open_db(path)
    conn: sqlite3.Connection = db.conn
    conn.execute("BEGIN IMMEDIATE")
    for run_id in (1, 2):
        conn.execute("insert into runs (id, command, args, started_at, finished_at, status, "
                     "crawler_version) values (?, 'crawl', '{}', ?, ?, 'finished', '0.1.0')",
                     (run_id, f"2024-0{run_id}-01T02:00:00+00:00", f"2024-0{run_id}-01T03:00:00+00:00"))
    for slug, (name, region, entry) in SITES.items():
        config = {"name": name, "region": region, "entry_urls": [entry], "enabled": True}
        conn.execute("insert into sites values (?, ?, ?, ?, ?, ?, 1)",
                     (slug, name, region, json.dumps([entry]),
                      json.dumps([entry.split("/")[2]]), json.dumps(config, ensure_ascii=False)))
    for site, golden_name, year, post_id, run_id, att_name, ext in REPORTS:
        _add_report(conn, facts, site, golden_name, year, post_id, run_id, att_name, ext)
    conn.execute("COMMIT")
    db.conn.close()
    return facts


def _fetch(conn, run_id, site, kind, url, sha=None, referer=None, status=200) -> int:
    cur = conn.execute(
        "insert into fetches (run_id, site, kind, method, url, status, outcome, request_headers, "
        "fetched_at, size, sha256, referer_fetch_id, referer_url) values "
        "(?, ?, ?, 'GET', ?, ?, 'ok', '{}', ?, 0, ?, ?, (select url from fetches where id = ?))",
        (run_id, site, kind, url, status, NOW, sha, referer, referer))
    return cur.lastrowid


def _add_report(conn, facts, site, golden_name, year, post_id, run_id, att_name, ext) -> None:
    golden = json.loads((GOLDEN / f"{golden_name}.json").read_text())
    title = TITLES.get((site, year), golden["title"])
    host = SITES[site][2].split("/")[2]
    body = document_bytes(f"{site} {year} {title}", ext)
    sha = hashlib.sha256(body).hexdigest()
    conn.execute("insert or ignore into blobs values (?, ?, ?, ?, ?)", (sha, len(body), body, run_id, NOW))
    list_id = _fetch(conn, run_id, site, "list", f"http://{host}/gkmlpt/api/all/0?page=1")
    post_url = f"http://{host}/gkmlpt/content/0/{post_id}/post_{post_id}.html"
    detail_id = _fetch(conn, run_id, site, "detail", post_url, referer=list_id)
    att_url = f"http://{host}/attachment/0/{post_id}/{post_id}.{ext}"
    att_fetch = _fetch(conn, run_id, site, "attachment", att_url, sha=sha, referer=detail_id)
    conn.execute(
        "insert into posts (site, post_id, title, url, publish_date, report_year, year_source, "
        "article, detail_fetch_id, list_fetch_id, first_run, last_run) values "
        "(?, ?, ?, ?, ?, ?, 'title', '{}', ?, ?, ?, ?)",
        (site, post_id, title, post_url, f"{year + 1}-01-20", year, detail_id, list_id, run_id, 2))
    conn.execute(
        "insert into attachments (site, post_id, url, name, ext, listed_in, status, sha256, "
        "fetch_id, first_run, last_run) values (?, ?, ?, ?, ?, 'api', 'ok', ?, ?, ?, 2)",
        (site, post_id, att_url, att_name, ext, sha, att_fetch, run_id))
    cur = conn.execute(
        "insert into extractions (sha256, name, extractor_version, parser_version, status, format, "
        "template, cells_found, checks_failed, run_id, created_at) values "
        "(?, ?, 'extract-1.2', 'parse-1.1', 'ok', ?, ?, ?, 0, ?, ?)",
        (sha, att_name, ext, golden["template"], len(golden["cells"]), run_id, NOW))
    failed = sum(c["status"] == "failed" for c in golden["checks"])
    anomalies = sum(c["status"] == "source_anomaly" for c in golden["checks"])
    cur = conn.execute(
        "insert into reports (site, year, agency, title, post_id, extraction_id, source_sha256, "
        "source_name, chosen_because, template, cells_found, cells_missing, checks_failed, "
        "source_anomalies, run_id, updated_at) values "
        "(?, ?, ?, ?, ?, ?, ?, ?, 'only attachment', ?, ?, ?, ?, ?, ?, ?)",
        (site, year, golden["agency"], title, post_id, cur.lastrowid, sha, att_name,
         golden["template"], len(golden["cells"]), len(golden["missing"]), failed, anomalies,
         run_id, NOW))
    report_id = cur.lastrowid
    for key, value in golden["cells"].items():
        table, row, col = key.split(".")
        conn.execute("insert into report_cells values (?, ?, ?, ?, ?, ?, ?, ?)",
                     (report_id, key, table, row, col, value,
                      None if value is None else str(value), "blank" if value is None else "ok"))
    for check in golden["checks"]:
        conn.execute("insert into report_checks values (?, ?, ?, ?, 'hard', ?)",
                     (report_id, check["rule"], check["scope"], check["status"], check.get("detail")))
    for number, text in golden["sections"].items():
        conn.execute("insert into report_sections values (?, ?, ?)", (report_id, number, text))
    index_report(conn, report_id, title, "\n".join(golden["sections"].values()), site, year)
    key = (site, year)
    facts.report_ids[key], facts.golden[key], facts.blobs[key] = report_id, golden, body
    facts.attachment_names[key], facts.fetch_ids[key] = att_name, att_fetch
