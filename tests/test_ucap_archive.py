"""The archive works for a UCAP site unchanged: extraction builds one report per year from the
HTML bodies and the PDF/DOC/DOCX attachments, provenance leads from a cell to the list page,
and the WARC export holds the exchanges."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest

from tests.crawl_support import GKARCHIVE, REPO, crawl
from tests.ucap_portal import UcapPortal

SITE = "ganzhou-jkq-fenggang"
UCAP_SITES = REPO / "tests" / "ucap_portal" / "sites.toml"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    db = tmp_path_factory.mktemp("ucap") / "archive.db"
    with UcapPortal() as portal:
        result = crawl(portal.url, db, "--sites", str(UCAP_SITES), "--site", SITE, extract=True,
                       timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return db


def test_one_report_per_year_from_bodies_and_attachments(crawled):
    with sqlite3.connect(crawled) as conn:
        reports = {year: (name, cells) for year, name, cells in conn.execute(
            "SELECT year, source_name, cells_found FROM reports WHERE site = ?", [SITE])}
        post_ids = {p for (p,) in conn.execute("SELECT post_id FROM reports")}
    assert sorted(reports) == [2019, 2020, 2021, 2022, 2023, 2024]
    assert all(cells > 50 for _, cells in reports.values()), reports
    assert reports[2020][0] == "2020年凤岗镇政府信息公开工作年度报告.pdf"
    assert reports[2021][0] == "凤岗镇2021年政府信息公开工作年度报告.docx"
    assert reports[2019][0].endswith(".html") and reports[2024][0].endswith(".html")
    assert all(len(p) == 32 for p in post_ids)


def test_the_real_2020_numbers_and_their_provenance(crawled):
    result = subprocess.run([*GKARCHIVE, "provenance", "--db", str(crawled), "--site", SITE,
                             "--year", "2020", "--key", "t3.new_received.total"],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    chain = json.loads(result.stdout)
    assert chain["cell"]["value"] == 2  # corpus 000: 2 applications received in 2020
    assert chain["fetch"]["kind"] == "attachment"
    assert chain["fetch"]["url"].startswith("https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/202101/")
    # the report is on page 2 of the column: detail ← page 2 ← page 1 (no probe before it)
    assert [(p["kind"], p["url"].rsplit("/", 1)[-1]) for p in chain["led_by"]] == [
        ("detail", "1fe2ff1e27c4c35375ad1c4813c207c7.shtml"), ("list", "xxgk_list_nb_2.shtml"),
        ("list", "xxgk_list_nb.shtml")]
    assert chain["site_config"]["platform"] == "ucap"


def test_warc_export_of_the_ucap_site(crawled, tmp_path):
    out = tmp_path / "ucap.warc.gz"
    result = subprocess.run([*GKARCHIVE, "export", "warc", str(out), "--db", str(crawled),
                             "--site", SITE], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.stat().st_size > 100_000
