"""End-to-end crawls of the simulated gkmlpt portal over real HTTP on loopback, into a real
SQLite file, under every switch of the portal: the exact reports, attachments (names and
bytes) and errors."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.crawl_support import (GKARCHIVE, PORTAL_SITES, REPO, archived, archived_listed_in, crawl,
                                 expected_archive, expected_listed_in)
from tests.portal import Portal
from tests.portal.model import Escape
from tests.portal.faults import ALL as ALL_SWITCHES

# ua_reset needs a site override; tested on its own below. challenge_expiry needs
# js_challenge: tested with it in test_crawl_challenges.py.
MATRIX = sorted(set(ALL_SWITCHES) - {"ua_reset", "challenge_expiry"})
BROWSER_SWITCHES = {"js_challenge"}  # the truth assumes the crawler may use the browser
# Switches that only act beside another: past the last page is only asked for when the list
# gives no total (paging otherwise ends on offset + len(articles) >= total).
COMPANIONS = {"empty_page_end": {"no_total"}}
MAX_ATTEMPTS = 5  # RETRY_TIMES + 1

# Evidence that each switch really acted (so that no matrix case passes vacuously): SQL over
# the archive that must count at least 1, or a check over the archive, the portal and its
# request log. Every switch of the matrix has one (test_every_switch_has_evidence).
OBSERVED = {
    "5xx_burst": "SELECT count(*) FROM fetches WHERE status = 503",
    "5xx_retry_after": "SELECT count(*) FROM fetches WHERE status = 503 "
                       "AND response_headers LIKE '%\"Retry-After\": [\"1\"]%'",
    "5xx_retry_after_date": "SELECT count(*) FROM fetches WHERE status = 503 "
                            "AND response_headers LIKE '%\"Retry-After\": [\"%GMT\"]%'",
    "reset": "SELECT count(*) FROM fetches WHERE outcome = 'network_error' AND kind = 'attachment'",
    "truncated": "SELECT count(*) FROM fetches WHERE outcome = 'network_error' "
                 "AND kind = 'attachment'",
    "timeout": "SELECT count(*) FROM fetches WHERE outcome = 'network_error' AND kind = 'detail' "
               "AND error LIKE '%Timeout%'",
    "challenge": "SELECT count(*) FROM fetches WHERE outcome = 'challenge' AND status = 412",
    "challenge_521": "SELECT count(*) FROM fetches WHERE outcome = 'challenge' AND status = 521",
    "gzip_unasked": "SELECT count(*) FROM fetches WHERE response_headers LIKE '%gzip%' "
                    "AND kind = 'attachment'",
    "malformed_json": "SELECT count(*) FROM fetches WHERE kind = 'list' AND attempt = 1 "
                      "AND id IN (SELECT referer_fetch_id FROM fetches)",
    "empty_page_end": "SELECT count(*) FROM fetches WHERE kind = 'list' AND status = 200 "
                      "AND size < 200",
    "validators": "SELECT count(*) FROM fetches WHERE response_headers LIKE '%ETag%'",
    "content_disposition": "SELECT count(*) FROM fetches "
                           "WHERE response_headers LIKE '%Content-Disposition%'",
    "slow": "SELECT count(*) FROM fetches WHERE elapsed_ms >= 300",
    "html_error_pdf": "SELECT count(*) FROM fetches WHERE kind = 'attachment' "
                      "AND response_headers LIKE '%text/html%'",
    "short_pages": "SELECT count(*) FROM fetches f JOIN blobs b USING (sha256) "
                   "WHERE f.kind = 'list' AND json_valid(CAST(b.content AS TEXT)) "
                   "AND json_extract(CAST(b.content AS TEXT), '$.total') "
                   "!= json_extract(CAST(b.content AS TEXT), '$.classify.post_count')",
    "hostile_links": "SELECT count(*) FROM errors WHERE kind = 'refused'",
    "gzip_bomb": "SELECT count(*) FROM errors WHERE kind = 'too_large'",
    "list_window": "SELECT count(*) FROM fetches f JOIN blobs b USING (sha256) "
                   "WHERE f.kind = 'list' AND json_valid(CAST(b.content AS TEXT)) "
                   "AND json_extract(CAST(b.content AS TEXT), '$.total') + 50 "
                   "< json_extract(CAST(b.content AS TEXT), '$.classify.post_count')",
    "no_total": "SELECT count(*) FROM fetches f JOIN blobs b USING (sha256) "
                "WHERE f.kind = 'list' AND f.status = 200 AND json_valid(CAST(b.content AS TEXT)) "
                "AND json_type(CAST(b.content AS TEXT), '$.total') IS NULL",
    "deep_category": "SELECT count(*) FROM fetches WHERE kind = 'list' "
                     "AND url LIKE '%/dgqxz/gkmlpt/api/all/0?page=4%' AND status = 200",
    "html_doc": "SELECT count(*) FROM fetches f JOIN blobs b USING (sha256) "
                "WHERE f.kind = 'attachment' AND f.url LIKE '%.doc' "
                "AND lower(CAST(substr(b.content, 1, 300) AS TEXT)) LIKE '%<html%'",
    "portal_columns": "SELECT count(*) FROM unassigned_reports",
    "column_markup_b": "SELECT count(*) FROM fetches f JOIN blobs b USING (sha256) "
                       "WHERE f.kind = 'column' AND CAST(b.content AS TEXT) LIKE '%list-table%'",
    "list_fails": "SELECT count(*) FROM errors WHERE url LIKE '%/dgqxz/gkmlpt/api/all/0?page=1%'",
    "bare_category_name": "SELECT count(*) FROM posts "
                          "WHERE title = '东莞市住房和城乡建设局2023年度报告'",
    "waf_cookie": "SELECT count(*) FROM fetches WHERE outcome = 'challenge' AND status = 412 AND url LIKE 'http://www.dg.gov.cn/%'",
    "js_challenge": "SELECT count(*) FROM fetches WHERE outcome = 'challenge' AND status = 521 AND url LIKE 'https://www.huadu.gov.cn/%'",
    "tls_p256": "SELECT count(*) FROM fetches WHERE outcome = 'network_error' AND error LIKE '%SSL%' AND url LIKE 'https://zjj.%'",
    "tls_legacy": "SELECT count(*) FROM fetches WHERE outcome = 'network_error' AND error LIKE '%SSL%' AND url LIKE 'https://zjj.%'",
}


def _list_pages(conn) -> dict[tuple[str, int], list[int]]:
    """(list URL without its page, page) → the post ids the archived answer lists."""
    pages = {}
    for url, text in conn.execute(
            "SELECT f.url, CAST(b.content AS TEXT) FROM fetches f JOIN blobs b USING (sha256) "
            "WHERE f.kind = 'list' AND f.status = 200"):
        try:
            ids = [a["id"] for a in json.loads(text)["articles"]]
        except ValueError:
            continue  # malformed_json's first answers
        page = int(re.search(r"[?&]page=(\d+)", url)[1])
        pages[(re.sub(r"page=\d+", "", url), page)] = ids
    return pages


def _pages_repeat_ids(conn, portal, log) -> bool:
    pages = _list_pages(conn)
    return any(set(ids) & set(pages.get((base, page + 1), ()))
               for (base, page), ids in pages.items())


def _escapes_swapped(conn, portal, log) -> bool:
    """Every gkmlpt detail page came in the other DETAIL style than its site's own."""
    styles = set()
    for site, text in conn.execute(
            "SELECT f.site, CAST(b.content AS TEXT) FROM fetches f JOIN blobs b USING (sha256) "
            "WHERE f.kind = 'detail' AND f.status = 200"):
        if "DETAIL" in text:
            hex_style = "\\u003C" in text
            styles.add(hex_style == (portal.sites[site].escape is Escape.HEX))
    return styles == {False}


def _attachments_dripped(conn, portal, log) -> bool:
    return any(r.status == 200 and "/attachment/" in r.url and r.seconds >= 1.0 for r in log)


def _articles(conn):
    """Every article of every list page the crawl read."""
    for (text,) in conn.execute("SELECT CAST(b.content AS TEXT) FROM fetches f JOIN blobs b "
                                "USING (sha256) WHERE f.kind = 'list' AND f.status = 200"):
        try:
            yield from json.loads(text).get("articles") or []
        except (ValueError, AttributeError):
            continue


def _article_urls(conn) -> list[str]:
    return [str(a.get("url") or "") for a in _articles(conn)]


def _anchor_without_href(conn, portal, log) -> bool:
    """A detail page whose body has an attachment anchor with an empty or no href."""
    from crawler.platforms.gkmlpt import parse_detail_page

    for (text,) in conn.execute("SELECT CAST(b.content AS TEXT) FROM fetches f JOIN blobs b "
                                "USING (sha256) WHERE f.kind = 'detail' AND f.status = 200"):
        body = parse_detail_page(text).content_html
        if re.search(r'<a\b(?![^>]*\bhref="[^"]+")[^>]*attachment-id', body):
            return True
    return False


WRONG_SID_URL = "http://www.dg.gov.cn/dgfgz/gkmlpt/api/all/0?page=1&sid=1"


def _get_via(portal: Portal, url: str) -> int:
    """The status of a GET of ``url`` through the portal as proxy."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": portal.url}))
    try:
        with opener.open(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


EVIDENCE = {
    "dup_across_pages": _pages_repeat_ids,
    "swap_escape": _escapes_swapped,
    "slow_drip": _attachments_dripped,
    # no_sid changes only the answer to a wrong sid, which the crawler never sends: a probe
    # through the running portal shows it acting (the plain portal answers it 404).
    "no_sid": lambda conn, portal, log: _get_via(portal, WRONG_SID_URL) == 200,
    "jump_entries": lambda conn, portal, log: any(a.get("type") == "url" for a in _articles(conn)),
    "http_links": lambda conn, portal, log: any(u.startswith("http://www.huadu.gov.cn/")
                                                for u in _article_urls(conn)),
    "link_decor": lambda conn, portal, log: any("jump=true" in u or "#" in u
                                                for u in _article_urls(conn)),
    "bare_host": lambda conn, portal, log: any(re.match(r"https?://(dg|huadu)\.gov\.cn/", u)
                                               for u in _article_urls(conn)),
    "empty_href": _anchor_without_href,
}


def test_every_switch_has_evidence():
    assert set(OBSERVED) | set(EVIDENCE) == set(MATRIX)
    assert not set(OBSERVED) & set(EVIDENCE)


def assert_archive_matches(db, truth, result):
    want_posts, want_attachments, want_errors = expected_archive(truth)
    got = archived(db)
    assert got.posts == want_posts, result.stderr[-3000:]
    assert got.attachments == want_attachments
    assert got.errors == want_errors
    return got


@pytest.fixture(scope="module")
def plain_portal():
    with Portal() as portal:
        yield portal


def test_crawl_archives_exactly_the_fixture_set_and_rerun_adds_no_blobs(plain_portal, tmp_path):
    db = tmp_path / "archive.db"
    result = crawl(plain_portal.url, db)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    first = assert_archive_matches(db, plain_portal.expected(), result)
    # The union of attachment[] and body links remembers where each attachment was listed.
    listed = expected_listed_in(plain_portal)
    assert archived_listed_in(db) == listed
    assert {"api", "body", "api,body"} <= set(listed.values())
    for site in ("dg-fenggang", "dg-qingxi", "huadu-shiling", "huadu-chini", "dg-zjj"):
        assert site in result.stdout
    again = crawl(plain_portal.url, db)
    assert again.returncode == 0, again.stderr[-3000:]
    second = assert_archive_matches(db, plain_portal.expected(), again)
    assert second.blobs == first.blobs
    with sqlite3.connect(db) as conn:
        dupes = conn.execute("SELECT count(*) FROM (SELECT sha256 FROM blobs GROUP BY sha256 "
                             "HAVING count(*) > 1)").fetchone()[0]
        runs = conn.execute("SELECT count(*) FROM runs WHERE status = 'finished'").fetchone()[0]
    assert dupes == 0 and runs == 2


def test_every_exchange_is_recorded_with_provenance(plain_portal, tmp_path):
    db = tmp_path / "archive.db"
    result = crawl(plain_portal.url, db, "--site", "dg-fenggang")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM fetches ORDER BY id").fetchall()
        kinds = {r["kind"] for r in rows}
        assert {"entry", "shell", "list", "column", "search", "detail", "attachment",
                "robots"} <= kinds
        for row in rows:
            assert row["run_id"] == 1 and row["via_proxy"] == 1
            search = row["kind"] == "search" or row["url"] == "http://search.gd.gov.cn/robots.txt"
            assert row["url"].startswith("http://search.gd.gov.cn/" if search
                                         else "http://www.dg.gov.cn/"), dict(row)
            if row["kind"] not in ("entry", "robots") and not row["url"].endswith("gzndbg/"):
                assert row["referer_fetch_id"] is not None, dict(row)
            if row["status"] == 200:
                assert row["sha256"] and row["size"] > 0
        attachment = conn.execute(
            "SELECT a.name, b.content, f.url FROM attachments a JOIN blobs b USING (sha256) "
            "JOIN fetches f ON f.id = a.fetch_id LIMIT 1").fetchone()
        assert attachment["url"].startswith("http://www.dg.gov.cn/attachment/")
        article = conn.execute("SELECT article FROM posts LIMIT 1").fetchone()[0]
        assert '"attachment"' in article and '"classify_main"' in article


@pytest.mark.parametrize("switch", MATRIX)
def test_crawl_under_switch(switch, tmp_path):
    with Portal(faults={switch} | COMPANIONS.get(switch, set()), hang_seconds=12) as portal:
        db = tmp_path / "archive.db"
        result = crawl(portal.url, db, *(["--browser"] if switch in BROWSER_SWITCHES else []))
        assert_archive_matches(db, portal.expected(), result)
        truth = portal.expected()
        with sqlite3.connect(db) as conn:
            if switch in OBSERVED:
                assert conn.execute(OBSERVED[switch]).fetchone()[0], f"{switch} left no trace"
            else:
                assert EVIDENCE[switch](conn, portal, portal.requests), f"{switch} left no trace"
    with sqlite3.connect(db) as conn:
        worst = conn.execute("SELECT max(attempt) FROM fetches").fetchone()[0]
        assert worst <= MAX_ATTEMPTS
    failing_sites = {slug for slug, site in truth.items() if not site.reports or site.errors}
    assert (result.returncode == 0) == (not failing_sites), result.stdout


def test_a_wrong_sid_is_404_without_no_sid(plain_portal):
    assert _get_via(plain_portal, WRONG_SID_URL) == 404


def test_ua_reset_is_recorded_and_a_browser_ua_override_gets_through(tmp_path):
    sites = PORTAL_SITES.read_text(encoding="utf-8")
    browser = tmp_path / "sites.toml"
    browser.write_text(sites.replace('allowed_hosts = ["www.huadu.gov.cn"]',
                                     'allowed_hosts = ["www.huadu.gov.cn"]\nbrowser_ua = true'),
                       encoding="utf-8")
    with Portal(faults={"ua_reset"}) as portal:
        honest = crawl(portal.url, tmp_path / "honest.db", "--site", "huadu-shiling")
        assert honest.returncode == 1
        got = archived(tmp_path / "honest.db")
        assert got.posts == {}
        assert {kind for _, _, kind in got.errors} == {"network_error"}
        overridden = crawl(portal.url, tmp_path / "browser.db", "--site", "huadu-shiling",
                           "--sites", str(browser))
        assert overridden.returncode == 0, overridden.stderr[-3000:]
        want_posts, _, _ = expected_archive({"huadu-shiling": portal.expected()["huadu-shiling"]})
        assert archived(tmp_path / "browser.db").posts == want_posts


def test_year_filter_and_standalone_portal_with_cli_and_scrapy(tmp_path):
    """`python -m tests.portal` alone, then `gkarchive crawl --year` and `scrapy crawl`."""
    portal = subprocess.Popen([sys.executable, "-m", "tests.portal", "--port", "0"], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        line = portal.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        url = line.strip().rsplit(" ", 1)[-1]
        cli = crawl(url, tmp_path / "cli.db", "--site", "huadu-shiling", "--year", "2020")
        assert cli.returncode == 0, cli.stderr[-3000:]
        years = {year for _, year in archived(tmp_path / "cli.db").posts.values()}
        assert years == {2020}
        scrapy = subprocess.run(
            [str(REPO / ".venv" / "bin" / "scrapy"), "crawl", "gkmlpt", "-a", "site=huadu-shiling",
             "-a", "year=2020", "-s", f"GKARCHIVE_DB={tmp_path / 'scrapy.db'}",
             "-s", f"GKARCHIVE_SITES_FILE={PORTAL_SITES}", "-s", f"GKARCHIVE_PROXY={url}",
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"],
            cwd=REPO, capture_output=True, text=True, timeout=120)
        assert scrapy.returncode == 0, scrapy.stderr[-3000:]
        assert archived(tmp_path / "scrapy.db").posts == archived(tmp_path / "cli.db").posts
    finally:
        portal.terminate()
        portal.wait(timeout=10)


def test_scrapy_list_shows_the_spiders():
    result = subprocess.run([str(REPO / ".venv" / "bin" / "scrapy"), "list"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["gkmlpt", "ucap"]


# A proxy nothing listens on: a crawl that got past its checks would fail on loopback, never
# reach the real hosts of the simulated sites.
DEAD_PROXY = "http://127.0.0.1:9"


def test_bad_arguments_are_clear_errors(tmp_path):
    for args, message in ((["--site", "dg-nowhere"], "unknown site"),
                          (["--year", "twenty"], "not a year")):
        result = subprocess.run([*GKARCHIVE, "crawl", "--db", str(tmp_path / "x.db"), "--sites",
                                 str(PORTAL_SITES), "--proxy", DEAD_PROXY, *args],
                                cwd=REPO, capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and message in result.stderr


def test_scrapy_crawl_takes_the_run_lock_too(tmp_path):
    from archive.lock import run_lock

    db = tmp_path / "archive.db"
    with run_lock(db):
        result = subprocess.run(
            [str(REPO / ".venv" / "bin" / "scrapy"), "crawl", "gkmlpt", "-a", "site=dg-zjj",
             "-s", f"GKARCHIVE_DB={db}", "-s", f"GKARCHIVE_SITES_FILE={PORTAL_SITES}",
             "-s", f"GKARCHIVE_PROXY={DEAD_PROXY}"],
            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "another gkarchive run is using this archive" in result.stderr


def test_http_only_and_disabled_site_overrides(plain_portal, tmp_path):
    sites = PORTAL_SITES.read_text(encoding="utf-8")
    custom = tmp_path / "sites.toml"
    custom.write_text(
        sites.replace('allowed_hosts = ["www.huadu.gov.cn"]',
                      'allowed_hosts = ["www.huadu.gov.cn"]\nhttp_only = true', 1)
        .replace('allowed_hosts = ["zjj.dg.gov.cn"]',
                 'allowed_hosts = ["zjj.dg.gov.cn"]\nenabled = false\n'
                 'disabled_reason = "moved to a new platform"'), encoding="utf-8")
    db = tmp_path / "archive.db"
    result = crawl(plain_portal.url, db, "--sites", str(custom), "--site", "huadu-shiling")
    assert result.returncode == 0, result.stderr[-2000:]
    with sqlite3.connect(db) as conn:
        schemes = {url.split(":")[0] for (url,) in conn.execute("SELECT url FROM fetches")}
        assert schemes == {"http"}
        assert conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 5
    everything = crawl(plain_portal.url, tmp_path / "all.db", "--sites", str(custom))
    assert everything.returncode == 0, everything.stdout + everything.stderr[-3000:]
    assert "dg-zjj" not in everything.stdout
    named = crawl(plain_portal.url, tmp_path / "named.db", "--sites", str(custom), "--site", "dg-zjj")
    assert named.returncode == 1
    assert "moved to a new platform" in named.stdout or "disabled" in named.stdout
