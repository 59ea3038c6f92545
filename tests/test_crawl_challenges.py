"""Crawls of the simulated portal behind WAFs and awkward TLS, over real HTTP on loopback into
a real SQLite file: the cookie WAF passed by the cookie retry, the JavaScript challenge by
the embedded QuickJS engine and, with the engine off, by a headless Debian Chromium (the
headless shell when installed; only with --browser or browser_challenge), the TLS handshake
failures by the per-host fallback — each alone and combined with the other switches, with
the exact reports, attachments and errors, and the run summary's ``transport`` part."""

from __future__ import annotations

import json
import math
import sqlite3

import pytest

from crawler.browser import find_browser
from tests.crawl_support import PORTAL_SITES, archived, crawl, expected_archive
from tests.portal import Portal
from tests.portal.waf import EXPIRY_USES, JSL_CLEARANCE, WAF_COOKIE

needs_chromium = pytest.mark.skipif(find_browser() is None, reason="no Debian Chromium installed")
NO_ENGINE = ("--set", "GKARCHIVE_JS_ENGINE=False")  # straight to the browser: its own tests
HUADU, DG, ZJJ = "www.huadu.gov.cn", "www.dg.gov.cn", "zjj.dg.gov.cn"


def assert_exact(db, truth, result):
    want_posts, want_attachments, want_errors = expected_archive(truth)
    got = archived(db)
    assert got.posts == want_posts, result.stdout + result.stderr[-3000:]
    assert got.attachments == want_attachments
    assert got.errors == want_errors


def transport(db) -> dict:
    with sqlite3.connect(db) as conn:
        return json.loads(conn.execute("SELECT summary FROM runs ORDER BY id DESC").fetchone()[0])["transport"]


def host_log(portal, host):
    return [r for r in portal.requests if r.url.startswith(f"http://{host}/")
            or r.url.startswith(f"https://{host}/")]


def test_cookie_waf_is_passed_by_one_retry_with_its_cookie(tmp_path):
    with Portal(faults={"waf_cookie"}) as portal:
        db = tmp_path / "archive.db"
        result = crawl(portal.url, db)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert_exact(db, portal.expected(), result)
        log = host_log(portal, DG)
    blocked = [r for r in log if r.status == 412]
    assert blocked and all(WAF_COOKIE not in r.cookie for r in blocked)
    assert all(WAF_COOKIE in r.cookie for r in log if r.status == 200)
    # every 412 was followed by a retry of the same URL carrying the cookie
    for r in blocked:
        assert any(o.url == r.url and o.status == 200 and WAF_COOKIE in o.cookie for o in log)
    summary = transport(db)
    assert summary["browser_launches"] == 0
    assert summary["challenges"][DG]["passed_by_cookie"] == len(blocked)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT count(*) FROM fetches WHERE outcome = 'challenge' "
                            "AND status = 412").fetchone()[0]
    assert rows == len(blocked)  # every challenge answer is a fetch row


@needs_chromium
def test_js_challenge_is_passed_by_the_browser_then_plain_http(tmp_path):
    with Portal(faults={"js_challenge"}) as portal:
        db = tmp_path / "archive.db"
        result = crawl(portal.url, db, "--browser", *NO_ENGINE)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert_exact(db, portal.expected(), result)
        log = host_log(portal, HUADU)
    summary = transport(db)
    assert summary["browser_launches"] == 1 and summary["browser_solves"] == 1
    # the run records which browser solved it: the headless shell when it is installed
    assert summary["browser"].split()[0] == find_browser().name
    assert summary["challenges"][HUADU]["passed_by_browser"] >= 1
    cleared = [r for r in log if JSL_CLEARANCE in r.cookie and r.status == 200]
    browser_ua = cleared[0].user_agent
    assert browser_ua.startswith("Mozilla/5.0")
    # after the solve every request is Scrapy's, over plain HTTP, with the browser's UA
    assert len(cleared) > 20 and {r.user_agent for r in cleared} == {browser_ua}
    assert f"browser ({summary['browser']}): launched 1" in result.stdout  # the printed summary
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT b.status, b.outcome, b.request_headers, c.outcome FROM fetches b "
                            "JOIN fetches c ON c.id = b.referer_fetch_id "
                            "WHERE b.kind = 'browser' ORDER BY b.id").fetchall()
    # the browser's visits are fetch rows, led to by the challenged request
    assert [(s, o, c) for s, o, _, c in rows] == [(521, "challenge", "challenge"),
                                                  (521, "challenge", "challenge"),
                                                  (200, "ok", "challenge")]
    assert JSL_CLEARANCE in rows[2][2]  # the browser sent the clearance it computed


@pytest.mark.parametrize("others", [set(), {"challenge_expiry", "waf_cookie", "5xx_burst"}],
                         ids=["alone", "expiry-waf-5xx"])
def test_js_challenge_is_run_by_the_embedded_engine_before_any_browser(others, tmp_path):
    with Portal(faults={"js_challenge", *others}) as portal:
        db = tmp_path / "archive.db"
        result = crawl(portal.url, db, "--browser")
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert_exact(db, portal.expected(), result)
        log = host_log(portal, HUADU)
    summary = transport(db)
    assert summary["browser_launches"] == 0 and summary["browser_solves"] == 0
    huadu = summary["challenges"][HUADU]
    assert huadu["passed_by_engine"] >= 1 and huadu["engine_unsolved"] == []
    # two rounds per clearance, and a new clearance whenever one was spent
    assert summary["engine_solves"] == huadu["engine_solves"] >= 2
    if "challenge_expiry" in others:
        assert huadu["engine_solves"] >= 4
    cleared = [r for r in log if JSL_CLEARANCE in r.cookie and r.status == 200]
    # the clearance is bound to the User-Agent: the engine ran with Scrapy's own
    assert len(cleared) > 20 and len({r.user_agent for r in log}) == 1
    assert "JavaScript engine run(s)" in result.stdout


@needs_chromium
def test_js_challenge_without_the_browser_is_recorded_as_challenge(tmp_path):
    with Portal(faults={"js_challenge"}) as portal:
        db = tmp_path / "archive.db"
        result = crawl(portal.url, db)
        assert result.returncode == 1
        assert_exact(db, portal.expected(solves_js=False), result)
    assert transport(db)["browser_launches"] == 0


@needs_chromium
def test_browser_challenge_in_the_site_config_allows_the_browser_for_its_hosts(tmp_path):
    sites = tmp_path / "sites.toml"
    sites.write_text(PORTAL_SITES.read_text(encoding="utf-8").replace(
        'allowed_hosts = ["www.huadu.gov.cn"]',
        'allowed_hosts = ["www.huadu.gov.cn"]\nbrowser_challenge = true', 1), encoding="utf-8")
    with Portal(faults={"js_challenge"}) as portal:
        db = tmp_path / "archive.db"
        result = crawl(portal.url, db, "--sites", str(sites), "--site", "huadu-shiling",
                       "--site", "huadu-chini", *NO_ENGINE)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        truth = portal.expected()
        assert_exact(db, {s: truth[s] for s in ("huadu-shiling", "huadu-chini")}, result)
    assert transport(db)["browser_launches"] == 1


@needs_chromium
@pytest.mark.parametrize("others", [
    {"waf_cookie", "5xx_burst", "validators"},
    {"challenge_expiry", "gzip_unasked", "dup_across_pages"},
    {"waf_cookie", "reset", "content_disposition", "swap_escape"},
], ids=["waf-5xx-validators", "expiry-gzip-dup", "waf-reset-disposition-escape"])
def test_challenges_combined_with_other_switches(others, tmp_path):
    with Portal(faults={"js_challenge", *others}) as portal:
        db = tmp_path / "archive.db"
        result = crawl(portal.url, db, "--browser", *NO_ENGINE)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert_exact(db, portal.expected(), result)
        summary = transport(db)
        if "challenge_expiry" in others:  # the clearance ran out: the browser was asked again
            cleared = [r for r in host_log(portal, HUADU) if r.status == 200 and JSL_CLEARANCE in r.cookie]
            # one solve per spent clearance (challenged requests in flight share a solve), +1
            # for a clearance spent just as the crawl ended
            assert 2 <= summary["browser_solves"] <= math.ceil(len(cleared) / EXPIRY_USES) + 1
            assert summary["challenges"][HUADU]["browser_solves"] == summary["browser_solves"]
            assert summary["browser_launches"] == 1  # the browser stayed up between solves
        if "validators" in others:  # a second run: conditional requests behind both WAFs
            again = crawl(portal.url, db, "--browser", "--revisit")
            assert again.returncode == 0, again.stdout + again.stderr[-3000:]
            assert_exact(db, portal.expected(), again)
            with sqlite3.connect(db) as conn:
                assert conn.execute("SELECT count(*) FROM fetches WHERE status = 304 "
                                    "AND url LIKE 'https://www.huadu.gov.cn/%'").fetchone()[0]


@pytest.mark.parametrize("switch, profile", [("tls_p256", "p256"), ("tls_legacy", "legacy")])
def test_tls_handshake_failure_falls_back_per_host_and_is_recorded(switch, profile, tmp_path):
    with Portal(faults={switch, "5xx_burst", "waf_cookie"}) as portal:
        db = tmp_path / "archive.db"
        result = crawl(portal.url, db)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        assert_exact(db, portal.expected(), result)
        refused = [r for r in portal.requests if r.method == "TLS" and r.url.startswith(ZJJ)]
    tls = transport(db)["tls"]
    assert set(tls) == {ZJJ} and tls[ZJJ]["profile"] == profile
    assert len(tls[ZJJ]["failed"]) == len(("default", "p256", "legacy")[:("p256", "legacy").index(profile) + 1])
    # the run remembers the profile: only the first attempts at the host were refused
    assert len(refused) <= 2 * len(tls[ZJJ]["failed"])
    with sqlite3.connect(db) as conn:
        errors = [e for (e,) in conn.execute(
            "SELECT error FROM fetches WHERE outcome = 'network_error' AND url LIKE 'https://zjj.%'")]
    assert errors and all("SSL" in e for e in errors)
    assert profile in result.stdout  # the printed summary names the fallback
