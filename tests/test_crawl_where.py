"""Where reports are, crawled over real HTTP: old reports only through search under the list
window, reports only in the portal's report columns, other towns' reports listed as unassigned
(never downloaded), jump entries never fetched, paging that reads every page and no more, and a
night whose list fails marking nothing removed. Each under its switch, alone and combined."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess

import pytest

from tests.crawl_support import GKARCHIVE, PORTAL_SITES, REPO, archived, crawl, expected_archive
from tests.portal import Portal
from tests.portal.api import PAGE_SIZE, posts_in
from tests.portal.sites import SHORT_NAMES
from tests.portal.variants import DEEP_CATEGORY, JUMP_TARGETS, in_window

WHERE = ["list_window", "portal_columns", "jump_entries", "http_links", "link_decor",
         "bare_host", "empty_href", "html_doc", "column_markup_b"]
COMBINATIONS = [
    WHERE,
    ["list_window", "portal_columns", "5xx_burst", "validators", "gzip_unasked", "swap_escape"],
    ["list_window", "jump_entries", "dup_across_pages", "empty_page_end", "deep_category",
     "content_disposition", "html_error_pdf"],
    ["portal_columns", "column_markup_b", "empty_href", "http_links", "malformed_json", "no_sid"],
]


def rows(db, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def unassigned(db) -> set[tuple[str, str, int, str]]:
    return set(rows(db, "SELECT url, title, year, body FROM unassigned_reports"))


def assert_exact(db, portal, result):
    """Reports, attachments (names, URLs, bytes), errors and unassigned reports as the truth."""
    want_posts, want_attachments, want_errors = expected_archive(portal.expected())
    got = archived(db)
    assert got.posts == want_posts, result.stdout + result.stderr[-3000:]
    assert got.attachments == want_attachments
    assert got.errors == want_errors
    found = unassigned(db)
    assert {(u, t, y) for u, t, y, _ in found} == {(e.url, e.title, e.year)
                                                  for e in portal.unassigned()}
    bodies = {u: b for u, _, _, b in found}
    assert all(e.body in bodies[e.url] for e in portal.unassigned())
    urls = dict(rows(db, "SELECT post_id, url FROM posts"))
    assert urls == {str(r.post_id): r.detail_url
                    for t in portal.expected().values() for r in t.reports}


def without_columns(tmp_path, *keep: str):
    """tests/portal/sites.toml without the report-column entry URLs (but those of ``keep``)."""
    def drop(match: re.Match) -> str:
        return match.group(0) if any(k in match.group(1) for k in keep) else "]"

    text = re.sub(r',\s*"([^"]*(?:zfxxgkgzndbg|xxgknb/gzj)/)"\]', drop,
                  PORTAL_SITES.read_text(encoding="utf-8"))
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    return path


def requested(portal) -> set[str]:
    return {r.url for r in portal.requests}


def nothing_fetched_of_others(portal) -> None:
    """No request for another body's report: jump targets, unassigned reports' files."""
    urls = requested(portal)
    for _, target in JUMP_TARGETS.values():
        path = target.split("://", 1)[1].split("#")[0]
        assert not any(path in u for u in urls), target
    for slug, body in portal.others.items():
        for post in body.posts.values():
            for att in post.attachments:
                assert body.attachment_url(post.id, att) not in urls
            if SHORT_NAMES[slug] in post.title:
                assert body.detail_url(post) not in urls  # named in the title: never read


def test_old_reports_through_search_under_the_window_and_not_nightly(tmp_path):
    sites = ["--sites", str(without_columns(tmp_path))]  # the search is the only way
    with Portal(faults={"list_window"}) as portal:
        db = tmp_path / "archive.db"
        first = crawl(portal.url, db, *sites)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        assert_exact(db, portal, first)
        listed = set()
        for (body,) in rows(db, "SELECT b.content FROM fetches f JOIN blobs b USING (sha256) "
                                "WHERE f.kind = 'list'"):
            listed |= {str(a["id"]) for a in json.loads(body)["articles"]}
        old = {str(r.post_id) for t in portal.expected().values() for r in t.reports
               if r.year <= 2020}
        assert len(old) == 7 and not old & listed  # 2019 and 2020: only the search had them
        assert rows(db, "SELECT count(*) FROM fetches WHERE kind = 'search' AND run_id = 1")[0][0]
        nightly = crawl(portal.url, db, *sites)
        assert nightly.returncode == 0, nightly.stdout
        assert rows(db, "SELECT count(*) FROM fetches WHERE kind = 'search' AND run_id = 2") == [(0,)]
        assert rows(db, "SELECT count(*) FROM posts WHERE removed_run IS NOT NULL") == [(0,)]
        towns = [a for s in ("dg-fenggang", "dg-qingxi", "huadu-shiling", "huadu-chini")
                 for a in ("--site", s)]  # dg-zjj has no 2019-2020 report
        backfill = crawl(portal.url, db, "--years", "2019-2020", *towns, *sites)
        assert backfill.returncode == 0, backfill.stdout
        assert rows(db, "SELECT count(*) FROM fetches WHERE kind = 'search' AND run_id = 3")[0][0]
        touched = {p for (p,) in rows(db, "SELECT post_id FROM posts WHERE last_run = 3 "
                                          "AND report_year <= 2020")}
        assert touched == old
        assert_exact(db, portal, backfill)


def crawl_exactly(portal, db):
    """A crawl of every site that exits 0 and archives exactly the truth, fetching nothing of
    other bodies."""
    result = crawl(portal.url, db)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert_exact(db, portal, result)
    nothing_fetched_of_others(portal)
    return result


def test_report_columns_own_reports_and_unassigned_towns(tmp_path):
    with Portal(faults={"portal_columns"}) as portal:
        db = tmp_path / "archive.db"
        crawl_exactly(portal, db)
        assert len(portal.unassigned()) == 5
        status = subprocess.run([*GKARCHIVE, "status", "--db", str(db)], cwd=REPO,
                                capture_output=True, text=True, timeout=60)
        assert "unassigned: 5 reports of 2 bodies" in status.stdout, status.stdout
        again = crawl(portal.url, db)
        assert again.returncode == 0 and len(unassigned(db)) == 5
        assert rows(db, "SELECT count(*) FROM fetches WHERE run_id = 2 AND kind = 'detail'") == [(0,)]


def test_jump_entries_are_never_fetched(tmp_path):
    with Portal(faults={"jump_entries"}) as portal:
        db = tmp_path / "archive.db"
        crawl_exactly(portal, db)
        jump = JUMP_TARGETS["www.dg.gov.cn"][1]
        bodies = rows(db, "SELECT b.content FROM fetches f JOIN blobs b USING (sha256) "
                          "WHERE f.kind = 'list'")
        assert any(jump.encode() in body for (body,) in bodies)  # listed, and left alone


@pytest.mark.parametrize("switches", COMBINATIONS, ids=["+".join(c[:3]) for c in COMBINATIONS])
def test_where_switches_combined(switches, tmp_path):
    with Portal(faults=set(switches)) as portal:
        db = tmp_path / "archive.db"
        result = crawl(portal.url, db)
        assert_exact(db, portal, result)
        nothing_fetched_of_others(portal)
        failing = {s for s, t in portal.expected().items() if not t.reports or t.errors}
        assert (result.returncode == 0) == (not failing), result.stdout


def list_pages(portal, switches, site_slug: str, classify: int) -> int:
    """List requests one list needs: pages up to ``total`` (97-post steps with
    dup_across_pages); without ``total`` one more, the page that repeats the last."""
    site = portal.sites[site_slug]
    n = len([p for p in posts_in(site, classify) if in_window(p, switches)])
    step = PAGE_SIZE - 3 if "dup_across_pages" in switches else PAGE_SIZE
    pages = 1 if n <= PAGE_SIZE else 1 + -(-(n - PAGE_SIZE) // step)
    return pages + (1 if "no_total" in switches else 0)


@pytest.mark.parametrize("switches", [["deep_category"], ["deep_category", "dup_across_pages"],
                                      ["deep_category", "list_window"], ["no_total"],
                                      ["no_total", "deep_category", "empty_page_end"]])
def test_paging_reads_every_page_and_no_more(switches, tmp_path):
    """Page 3 and beyond are read, a page repeating ids does not end a list, and a list
    without ``total`` ends on the first page with no new post id: the exact request count."""
    with Portal(faults=set(switches)) as portal:
        db = tmp_path / "archive.db"
        result = crawl(portal.url, db, "--site", "dg-qingxi", timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        site = portal.sites["dg-qingxi"]
        want = {c: list_pages(portal, switches, "dg-qingxi", c) for c in (site.annual_category, 0)}
        got = dict(rows(db, "SELECT CAST(substr(url, instr(url, 'api/all/') + 8, "
                            "instr(url, '?') - instr(url, 'api/all/') - 8) AS INTEGER), count(*) "
                            "FROM fetches WHERE kind = 'list' GROUP BY 1"))
        assert got == want
        assert "deep_category" not in switches or max(want.values()) >= 3
        truth = {k: v for k, v in portal.expected().items() if k == "dg-qingxi"}
        assert archived(db).posts == expected_archive(truth)[0]
        deep = len(posts_in(site, DEEP_CATEGORY))
        assert "deep_category" not in switches or deep > 3 * PAGE_SIZE


def test_a_night_whose_list_fails_marks_nothing_removed(tmp_path):
    """A list page failing by 5xx after its retries is a list failure: the run is an error
    and no post of the site is marked removed (the 2024 report is only in that page)."""
    sites = without_columns(tmp_path)  # else the column would show the 2024 report too
    db = tmp_path / "archive.db"
    with Portal() as portal:
        first = crawl(portal.url, db, "--site", "dg-qingxi", "--sites", str(sites))
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    with Portal(faults={"list_fails"}) as portal:
        night = crawl(portal.url, db, "--site", "dg-qingxi", "--sites", str(sites))
        assert night.returncode == 1 and "list pages failed" in night.stdout, night.stdout
        (failed_url,) = [e.url for e in portal.expected()["dg-qingxi"].errors]
    assert rows(db, "SELECT count(*) FROM posts WHERE removed_run IS NOT NULL") == [(0,)]
    assert rows(db, "SELECT url, kind FROM errors WHERE run_id = 2") == [(failed_url, "http_error")]
    assert rows(db, "SELECT count(*) FROM fetches WHERE run_id = 2 AND url = ?", failed_url)[0][0] == 5
