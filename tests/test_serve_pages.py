"""The plugin's pages over HTTP (in process) on the archive the project wrote from the corpus:
``/-/report/<site>/<year>``, ``/-/body/<site>``, ``/-/health``, the 404 page, the links.

Every shown number is compared with the archive file; which cells a source anomaly marks is
derived here from report-schema.md's rules, not from the plugin's own function.
"""

from __future__ import annotations

import hashlib
import random
import re
import sqlite3
from urllib.parse import quote, unquote

import pytest
from markupsafe import escape as markup_escape

from archive.report.keys import T3_LABELS, T3_ROWS_2019, T3_ROWS_2021, all_keys
from archive.serve import make_datasette
from tests.pages_support import ReportPage, expected_text, get, page, shown, stored_cells
from tests.serve_support import SHILING_ANNEX, build_archive


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    return build_archive(tmp_path_factory.mktemp("pages") / "archive.db")


@pytest.fixture(scope="module")
def ds(facts):
    return make_datasette(facts.path)


@pytest.mark.parametrize("site, year, template, rows", [
    ("dg-fenggang", 2020, "2019", T3_ROWS_2019), ("huaian", 2024, "2021", T3_ROWS_2021)])
def test_report_page_prints_every_cell_as_stored(ds, facts, site, year, template, rows):
    shown_page = page(ds, f"/-/report/{site}/{year}")
    stored = stored_cells(facts.path, site, year)
    assert set(shown_page.values) == set(all_keys(template)), "every key of the template"
    wrong = {k: (shown_page.values[k], expected_text(*v)) for k, v in stored.items()
             if shown_page.values[k] != expected_text(*v)}
    assert not wrong and len(stored) >= 198
    assert shown_page.t3_rows() == rows
    assert shown_page.t3_labels() == [T3_LABELS[r] for r in rows]
    facts_text = shown_page.text("gk-facts")
    assert facts.golden[site, year]["title"] in shown_page.text("gk-title")
    assert f"{template}" in facts_text and str(year) in facts_text


def test_a_hybrid_prints_each_table_in_its_own_template(ds, facts):
    """赤坭镇 2021: T2 in the 2021 format, T3 with the 2019 single （六）其他处理 row."""
    hybrid = page(ds, "/-/report/huadu-chini/2021")
    expected = facts.golden["huadu-chini", 2021]["cells"]
    assert {k: v for k, v in hybrid.values.items() if k in expected} == {
        k: shown(v) for k, v in expected.items()}
    assert len(hybrid.cells("t2")) == 10 and "本年制发件数" in hybrid.text("gk-t2")
    assert hybrid.t3_rows() == T3_ROWS_2019 and "t3.other.total" in hybrid.values
    assert "混合" in hybrid.text("gk-facts") and "T3 in the 2019" in hybrid.text("gk-facts")
    assert "hybrid" not in page(ds, "/-/report/huaian/2024").text("gk-facts")


def test_t2_blocks_and_t4_are_printed_as_the_templates(ds):
    p2019, p2021 = page(ds, "/-/report/dg-fenggang/2020"), page(ds, "/-/report/huaian/2024")
    captions = lambda p: [th.text_content() for th in p.tree.xpath(  # noqa: E731
        "//table[contains(@class,'gk-t2')]//tr[contains(@class,'gk-caption')]/th")]
    assert captions(p2019) == ["第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项",
                               "第二十条第（八）项", "第二十条第（九）项"]
    assert captions(p2021) == ["第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项",
                               "第二十条第（八）项"]
    assert len(p2019.cells("t2")) == 22 and len(p2021.cells("t2")) == 10
    assert "本年收费金额（万元）" in p2021.text("gk-t2") and "采购总金额（元）" in p2019.text("gk-t2")
    t4 = [td.get("data-key") for td in p2021.cells("t4")]
    assert t4[0] == "t4.review.upheld" and t4[-1] == "t4.suit_after_review.total" and len(t4) == 15


def test_source_anomalies_are_marked_on_their_cells_with_the_rule(ds, facts):
    key = ("huadu-shiling", 2020)
    report = page(ds, "/-/report/huadu-shiling/2020")
    anomalies = [c for c in facts.golden[key]["checks"] if c["status"] == "source_anomaly"]
    assert {(c["rule"], c["scope"]) for c in anomalies} == {
        ("T3-BAL", "total"), ("T3-RES", "natural"), ("T3-RES", "total")}
    # T3-BAL on the total column: rows 1, 2, 22, 23; T3-RES: (七)总计 and the result rows
    # 3–21 of its column (report-schema.md).
    balance = {"new_received", "carried_over", "total_processed", "carried_forward"}
    results = set(T3_ROWS_2019) - {"new_received", "carried_over", "carried_forward"}
    expected = {f"t3.{r}.total" for r in balance | results} | {f"t3.{r}.natural" for r in results}
    assert report.marked("mark-source_anomaly") == expected
    assert not report.marked("mark-failed") and not report.marked("mark-soft")
    assert [e.text for e in report.tree.xpath("//*[contains(@class,'gk-status')]//b")][2:] == [
        "0", "3", "0"]  # hard failed, source anomalies, soft warnings: apart
    assert "原文不一致 / source anomaly" in report.text("gk-report-status")
    listed = report.text("gk-checks")
    for check in anomalies:
        assert check["detail"] in listed
    assert "new_received + carried_over = total_processed + carried_forward" in listed
    title = report.tree.xpath("//td[@data-key='t3.total_processed.total']")[0].get("title")
    assert "T3-BAL total" in title and "T3-RES total" in title
    marks = report.tree.xpath("//td[@data-key='t3.total_processed.total']/a[@class='gk-mark']")
    assert {a.get("href") for a in marks} <= {f"#check-{n}" for n in range(1, 4)}
    assert len(marks) == 2
    clean = page(ds, "/-/report/dg-fenggang/2020")
    assert not clean.marked("mark-source_anomaly") and not clean.tree.xpath("//*[@id='checks']")


def test_each_cell_links_to_its_provenance(ds, facts):
    report = page(ds, "/-/report/huadu-shiling/2020")
    td = report.tree.xpath("//td[@data-key='t3.new_received.total']/a")[0]
    href = td.get("href")
    assert "/archive/cell_provenance?" in href and "key=t3.new_received.total" in unquote(href)
    assert len(report.links("/archive/cell_provenance?")) >= 198
    chain = get(ds, href.replace("cell_provenance?", "cell_provenance.json?") + "&_shape=array")
    [row] = chain.json()
    assert row["value"] == facts.golden["huadu-shiling", 2020]["cells"]["t3.new_received.total"]
    assert row["url"].endswith("7001_0.txt") and row["referer_url"].endswith("post_7001.html")


def test_documents_chosen_and_why_with_the_others(ds, facts):
    report = page(ds, "/-/report/huadu-shiling/2020")
    rows = report.tree.xpath("//table[contains(@class,'gk-documents')]/tbody/tr")
    assert len(rows) == 2
    chosen = [r for r in rows if "gk-is-chosen" in (r.get("class") or "")]
    assert len(chosen) == 1
    assert facts.attachment_names["huadu-shiling", 2020] in chosen[0].text_content()
    other = [r for r in rows if r is not chosen[0]][0]
    assert SHILING_ANNEX in other.text_content()
    annex_sha = hashlib.sha256(facts.annex).hexdigest()
    assert other.xpath(".//a[contains(@href, '/-/blob/')]")[0].get("href") == f"/-/blob/{annex_sha}"
    assert "best of 2 document(s)" in report.tree.text_content()
    sha = hashlib.sha256(facts.blobs["huadu-shiling", 2020]).hexdigest()
    assert report.tree.xpath("//a[contains(@class,'gk-chosen')]")[0].get("href") == f"/-/blob/{sha}"
    assert not report.tree.xpath("//object")  # a text document is not a PDF


def test_a_pdf_is_shown_inline_and_only_a_pdf(ds, facts):
    report = page(ds, "/-/report/huaian/2024")
    [obj] = report.tree.xpath("//object[@type='application/pdf']")
    inline = get(ds, obj.get("data"))
    assert inline.status_code == 200 and inline.content == facts.blobs["huaian", 2024]
    assert inline.headers["content-disposition"].startswith("inline; filename=")
    assert inline.headers["content-type"] == "application/pdf"
    assert inline.headers["x-content-type-options"] == "nosniff"
    text_sha = hashlib.sha256(facts.blobs["huadu-shiling", 2020]).hexdigest()
    forced = get(ds, f"/-/blob/{text_sha}", inline="1")
    assert forced.headers["content-disposition"].startswith("attachment;")
    assert forced.headers["content-security-policy"] == "sandbox"


def test_sections_and_cells_as_json_and_csv(ds, facts):
    key = ("huadu-shiling", 2020)
    report = page(ds, "/-/report/huadu-shiling/2020")
    sections = report.tree.xpath("//section[contains(@class,'gk-section')]")
    assert [s.get("id") for s in sections] == [f"section-{n}" for n in range(1, 7)]
    for s, (number, text) in zip(sections, sorted(facts.golden[key]["sections"].items())):
        assert s.xpath("string(.//div)") == text
    [json_link] = [a for a in report.links("/archive/report_cells.json")]
    cells = get(ds, json_link).json()
    assert {c["key"]: c["value"] for c in cells} == facts.golden[key]["cells"]
    [csv_link] = report.links("/archive/report_cells.csv")
    csv = get(ds, csv_link)
    assert csv.status_code == 200 and csv.text.count("\n") == len(cells) + 1


def test_body_page_key_figures_per_year_with_links(ds, facts):
    body = page(ds, "/-/body/dg-fenggang")
    rows = body.tree.xpath("//table[contains(@class,'gk-years')]/tbody/tr")
    assert [r.get("data-year") for r in rows] == ["2019", "2020"]
    for row in rows:
        year = int(row.get("data-year"))
        cells = facts.golden["dg-fenggang", year]["cells"]
        for td in row.xpath("./td[@data-key]"):
            assert td.text_content() == (shown(cells[td.get("data-key")]) or "—")
        assert row.xpath(".//a")[0].get("href") == f"/-/report/dg-fenggang/{year}"
    keys = [td.get("data-key") for td in rows[0].xpath("./td[@data-key]")]
    assert keys == ["t3.new_received.total", "t3.granted.total", "t3.total_processed.total",
                    "t4.review.total", "t4.suit_direct.total", "t4.suit_after_review.total"]
    bars = body.tree.xpath("//svg//rect[@class='bar']")
    assert {(b.get("data-year"), b.get("data-series")) for b in bars} == {
        (str(y), k) for y in (2019, 2020) for k in keys
        if facts.golden["dg-fenggang", y]["cells"][k] is not None}


def test_a_site_with_no_report(ds):
    body = get(ds, "/-/body/dg-qingxi")
    assert body.status_code == 200 and "尚无年报" in body.text and "2020: 1" in body.text
    missing = get(ds, "/-/report/dg-qingxi/2020")
    assert missing.status_code == 404
    assert "东莞市清溪镇人民政府（dg-qingxi）没有 2020 年的年报" in missing.text
    assert 'href="/-/body/dg-qingxi"' in missing.text


@pytest.mark.parametrize("path, message", [
    ("/-/report/nowhere/2020", "没有站点 “nowhere”"), ("/-/body/nowhere", "没有站点 “nowhere”"),
    ("/-/report/huaian/2023", "没有 2023 年的年报"), ("/-/report/huaian/2O24", "不是年度"),
    ("/-/report/huaian/２０２４", "不是年度"), ("/-/report/id/999", "没有编号为 999 的年报")])
def test_unknown_site_or_year_is_a_clear_404(ds, path, message):
    response = get(ds, path)
    assert response.status_code == 404 and message in response.text
    assert "<title>未找到 / Not found</title>" in response.text


HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>",
           "<iframe src=javascript:alert(1)>", "&lt;b&gt;", "{{ 7*7 }}", "{% raw %}x"]


def _hostile(rng: random.Random) -> str:
    """A random string of markup, quotes, template syntax and CJK, never a bare slash."""
    parts = ["<", ">", '"', "'", "&", "{{", "}}", "{%", "%}", "<script>", "</script>",
             "javascript:", "onerror=", "年报", "狮岭", "\\", "`", "=", " ", "#"]
    return "".join(rng.choice(parts) for _ in range(rng.randint(1, 12)))


@pytest.mark.parametrize("seed", range(14))
def test_hostile_input_in_the_path_is_escaped_never_echoed(ds, seed):
    text = HOSTILE[seed] if seed < len(HOSTILE) else _hostile(random.Random(seed))
    encoded = quote(text, safe="")
    for path in (f"/-/report/{encoded}/2020", f"/-/body/{encoded}",
                 f"/-/report/huaian/{encoded}"):
        response = get(ds, path)
        assert response.status_code == 404, path
        [message] = ReportPage.parse(response.text).tree.xpath("//p[@class='gk-not-found']")
        assert text in message.text_content(), path  # said, as text
        if any(ch in text for ch in "<>&\"'"):
            assert text not in response.text, path  # never raw in the HTML
        assert str(markup_escape(text)) in response.text, path
        if "{{ 7*7 }}" in text:
            assert "49" not in message.text_content()


def test_a_long_path_is_quoted_short(ds):
    response = get(ds, "/-/body/" + "年" * 5000)
    assert response.status_code == 404 and "年" * 80 + "…" in response.text
    assert "年" * 81 not in response.text


def test_health_page_per_site(ds):
    health = page(ds, "/-/health")
    rows = {tr.get("data-site"): tr
            for tr in health.tree.xpath("//table[contains(@class,'gk-health')]/tbody/tr")}
    assert set(rows) == {"dg-fenggang", "dg-qingxi", "huadu-shiling", "huadu-chini", "huaian"}
    qingxi = rows["dg-qingxi"].text_content()
    assert "从未 / never" in qingxi and "1 http_error" in qingxi and "无 / none" in qingxi
    shiling = rows["huadu-shiling"]
    assert "run 2" in shiling.text_content()
    assert shiling.xpath(".//a[@href='/-/report/huadu-shiling/2020']")
    assert rows["dg-fenggang"].xpath(".//a[@href='/-/report/dg-fenggang/2019']")
    assert "this archive has no table" not in health.tree.text_content()  # m006, m007 ran
    answer = get(ds, "/-/health", _format="json").json()
    assert answer["sites"]["dg-qingxi"]["open_failures"] == {"http_error": 1}
    assert list(rows)[0] == "dg-qingxi"  # the site needing attention first
    assert "5 sites, 1 needing attention" in health.text("gk-paging")


def test_health_page_pages_thousands_of_sites(facts, tmp_path, monkeypatch):
    import importlib

    health_page = importlib.import_module("archive.datasette_plugin.health_page")
    monkeypatch.setattr(health_page, "SITES_PER_PAGE", 2)
    ds = make_datasette(facts.path)
    first, last = page(ds, "/-/health"), page(ds, "/-/health?page=3")
    sites = lambda p: p.tree.xpath("//table[contains(@class,'gk-health')]/tbody/tr/@data-site")  # noqa: E731
    assert sites(first) == ["dg-qingxi", "dg-fenggang"] and sites(last) == ["huaian"]
    assert first.tree.xpath("//a[@rel='next']/@href") == ["?page=2"]
    assert not last.tree.xpath("//a[@rel='next']") and "page 3 of 3" in last.text("gk-paging")
    assert sites(page(ds, "/-/health?page=99")) == ["huaian"]  # past the end: the last page
    assert sites(page(ds, "/-/health?page=x")) == sites(first)


# Rows of the tables of m006 (unassigned reports) and m007 (site runs, probes), as a crawl
# and a probe write them.
OTHER_BRANCHES_DDL = """
INSERT INTO unassigned_reports VALUES ('http://x/1', '某局', '<b>别处</b>的年报', 2020,
    'http://x/', 'huaian', 1, 2);
INSERT INTO site_runs VALUES (1, 'huaian', 1, 'ok', 1, 1, 0, 10, 1, '[]');
INSERT INTO site_runs VALUES (2, 'huaian', 1, 'error', 0, 0, 0, 0, 1,
    '[{"kind": "silent", "message": "had 1 annual reports in run 1, lists none now"}]');
INSERT INTO probes (run_id, site, probed_at, state, url) VALUES (2, 'huaian', 'now', 'ok', 'u');
"""


def test_health_page_shows_the_tables_other_parts_add(facts, tmp_path):
    """``unassigned_reports`` (m006), ``site_runs`` and ``probes`` (m007) with rows in them,
    written on a copy of the archive: the page renders them."""
    copy = tmp_path / "copy.db"
    src = sqlite3.connect(facts.path)
    src.backup(dst := sqlite3.connect(copy))
    src.close()
    dst.executescript(OTHER_BRANCHES_DDL)
    dst.close()
    health = page(make_datasette(copy), "/-/health")
    [table] = health.tree.xpath("//table[@data-table='unassigned_reports']")
    assert "<b>别处</b>的年报" in table.text_content() and not table.xpath(".//b")
    [alarms] = health.tree.xpath("//table[@data-table='site_runs']")
    assert len(alarms.xpath(".//tbody/tr")) == 1  # only runs with alarms
    assert "this archive has no table" not in health.tree.text_content()
    huaian = health.tree.xpath("//tr[@data-site='huaian']")[0]
    assert "silent: had 1 annual reports in run 1, lists none now" in \
        huaian.xpath(".//td[@class='gk-alarms']")[0].text_content()
    assert [td.text_content() for td in huaian.xpath("./td")[-2:]] == ["1", "1"]  # per site
    assert "gk-unhealthy" in huaian.get("class")


def test_ids_and_slugs_link_to_the_pages(ds, facts):
    overview = get(ds, "/archive/report_overview").text
    assert 'href="/-/report/huadu-shiling/2020"' in overview
    assert 'href="/-/body/huadu-shiling"' in overview
    query = get(ds, "/archive/reports_of_year", year="2020").text
    assert 'href="/-/report/huadu-shiling/2020"' in query and 'href="/-/body/huadu-chini"' in query
    problems = get(ds, "/archive/reports_with_problems").text
    assert 'href="/-/report/huadu-shiling/2020"' in problems
    sites = get(ds, "/archive/sites").text
    assert 'href="/-/body/dg-qingxi"' in sites
    report_id = facts.report_ids["huadu-shiling", 2020]
    checks = get(ds, "/archive/report_checks", report_id=str(report_id)).text  # via the id
    assert f'href="/-/report/id/{report_id}"' in checks
    redirect = get(ds, f"/-/report/id/{report_id}")
    assert redirect.status_code == 302
    assert redirect.headers["location"] == "/-/report/huadu-shiling/2020"


def test_canned_queries_hide_their_sql_by_default(ds):
    hidden = get(ds, "/archive/report_t3", report_id="1").text
    assert "max(case col_key" not in hidden and "_show_sql=1" in hidden
    shown_sql = get(ds, "/archive/report_t3", report_id="1", _show_sql="1").text
    assert "max(case col_key" in shown_sql


def test_home_page_links_to_health_and_search(ds):
    home = ReportPage.parse(get(ds, "/").text)
    links = home.tree.xpath("//*[contains(@class,'metadata-description')]//a/@href")
    assert "/-/health" in links and "/-/search" in links  # on the page, not only in the menu


def test_report_overview_status_says_which_kind(ds):
    rows = get(ds, "/archive/report_overview.json", _shape="array").json()
    status = {(r["site"], r["year"]): r["status"] for r in rows}
    assert status["huadu-shiling", 2020] == "source_anomaly" and status["huaian", 2024] == "ok"
    assert {"hard_checks_failed", "source_anomalies", "soft_checks_failed"} <= set(rows[0])
    assert "checks_failed" not in rows[0]


def test_the_archive_is_what_the_project_writes(facts):
    """Cell states and check counts as the writer records them (not a test's guess)."""
    conn = sqlite3.connect(facts.path)
    counts = conn.execute("select hard_checks_failed, source_anomalies, soft_checks_failed "
                          "from reports where site = 'huadu-shiling'").fetchone()
    states = {s for (s,) in conn.execute("select distinct state from report_cells")}
    severities = {s for (s,) in conn.execute("select distinct severity from report_checks")}
    conn.close()
    assert counts == (0, 3, 0) and states == {"value", "blank"} and severities == {"hard", "soft"}


def test_health_page_shows_what_archive_status_adds(ds, monkeypatch):
    """Issue 15 extends ``archive_status`` (status, last new report, streaks, probe): stood
    in for here by wrapping this branch's function, to show the page renders those keys."""
    import importlib

    from archive.status import archive_status

    health_page = importlib.import_module("archive.datasette_plugin.health_page")

    def extended(conn):
        sites = archive_status(conn)
        for site in sites.values():
            site.update(status="error", zero_streak=2, error_streak=3,
                        last_new_report={"run": 1, "finished_at": "x", "title": "某年报"},
                        probe={"state": "no_report_category", "at": "x", "detail": ""})
        return sites

    monkeypatch.setattr(health_page, "archive_status", extended)
    health = page(ds, "/-/health")
    headers = [th.text_content()
               for th in health.tree.xpath("//table[contains(@class,'gk-health')]//th")]
    assert "状态 / status" in headers and "探测 / probe" in headers
    row = health.tree.xpath("//tr[@data-site='huaian']")[0].text_content()
    assert "no_report_category" in row and "run 1: 某年报" in row and "error" in row
