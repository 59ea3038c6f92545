"""The plugin's pages on a really crawled archive: the real spider over the simulated portal
(tests/portal), extraction on, 狮岭镇 2019–2020 one night and 2022 the next (2021 is a gap).

The shown numbers are checked against the fixture documents' truth files, which were
written independently of the extractor (tests/fixtures/make_documents.py), and against the
archive file; which cells a source anomaly marks is derived here from report-schema.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.report.keys import T3_ROWS_2019, T3_ROWS_2021, all_keys
from archive.serve import make_datasette
from tests.crawl_support import crawl
from tests.pages_support import expected_text, get, page, shown, stored_cells
from tests.portal import Portal

DOCUMENTS = Path(__file__).parent / "fixtures" / "documents"
SITE = "huadu-shiling"
UNGROUPED = {"new_received", "carried_over", "carried_forward"}
BALANCE = {"new_received", "carried_over", "total_processed", "carried_forward"}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("crawled") / "archive.db"
    with Portal(port=0) as portal:
        for years in ("2019-2020", "2022-2022"):
            result = crawl(portal.url, db, "--site", SITE, "--years", years, extract=True)
            assert result.returncode == 0, result.stderr[-2000:]
    return db


@pytest.fixture(scope="module")
def ds(crawled):
    return make_datasette(crawled)


def truth(year: int) -> dict:
    return json.loads((DOCUMENTS / f"{SITE}-{year}.truth.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("year, template, rows", [
    (2019, "2019", T3_ROWS_2019), (2020, "2019", T3_ROWS_2019), (2022, "2021", T3_ROWS_2021)])
def test_report_page_shows_the_documents_numbers(ds, crawled, year, template, rows):
    report = page(ds, f"/-/report/{SITE}/{year}")
    expected = truth(year)
    assert expected["template"] == template and set(report.values) == set(all_keys(template))
    wrong = {k: (report.values[k], shown(v)) for k, v in expected["cells"].items()
             if v is not None and report.values[k] != shown(v)}
    assert not wrong
    stored = stored_cells(crawled, SITE, year)
    assert {k: report.values[k] for k in stored} == {
        k: expected_text(*v) for k, v in stored.items()}
    assert report.t3_rows() == rows
    assert expected["title"] in report.text("gk-title")


def test_the_source_anomaly_of_2020_is_marked_where_the_rules_say(ds):
    anomalies = {(a["rule"], a["scope"]) for a in truth(2020)["source_anomalies"]}
    assert anomalies == {("T3-BAL", "natural"), ("T3-RES", "natural"), ("T3-RES", "total")}
    results = set(T3_ROWS_2019) - UNGROUPED
    expected = {f"t3.{r}.natural" for r in BALANCE | results} | {f"t3.{r}.total" for r in results}
    report = page(ds, f"/-/report/{SITE}/2020")
    assert report.marked("mark-source_anomaly") == expected
    assert [e.text for e in report.tree.xpath("//*[contains(@class,'gk-status')]//b")][2:] == [
        "0", "3", "0"]
    assert len(report.tree.xpath("//section[@id='checks']//li")) == 3
    clean = page(ds, f"/-/report/{SITE}/2019")
    assert not clean.marked("mark-source_anomaly")
    documents = [r.xpath("./td")[1].text_content().strip() for r in clean.tree.xpath(
        "//table[contains(@class,'gk-documents')]/tbody/tr")]
    assert len(documents) == 2 and any(d.endswith(".html") for d in documents)  # post body


def test_2022_the_report_and_its_annex_which_was_chosen_and_why(ds):
    report = page(ds, f"/-/report/{SITE}/2022")
    rows = report.tree.xpath("//table[contains(@class,'gk-documents')]/tbody/tr")
    names = {r.xpath("./td")[1].text_content().strip(): r for r in rows}
    annex = "附件：狮岭镇2022年政府信息公开工作年度报告统计表.docx"
    chosen = "广州市花都区狮岭镇2022年政府信息公开工作年度报告.pdf"
    assert annex in names and chosen in names
    assert "gk-is-chosen" in names[chosen].get("class")
    assert "gk-is-chosen" not in (names[annex].get("class") or "")
    assert names[annex].xpath(".//a[contains(@href,'/-/blob/')]")
    assert "best of 3 document(s) of the year" in report.tree.text_content()
    [pdf] = report.tree.xpath("//object[@type='application/pdf']")
    inline = get(ds, pdf.get("data"))
    assert inline.status_code == 200 and inline.content.startswith(b"%PDF")
    assert inline.headers["content-disposition"].startswith("inline;")


def test_body_page_every_year_with_the_gap(ds, crawled):
    body = page(ds, f"/-/body/{SITE}")
    rows = body.tree.xpath("//table[contains(@class,'gk-years')]/tbody/tr")
    assert [r.get("data-year") for r in rows] == ["2019", "2020", "2021", "2022"]
    gap = rows[2]
    assert "gk-missing-year" in gap.get("class") and "无年报" in gap.text_content()
    for row in (rows[0], rows[1], rows[3]):
        year = int(row.get("data-year"))
        cells = truth(year)["cells"]
        assert [td.text_content() for td in row.xpath("./td[@data-key]")] == [
            shown(cells[td.get("data-key")]) or "—" for td in row.xpath("./td[@data-key]")]
        assert row.xpath(".//a/@href") == [f"/-/report/{SITE}/{year}"]
    assert body.tree.xpath("//svg//text[@class='gap']/@data-year") == ["2021"]
    assert not body.tree.xpath("//svg//rect[@data-year='2021']")


def test_health_page_of_the_crawled_site(ds):
    health = page(ds, "/-/health")
    [row] = health.tree.xpath(f"//tr[@data-site='{SITE}']")
    text = row.text_content()
    assert "run 2" in text and "2019: 1, 2020: 1, 2022: 1" in text
    assert row.xpath(".//a/@href")[1:] == [f"/-/report/{SITE}/{y}" for y in (2019, 2020, 2022)]
    assert "—" in row.xpath(".//td[contains(@class,'gk-failures')]")[0].text_content()


def test_unknown_year_and_hostile_path_on_the_crawled_archive(ds):
    missing = get(ds, f"/-/report/{SITE}/2021")
    assert missing.status_code == 404 and "没有 2021 年的年报" in missing.text
    hostile = get(ds, "/-/body/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert hostile.status_code == 404 and "<script>alert(1)" not in hostile.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile.text
