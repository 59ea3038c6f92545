"""A realistic archive for the serve tests, written the way the project writes one.

Every row goes through the project's own code: :class:`archive.store.ArchiveWriter` records
the runs, the sites' config entries, the fetches (list page → detail page → attachment,
linked by ``referer_fetch_id``), the posts, attachments and errors, and
:func:`archive.reports.build_reports` extracts the real corpus documents
(``../shared/corpus``: three plain-text reports and a real PDF) in its worker processes and
writes the reports, cells, checks, sections and search rows. So cell states, check
severities and counts are what a crawl writes, not what a test supposes.

Five sites, two runs: 凤岗镇 2019 and 2020 (template 2019), 狮岭镇 2020 (corpus 002: T3
totals that do not add up — source anomalies — and a second, partial document in the same
post), 赤坭镇 2020 and 2021 (a hybrid: 2021 T2, 2019 T3), 淮安市 2024 (the real PDF,
template 2021), and 清溪镇 with no report but an attachment that failed to download (an open
failure).

Example::

    facts = build_archive(tmp_path / "archive.db")
    facts.report_ids["huadu-shiling", 2020]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from archive.reports import build_reports
from archive.store import ArchiveWriter, Exchange, sha256_hex
from archive.summary import summarize_run

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
GOLDEN = Path(__file__).parent / "golden"

SITES = {
    "dg-fenggang": ("东莞市凤岗镇人民政府", "广东省东莞市凤岗镇", "http://www.dg.gov.cn/fg/"),
    "dg-qingxi": ("东莞市清溪镇人民政府", "广东省东莞市清溪镇", "http://www.dg.gov.cn/qx/"),
    "huadu-shiling": ("广州市花都区狮岭镇人民政府", "广东省广州市花都区狮岭镇",
                      "http://www.huadu.gov.cn/hdslz/gkmlpt/index"),
    "huadu-chini": ("广州市花都区赤坭镇人民政府", "广东省广州市花都区赤坭镇",
                    "http://www.huadu.gov.cn/hdcnz/gkmlpt/index"),
    "huaian": ("淮安市人民政府", "江苏省淮安市", "http://www.huaian.gov.cn/gkmlpt/index"),
}
# (site, corpus file, year, post id, run, attachment name as listed)
REPORTS = [
    ("dg-fenggang", "000_07f264319299b7d3.txt", 2020, 3301, 1,
     "2020年凤岗镇政府信息公开工作年度报告.txt"),
    ("dg-fenggang", "003_11c4e88847043786.txt", 2019, 2901, 1, "凤岗镇2019年年报.txt"),
    ("huadu-shiling", "002_ca953a3e6110b081.txt", 2020, 7001, 2, '../狮岭镇2020年"年报":终稿.txt'),
    ("huadu-chini", "003_11c4e88847043786.txt", 2020, 7101, 1, "赤坭镇2020年报.txt"),
    ("huaian", "huaian-2024.pdf", 2024, 9001, 2, "淮安市2024年年报.pdf"),
]
# A hybrid, as real 2021-era reports are: corpus 000 with its T2 printed in the 2021 format
# (the parser then calls the report 2021) while T3 keeps the 2019 single （六）其他处理 row.
HYBRID = ("huadu-chini", "000_07f264319299b7d3.txt", 2021, 7102, 1, "赤坭镇2021年年报.txt")
T2_2021_TEXT = ("第二十条第（一）项\n信息内容 本年制发件数 本年废止件数 现行有效件数\n规章 1 0 11\n"
                "行政规范性文件 8 26 66\n第二十条第（五）项\n信息内容 本年处理决定数量\n"
                "行政许可 447228\n第二十条第（六）项\n信息内容 本年处理决定数量\n行政处罚 3985758\n"
                "行政强制 88283\n第二十条第（八）项\n信息内容 本年收费金额（单位：万元）\n"
                "行政事业性收费 96171.6")
T2_2021_CELLS = {"t2.regulations.issued": 1, "t2.regulations.repealed": 0,
                 "t2.regulations.in_force": 11, "t2.normative_docs.issued": 8,
                 "t2.normative_docs.repealed": 26, "t2.normative_docs.in_force": 66,
                 "t2.licensing.decisions": 447228, "t2.penalty.decisions": 3985758,
                 "t2.coercion.decisions": 88283, "t2.admin_fees.fee_amount_wan": 96171.6}
# The second document of 狮岭镇's 2020 post: the report cut before section 三 (T2 only).
SHILING_ANNEX = "狮岭镇2020年年报（附表一）.txt"
FAILED_ATTACHMENT = ("dg-qingxi", 8001, 2020, "清溪镇2020年年报.pdf")

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
    annex: bytes = b""


def _site_entries() -> list[dict]:
    return [{"slug": slug, "name": name, "region": region, "entry_urls": [entry],
             "allowed_hosts": [entry.split("/")[2]], "enabled": True}
            for slug, (name, region, entry) in SITES.items()]


def build_archive(path: Path) -> ArchiveFacts:
    facts = ArchiveFacts(path=path)
    writer = ArchiveWriter.open(path)
    for run in (1, 2):
        crawled = sorted({r[0] for r in REPORTS if r[4] == run} | (
            {FAILED_ATTACHMENT[0]} if run == 1 else set()))
        run_id = writer.start_run("crawl", {"site": crawled})
        assert run_id == run
        writer.upsert_sites(_site_entries(), run_id)
        for site, corpus, year, post_id, report_run, name in [*REPORTS, HYBRID]:
            if report_run == run:
                _add_report(writer, facts, site, corpus, year, post_id, run_id, name)
        if run == 1:
            _add_failed_attachment(writer, run_id)
        writer.finish_run(run_id, "finished", "finished",
                          summarize_run(writer.db, run_id, crawled))
        build_reports(path, run_id, workers=1)
    for key in facts.blobs:
        facts.report_ids[key] = writer.db.execute(
            "SELECT id FROM reports WHERE site = ? AND year = ?", list(key)).fetchone()[0]
    writer.close()
    return facts


def _fetch(writer, run_id, site, kind, url, body: bytes, referer=None) -> int:
    return writer.record_fetch(Exchange(
        run_id=run_id, kind=kind, method="GET", url=url, request_headers={}, outcome="ok",
        site=site, status=200, response_headers={}, body=body, elapsed_ms=12,
        referer_fetch_id=referer))


def _post_pages(writer, run_id, site, post_id, title, year):
    """The list page and the detail page that lead to a post: (list, detail, post url)."""
    host = SITES[site][2].split("/")[2]
    list_id = _fetch(writer, run_id, site, "list", f"http://{host}/gkmlpt/api/all/0?page=1",
                     json.dumps({"articles": [{"id": post_id, "title": title}]}).encode())
    post_url = f"http://{host}/gkmlpt/content/0/{post_id}/post_{post_id}.html"
    detail_id = _fetch(writer, run_id, site, "detail", post_url,
                       f"<h1>{title}</h1>".encode(), referer=list_id)
    post = {"site": site, "post_id": post_id, "title": title, "url": post_url,
            "publish_date": f"{year + 1}-01-20", "classify_id": 1,
            "classify_name": "政府信息公开年报", "report_year": year, "year_source": "title",
            "article": json.dumps({"id": post_id, "title": title}, ensure_ascii=False),
            "detail": "{}", "detail_fetch_id": detail_id, "list_fetch_id": list_id,
            "article_sha256": sha256_hex(title.encode())}
    return host, detail_id, post


def hybrid_document() -> tuple[bytes, dict]:
    """The hybrid's bytes, and what it holds: corpus 000's golden cells with the 2021 T2."""
    lines = (CORPUS / HYBRID[1]).read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("二、主动公开"))
    end = next(i for i, line in enumerate(lines) if line.strip().startswith("三、收到和处理"))
    text = "\n".join([*lines[:start + 1], *T2_2021_TEXT.split("\n"), *lines[end:]])
    golden = json.loads((GOLDEN / f"{HYBRID[1].rsplit('.', 1)[0]}.json").read_text())
    cells = {k: v for k, v in golden["cells"].items() if not k.startswith("t2.")}
    kept = {k: v for k, v in golden.items() if k != "sections"}  # section 二 was rewritten
    return text.encode("utf-8"), {**kept, "template": "2021", "cells": {**T2_2021_CELLS, **cells}}


def _add_report(writer, facts, site, corpus, year, post_id, run_id, name) -> None:
    if (site, year) == (HYBRID[0], HYBRID[2]):
        body, golden = hybrid_document()
    else:
        body = (CORPUS / corpus).read_bytes()
        golden = json.loads((GOLDEN / f"{corpus.rsplit('.', 1)[0]}.json").read_text())
    title = TITLES.get((site, year), golden["title"])
    host, detail_id, post = _post_pages(writer, run_id, site, post_id, title, year)
    documents = [(name, body)]
    if site == "huadu-shiling":
        facts.annex = body.decode().split("三、")[0].encode()
        documents.append((SHILING_ANNEX, facts.annex))
    urls = [f"http://{host}/attachment/0/{post_id}/{post_id}_{i}.{n.rsplit('.', 1)[1]}"
            for i, (n, _) in enumerate(documents)]
    writer.record_post(post, "", [
        {"site": site, "post_id": post_id, "url": url, "attachment_id": None, "name": n,
         "ext": n.rsplit(".", 1)[1], "listed_in": "api", "api_entry": None, "status": "pending"}
        for url, (n, _) in zip(urls, documents)], run_id)
    for url, (n, data) in zip(urls, documents):
        fetch_id = _fetch(writer, run_id, site, "attachment", url, data, referer=detail_id)
        writer.record_attachment_result(site, post_id, url, "ok", fetch_id, sha256_hex(data),
                                        run_id)
        if n == name:
            facts.fetch_ids[site, year] = fetch_id
    key = (site, year)
    facts.golden[key], facts.blobs[key], facts.attachment_names[key] = golden, body, name


def _add_failed_attachment(writer, run_id) -> None:
    site, post_id, year, name = FAILED_ATTACHMENT
    host, detail_id, post = _post_pages(writer, run_id, site, post_id, name[:-4], year)
    url = f"http://{host}/attachment/0/{post_id}/{post_id}.pdf"
    writer.record_post(post, "", [{"site": site, "post_id": post_id, "url": url,
                                   "attachment_id": None, "name": name, "ext": "pdf",
                                   "listed_in": "api", "api_entry": None,
                                   "status": "pending"}], run_id)
    fetch_id = writer.record_fetch(Exchange(
        run_id=run_id, kind="attachment", method="GET", url=url, request_headers={},
        outcome="http_error", site=site, status=404, body=b"not found",
        referer_fetch_id=detail_id))
    writer.record_attachment_result(site, post_id, url, "http_error", fetch_id, None, run_id)
    writer.record_error(run_id, site, url, "http_error", "HTTP 404", fetch_id)
