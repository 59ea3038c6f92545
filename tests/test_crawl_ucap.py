"""End-to-end crawls of the simulated UCAP portal over real HTTP on loopback, into a real
SQLite file, under every switch alone and all together: the exact reports, attachments (names
and bytes) and nothing else; the list template remembered; one run for both platforms."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from datetime import datetime

import pytest

from tests.crawl_support import PORTAL_SITES, REPO, archived, crawl, expected_archive
from tests.portal.model import CST
from tests.ucap_portal import SWITCHES, UcapPortal

UCAP_SITES = REPO / "tests" / "ucap_portal" / "sites.toml"
FENGGANG = "ganzhou-jkq-fenggang"

# Evidence that the switch really acted (so no test passes vacuously): SQL over fetches.
OBSERVED = {
    "template_xlist": "kind = 'list' AND url LIKE '%/c110595/xlist.shtml' AND status = 200",
    # 凤岗镇's column has 32 posts (33 when changed), 10 a page: the stale count names a page 5
    "stale_count": "kind = 'list' AND url LIKE '%/c110595/%\\_5.shtml' ESCAPE '\\'",
    "empty_page_end": "1",  # alone it changes nothing: the page count is right
    "flaky_attachments": "kind = 'attachment' AND status = 503",
    "slow_attachments": "kind = 'attachment' AND elapsed_ms >= 1000",
}


def ucap_crawl(portal, db, *args, **kwargs):
    return crawl(portal.url, db, "--sites", str(UCAP_SITES), *args, **kwargs)


def rows(db, sql, *params):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def assert_matches(db, truth, result):
    want_posts, want_attachments, want_errors = expected_archive(truth)
    got = archived(db)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert got.posts == want_posts, result.stderr[-3000:]
    assert got.attachments == want_attachments
    assert got.errors == want_errors == set()
    return got


@pytest.mark.parametrize("switches", [(), *[(s,) for s in sorted(SWITCHES)],
                                      ("stale_count", "empty_page_end"), tuple(sorted(SWITCHES))],
                         ids=lambda s: "+".join(s) or "plain")
def test_crawl_under_switches(switches, tmp_path):
    db = tmp_path / "archive.db"
    with UcapPortal(switches=set(switches)) as portal:
        result = ucap_crawl(portal, db)
        truth = portal.expected()
        assert_matches(db, truth, result)
        asked = [r.url for r in portal.requests]
    assert not [u for u in asked if "/u/hit/" in u], "the visit counter must never be called"
    for switch in switches:
        if switch in OBSERVED:
            assert rows(db, f"SELECT count(*) FROM fetches WHERE {OBSERVED[switch]}")[0][0], switch
    fenggang = {year: source for year, source in rows(
        db, "SELECT report_year, year_source FROM posts WHERE site = ?", FENGGANG)}
    assert fenggang[2024] == "body"  # its title has no year
    assert sorted(fenggang) == ([2019, 2020, 2021, 2022, 2023, 2024]
                                + ([2025] if "changed" in switches else []))
    template = "xlist" if "template_xlist" in switches else "xxgk_list_nb"
    assert rows(db, "SELECT template FROM list_templates WHERE site = ?", FENGGANG) == [(template,)]
    if "stale_count" not in switches:  # stop past createPageHTML's page count
        assert not rows(db, "SELECT url FROM fetches WHERE url LIKE '%/c110595/%\\_5.shtml' "
                            "ESCAPE '\\'")
    dates = {json.loads(a)["date"] for (a,) in rows(db, "SELECT article FROM posts")}
    assert all(re.fullmatch(r"20\d\d[-/]\d\d[-/]\d\d", d) for d in dates), dates
    if "stale_count" in switches and "empty_page_end" in switches:
        assert rows(db, "SELECT status FROM fetches WHERE url LIKE '%/c110595/%\\_5.shtml' "
                        "ESCAPE '\\'") == [(200,)]
    if "stale_count" in switches and "empty_page_end" not in switches:
        assert rows(db, "SELECT status FROM fetches WHERE url LIKE '%/c110595/%\\_5.shtml' "
                        "ESCAPE '\\'") == [(404,)]


def test_the_remembered_template_is_tried_first_and_a_moved_one_found_again(tmp_path):
    db = tmp_path / "archive.db"
    with UcapPortal() as portal:
        first = ucap_crawl(portal, db, "--site", FENGGANG)
        assert_matches(db, {FENGGANG: portal.expected()[FENGGANG]}, first)
        assert_matches(db, {FENGGANG: portal.expected()[FENGGANG]}, ucap_crawl(portal, db, "--site", FENGGANG))
    probes = dict(rows(db, "SELECT run_id, count(*) FROM fetches WHERE kind = 'list' "
                           "AND url LIKE '%c110595/%' AND url NOT LIKE '%/xxgk_list_nb%' GROUP BY run_id"))
    assert probes == {1: 2}  # xxgk_list (200, no items) and xxgk_lists (404), on night 1 only
    with UcapPortal(switches={"template_xlist"}) as portal:
        moved = ucap_crawl(portal, db, "--site", FENGGANG)
        assert_matches(db, {FENGGANG: portal.expected()[FENGGANG]}, moved)
    assert rows(db, "SELECT template, run_id FROM list_templates") == [("xlist", 3)]


def test_three_nights_unchanged_new_and_changed(tmp_path):
    db = tmp_path / "archive.db"
    with UcapPortal() as portal:
        assert_matches(db, portal.expected(), ucap_crawl(portal, db))
        blobs = rows(db, "SELECT count(*) FROM blobs")[0][0]
        unchanged = ucap_crawl(portal, db)
        assert_matches(db, portal.expected(), unchanged)
        assert rows(db, "SELECT DISTINCT kind FROM fetches WHERE run_id = 2 ORDER BY 1") == \
            [("list",), ("robots",)]
        assert rows(db, "SELECT count(*) FROM blobs")[0][0] == blobs
        old = next(r for r in portal.expected()[FENGGANG].reports if r.year == 2023)
        changed_url = old.attachments[0].url
        new_bytes = (REPO / "tests/ucap_portal/documents/ganzhou-jkq-dzb-2022.pdf").read_bytes()
        portal.replace_file(FENGGANG, changed_url, new_bytes)
        new_id = portal.add_report(FENGGANG, "凤岗镇2025年政府信息公开工作年度报告", 2025,
                                   [("凤岗镇2025年年报.docx", (REPO / "tests/ucap_portal/documents/"
                                                              "ganzhou-jkq-dzb-2021.docx").read_bytes())],
                                   published=datetime(2026, 1, 12, 9, 0, tzinfo=CST))
        third = ucap_crawl(portal, db)
        assert_matches(db, portal.expected(), third)
    assert rows(db, "SELECT change, run_id FROM post_versions WHERE post_id = ?", new_id) == [("new", 3)]
    versions = rows(db, "SELECT v.sha256, v.run_id FROM attachment_versions v JOIN attachments a "
                        "ON a.id = v.attachment_id WHERE a.url = ? ORDER BY v.id", changed_url)
    assert [run for _, run in versions] == [1, 3]
    assert versions[0][0] == old.attachments[0].sha256 != versions[1][0]
    assert rows(db, "SELECT count(*) FROM blobs WHERE sha256 = ?", old.attachments[0].sha256) == [(1,)]
    summary = json.loads(rows(db, "SELECT summary FROM runs WHERE id = 3")[0][0])["sites"][FENGGANG]
    assert (summary["new_reports"], summary["changed"], summary["unchanged"]) == (1, 1, 5)


def test_backfill_by_year(tmp_path):
    db = tmp_path / "archive.db"
    with UcapPortal() as portal:
        first = ucap_crawl(portal, db, "--site", FENGGANG, "--years", "2020-2021")
        assert first.returncode == 0, first.stderr[-3000:]
        assert rows(db, "SELECT report_year FROM posts ORDER BY 1") == [(2020,), (2021,)]
        backfill = subprocess.run(
            [sys.executable, "-m", "archive.cli", "backfill", "--sites", str(UCAP_SITES), "--db",
             str(db), "--proxy", portal.url, "--delay", "0", "--site", FENGGANG,
             "--years", "2019-2022", "--no-extract", "--log-level", "WARNING"],
            cwd=REPO, capture_output=True, text=True, timeout=300)
        assert backfill.returncode == 0, backfill.stderr[-3000:]
    assert rows(db, "SELECT report_year FROM posts ORDER BY 1") == [(2019,), (2020,), (2021,), (2022,)]
    assert rows(db, "SELECT command FROM runs ORDER BY id") == [("crawl",), ("backfill",)]
    refetched = rows(db, "SELECT count(*) FROM fetches f JOIN posts p ON f.id = p.detail_fetch_id "
                         "WHERE f.run_id = 2 AND p.report_year IN (2020, 2021)")[0][0]
    assert refetched == 0


def combined_sites_file(path):
    """The gkmlpt portal's sites and the UCAP portal's in one file."""
    ucap = UCAP_SITES.read_text(encoding="utf-8").split("\n[sites.", 1)[1]
    path.write_text(PORTAL_SITES.read_text(encoding="utf-8") + "\n[sites." + ucap, encoding="utf-8")
    return path


def test_one_run_for_both_platforms_in_one_crawl(tmp_path):
    sites = combined_sites_file(tmp_path / "sites.toml")
    db = tmp_path / "archive.db"
    with UcapPortal(gkmlpt_faults=set()) as portal:
        result = crawl(portal.url, db, "--sites", str(sites), timeout=600)
        truth = portal.expected()
    assert_matches(db, truth, result)
    runs = rows(db, "SELECT id, status, args, summary FROM runs")
    assert len(runs) == 1 and runs[0][1] == "finished"
    assert json.loads(runs[0][2])["platforms"] == ["gkmlpt", "ucap"]
    assert set(json.loads(runs[0][3])["sites"]) == set(truth)
    assert {r[0] for r in rows(db, "SELECT DISTINCT run_id FROM fetches")} == {1}


def test_cli_and_scrapy_crawl_of_one_ucap_site_through_a_standalone_portal(tmp_path):
    portal = subprocess.Popen([sys.executable, "-m", "tests.ucap_portal", "--port", "0"], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        line = portal.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        url = line.strip().rsplit(" ", 1)[-1]
        cli = crawl(url, tmp_path / "cli.db", "--sites", str(UCAP_SITES), "--site", FENGGANG,
                    "--year", "2020")
        assert cli.returncode == 0, cli.stderr[-3000:]
        assert {y for _, y in archived(tmp_path / "cli.db").posts.values()} == {2020}
        scrapy = subprocess.run(
            [str(REPO / ".venv" / "bin" / "scrapy"), "crawl", "ucap", "-a", f"site={FENGGANG}",
             "-a", "year=2020", "-s", f"GKARCHIVE_DB={tmp_path / 'scrapy.db'}",
             "-s", f"GKARCHIVE_SITES_FILE={UCAP_SITES}", "-s", f"GKARCHIVE_PROXY={url}",
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"],
            cwd=REPO, capture_output=True, text=True, timeout=120)
        assert scrapy.returncode == 0, scrapy.stderr[-3000:]
        assert archived(tmp_path / "scrapy.db").posts == archived(tmp_path / "cli.db").posts
        wrong = subprocess.run(
            [str(REPO / ".venv" / "bin" / "scrapy"), "crawl", "gkmlpt", "-a", f"site={FENGGANG}",
             "-s", f"GKARCHIVE_DB={tmp_path / 'wrong.db'}", "-s", f"GKARCHIVE_SITES_FILE={UCAP_SITES}"],
            cwd=REPO, capture_output=True, text=True, timeout=120)
        assert wrong.returncode != 0 and "not gkmlpt sites" in wrong.stderr
    finally:
        portal.terminate()
        portal.wait(timeout=10)
