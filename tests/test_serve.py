"""``gkarchive serve``: every canned query, search, downloads and the chart over HTTP (in process).

The archive is a real SQLite file built through the real schema (tests/serve_support.py);
the answers are checked against the golden reports it was built from.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3

import pytest

from archive.datasette_plugin.blob import content_disposition, safe_filename
from archive.datasette_plugin.queries import CANNED_QUERIES, T3_ROWS_2019, T3_ROWS_2021
from archive.db import ArchiveError, open_db
from archive.reports import versions
from archive.serve import make_datasette
from tests.serve_support import REPORTS, build_archive

PARAMS = {"year": "2020", "report_id": "3", "key": "t3.new_received.total", "q": "淮安"}


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    return build_archive(tmp_path_factory.mktemp("serve") / "archive.db")


@pytest.fixture(scope="module")
def ds(facts):
    return make_datasette(facts.path)


def get(ds, path: str, **params):
    return asyncio.run(ds.client.get(path, params=params or None))


def rows(ds, query: str, **params) -> list[dict]:
    response = get(ds, f"/archive/{query}.json", _shape="array", **params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("name", sorted(CANNED_QUERIES))
def test_every_canned_query_answers_and_is_read_only(ds, name):
    assert CANNED_QUERIES[name]["write"] is False
    params = {p: PARAMS[p] for p in PARAMS if f":{p}" in CANNED_QUERIES[name]["sql"]}
    assert rows(ds, name, **params), f"{name} answered no rows"
    assert get(ds, f"/archive/{name}", **params).status_code == 200


def test_reports_of_year_and_sites_without_report(ds, facts):
    found = rows(ds, "reports_of_year", year="2020")
    assert sorted(r["site"] for r in found) == ["dg-fenggang", "huadu-chini", "huadu-shiling"]
    shiling = next(r for r in found if r["site"] == "huadu-shiling")
    assert shiling["region"] == "广东省广州市花都区狮岭镇" and shiling["source_anomalies"] > 0
    missing = rows(ds, "sites_without_report", year="2020")
    assert [(r["site"], r["latest_report_year"]) for r in missing] == [
        ("dg-qingxi", None), ("huaian", 2024)]


def test_report_t3_is_printed_rows_by_seven_columns(ds, facts):
    for key, expected_rows in ((("huadu-shiling", 2020), T3_ROWS_2019),
                               (("huaian", 2024), T3_ROWS_2021)):
        table = rows(ds, "report_t3", report_id=facts.report_ids[key])
        assert [r["row_key"] for r in table] == expected_rows
        assert list(table[0])[2:9] == ["natural", "commercial", "research", "public_interest",
                                       "legal_service", "org_other", "total"]
        cells = facts.golden[key]["cells"]
        for row in table:
            for col in ("natural", "total"):
                assert row[col] == cells[f"t3.{row['row_key']}.{col}"]
    assert table[0]["label"] == "一、本年新收政府信息公开申请数量"
    assert table[-1]["label"] == "四、结转下年度继续办理"


def test_report_t2_and_t4_as_printed(ds, facts):
    t2_2019 = rows(ds, "report_t2", report_id=facts.report_ids["dg-fenggang", 2020])
    assert len(t2_2019) == 22 and t2_2019[0]["block"] == "第二十条第（一）项"
    money = next(r for r in t2_2019 if r["key"] == "t2.central_procurement.proc_amount_yuan")
    assert money["measure"] == "采购总金额（元）"
    assert money["value"] == facts.golden["dg-fenggang", 2020]["cells"][money["key"]]
    t2_2021 = rows(ds, "report_t2", report_id=facts.report_ids["huaian", 2024])
    assert [r["key"] for r in t2_2021][-1] == "t2.admin_fees.fee_amount_wan" and len(t2_2021) == 10
    t4 = rows(ds, "report_t4", report_id=facts.report_ids["huaian", 2024])
    assert [r["label"] for r in t4] == ["行政复议", "行政诉讼·未经复议直接起诉", "行政诉讼·复议后起诉"]
    cells = facts.golden["huaian", 2024]["cells"]
    assert [r["total"] for r in t4] == [cells[f"t4.{g}.total"] for g in
                                        ("review", "suit_direct", "suit_after_review")]


def test_reports_with_problems_lists_the_source_anomalies(ds, facts):
    problems = rows(ds, "reports_with_problems")
    expected = [c for c in facts.golden["huadu-shiling", 2020]["checks"]
                if c["status"] in ("failed", "source_anomaly")]
    assert {r["site"] for r in problems} == {"huadu-shiling"}
    assert sorted((r["rule"], r["scope"]) for r in problems) == sorted(
        (c["rule"], c["scope"]) for c in expected)


def test_applications_received_per_agency_per_year(ds, facts):
    answer = {(r["site"], r["year"]): r["applications_received"]
              for r in rows(ds, "applications_received")}
    assert answer == {key: g["cells"]["t3.new_received.total"] for key, g in facts.golden.items()}


def test_last_run_changes_names_what_run_2_added(ds):
    changes = rows(ds, "last_run_changes")
    newest = {(site, year) for site, _, year, _, run, _ in REPORTS if run == 2}
    assert {(r["site"], int(r["url"])) for r in changes if r["kind"] == "report"} == newest
    assert {r["kind"] for r in changes} == {"post", "attachment", "report"}


def test_attachments_by_format(ds):
    counts = {(r["ext"], r["extraction_status"]): r["attachments"]
              for r in rows(ds, "attachments_by_format")}
    # Four corpus texts, the hybrid and the annex were read, the PDF too; 清溪镇's never came.
    assert counts == {("txt", "ok"): 6, ("pdf", "ok"): 1, ("pdf", "not extracted"): 1}


def test_cell_provenance_follows_the_chain(ds, facts):
    key = ("huadu-shiling", 2020)
    [chain] = rows(ds, "cell_provenance", report_id=facts.report_ids[key],
                   key="t3.new_received.total")
    assert chain["value"] == facts.golden[key]["cells"]["t3.new_received.total"]
    assert (chain["extractor_version"], chain["parser_version"]) == versions()
    assert chain["sha256"] == hashlib.sha256(facts.blobs[key]).hexdigest()
    assert chain["fetch_id"] == facts.fetch_ids[key] and chain["url"].endswith("7001_0.txt")
    assert chain["referer_url"].endswith("post_7001.html") and chain["run_id"] == 2
    assert chain["region"] == "广东省广州市花都区狮岭镇" and '"enabled": true' in chain["site_config"]


@pytest.mark.parametrize("q, method", [("淮安", "pairs"), ("年", "pairs"),
                                       ("政府信息公开", "fts")])
def test_search_finds_short_and_long_queries(ds, facts, q, method):
    answer = get(ds, "/-/search", q=q, _format="json").json()
    assert answer["method"] == method
    found = {(r["site"], r["year"]) for r in answer["rows"]}
    canned = {(r["site"], r["year"]) for r in rows(ds, "search_reports", q=q)}
    assert found == canned
    if q == "淮安":
        assert found == {("huaian", 2024)}
    else:
        assert found == set(facts.report_ids)
    page = get(ds, "/-/search", q=q)
    assert page.status_code == 200 and "report_t3?report_id=" in page.text


def test_blob_download_has_type_and_safe_name(ds, facts):
    key = ("huadu-shiling", 2020)
    sha = hashlib.sha256(facts.blobs[key]).hexdigest()
    response = get(ds, f"/-/blob/{sha}")
    assert response.status_code == 200 and response.content == facts.blobs[key]
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and "/" not in disposition
    assert "filename*=UTF-8''" in disposition and ".." not in disposition
    assert response.headers["x-content-type-options"] == "nosniff"
    assert get(ds, f"/-/blob/{'0' * 64}").status_code == 404
    assert 'href="/-/blob/' in get(ds, "/archive/attachments").text


def test_safe_filename():
    assert safe_filename('../a\\b:"c".pdf', "f" * 64, "pdf") == "a_b_c_.pdf"
    assert safe_filename(None, "f" * 64, "pdf") == "f" * 16 + ".pdf"
    assert content_disposition("年报.pdf", "f" * 64, "pdf").startswith(
        f'attachment; filename="{"f" * 16}.pdf"')


def test_chart_draws_each_agency(ds, facts):
    page = get(ds, "/-/chart").text
    assert "<svg" in page and "东莞市凤岗镇人民政府" in page and "<script src" not in page
    assert page.count('<rect class="bar"') == len(facts.report_ids)


def test_read_only_settings_and_metadata(ds, facts):
    settings = get(ds, "/-/settings.json").json()
    assert settings["allow_download"] is False and settings["sql_time_limit_ms"] == 3000
    assert get(ds, "/archive.db").status_code == 403
    write = get(ds, "/archive.json", sql="delete from runs")
    assert write.status_code == 400
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        asyncio.run(ds.get_database("archive").execute_fn(
            lambda conn: conn.execute("delete from runs")))
    table = get(ds, "/archive/report_cells.json", _size="1").json()
    assert {"table_name", "state", "col_key"} <= set(table["facet_results"])
    meta = get(ds, "/-/metadata.json").json()["databases"]["archive"]["tables"]
    assert "元" in meta["report_cells"]["columns"]["value"]
    assert meta["reports"]["facets"] == ["site", "year", "template"]
    assert meta["sites"]["facets"] == ["region"] and meta["blobs"]["license"]


def test_sees_a_concurrent_writer(tmp_path):
    facts = build_archive(tmp_path / "live.db")
    served = make_datasette(facts.path)
    before = rows(served, "last_run_changes")
    writer = open_db(facts.path)
    writer.conn.execute("BEGIN IMMEDIATE")
    writer.conn.execute("insert into runs (id, command, args, started_at, status, "
                        "crawler_version) values (3, 'crawl', '{}', '2024-06-01', 'running', 'x')")
    assert rows(served, "last_run_changes") == before  # uncommitted: not seen, not blocked
    writer.conn.execute("COMMIT")
    assert rows(served, "last_run_changes") == []  # run 3 has added nothing yet
    writer.conn.close()


def test_refuses_a_missing_or_unmigrated_file(tmp_path):
    with pytest.raises(ArchiveError, match="no such archive"):
        make_datasette(tmp_path / "absent.db")
    sqlite3.connect(tmp_path / "empty.db").execute("create table x (y)").connection.close()
    with pytest.raises(ArchiveError, match="not a current archive"):
        make_datasette(tmp_path / "empty.db")


def test_report_overview_facets_on_site_region_year_template_and_status(ds):
    answer = get(ds, "/archive/report_overview.json", _shape="objects").json()
    names = {facet for facet in answer["facet_results"]}
    assert {"site", "region", "year", "template", "status"} <= set(names)
    statuses = {row["status"] for row in answer["rows"]}
    assert "source_anomaly" in statuses and "ok" in statuses
