"""Security: the crawler fetches only what a site's config allows, caps what it downloads and
decompresses, keeps portal-supplied names as data (never paths), and builds no shell command.

End-to-end tests crawl dg-fenggang of the simulated portal under ``hostile_links`` (links to
loopback, private and link-local addresses, ``file:``, ``ftp:``, foreign hosts; a redirect
off-site; an attachment named ``../../etc/passwd\\0.pdf``) and ``gzip_bomb``.
"""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import pytest
from scrapy import Request

from archive.document import ExtractStatus
from archive.extract import Limits, extract
from crawler.middlewares import SiteGuardMiddleware
from tests.crawl_support import REPO, archived, crawl, expected_archive
from tests.portal import Portal
from tests.portal.hostile import HOSTILE_NAME, HOSTILE_NAME_BYTES, HOSTILE_URLS, REDIRECT_TARGET

SITE = "dg-fenggang"


def expected_for(portal: Portal):
    return expected_archive({SITE: portal.expected()[SITE]})


def test_hostile_links_redirects_and_a_gzip_bomb_are_refused_and_recorded(tmp_path):
    db = tmp_path / "archive.db"
    with Portal(faults={"hostile_links", "gzip_bomb"}) as portal:
        result = crawl(portal.url, db, "--site", SITE, "--set", "DOWNLOAD_MAXSIZE=1000000")
        want_posts, want_attachments, want_errors = expected_for(portal)
        seen = [(r.url, r.status) for r in portal.requests]
        bomb = portal.app.targets.bomb_url
        redirect = portal.app.targets.redirect_url
    got = archived(db)
    assert got.posts == want_posts, result.stderr[-3000:]
    assert got.attachments == want_attachments
    assert got.errors == want_errors
    assert {kind for _, _, kind in got.errors} == {"refused", "too_large"}
    assert result.returncode == 1 and "refused" in result.stdout
    # Nothing was sent anywhere but the site's own host (and the province's search service,
    # on a first crawl); the redirect itself was answered.
    assert {url.split("/")[2] for url, _ in seen} == {"www.dg.gov.cn", "search.gd.gov.cn"}
    assert (redirect, 302) in seen
    with sqlite3.connect(db) as conn:
        fetched = {url for (url,) in conn.execute("SELECT url FROM fetches")}
        assert not fetched & {*HOSTILE_URLS, REDIRECT_TARGET}
        statuses = dict(conn.execute("SELECT url, status FROM attachments"))
        assert {statuses[url] for url in HOSTILE_URLS} == {"refused"}
        reasons = dict(conn.execute("SELECT url, message FROM errors"))
        assert "loopback, private or link-local" in reasons["http://10.0.0.1/attachment/0/1/3/1.pdf"]
        assert "not http(s)" in reasons["file:///etc/passwd"]
        assert "not in the allowed hosts" in reasons[REDIRECT_TARGET]
        # The bomb: 256 MiB of zeros behind ~250 KB of gzip, stopped at the 1 MB cap.
        assert statuses[bomb] == "too_large"
        assert "DOWNLOAD_MAXSIZE (1000000 B)" in reasons[bomb]
        assert conn.execute("SELECT max(size) FROM blobs").fetchone()[0] < 1_000_000
        # A portal-supplied name is data: stored verbatim (NUL and ../ included).
        name, content = conn.execute(
            "SELECT a.name, b.content FROM attachments a JOIN blobs b USING (sha256) "
            "WHERE a.name LIKE '../../etc/passwd%'").fetchone()
        assert (name, content) == (HOSTILE_NAME, HOSTILE_NAME_BYTES)
        status = conn.execute("SELECT status FROM runs").fetchone()[0]
    assert status == "finished"


def test_a_body_over_download_maxsize_is_one_recorded_error_not_retried(tmp_path):
    db = tmp_path / "archive.db"
    with Portal() as portal:
        result = crawl(portal.url, db, "--site", SITE, "--set", "DOWNLOAD_MAXSIZE=100000")
        _, want_attachments, _ = expected_for(portal)
        big = {a for atts in want_attachments.values() for a in atts if a[0].endswith(".pdf")}
    assert result.returncode == 1 and "too_large" in result.stdout
    (name, url, _), = big  # the 2020 PDF, 229,782 bytes; every other body is smaller
    got = archived(db)
    assert got.errors == {(SITE, url, "too_large")}
    with sqlite3.connect(db) as conn:
        attempts = conn.execute("SELECT count(*), max(attempt) FROM fetches WHERE url = ?",
                                [url]).fetchone()
        status = conn.execute("SELECT status FROM attachments WHERE url = ?", [url]).fetchone()[0]
        finished = conn.execute("SELECT status FROM runs").fetchone()[0]
    assert attempts == (1, 1) and status == "too_large" and finished == "finished"


class _Session:
    def __init__(self, hosts):
        self.hosts = set(hosts)

    def allowed_hosts(self, site):
        return self.hosts


@pytest.mark.parametrize("url, allowed", [
    ("http://www.dg.gov.cn/dgfgz/gkmlpt/index", True),
    ("https://www.dg.gov.cn/attachment/1/2/3/4.pdf", True),
    ("http://WWW.DG.GOV.CN/x", True),
    ("http://www.huadu.gov.cn/x", False),
    ("http://www.dg.gov.cn.evil.example.com/x", False),
    ("http://www.dg.gov.cn@evil.example.com/x", False),
    ("ftp://www.dg.gov.cn/x", False),
    ("file:///etc/passwd", False),
    ("data:text/html,<h1>x</h1>", False),
    ("http://127.0.0.1/x", False),
    ("http://[::1]/x", False),
    ("http://10.0.0.1/x", False),
    ("http://172.16.0.1/x", False),
    ("http://192.168.0.1/x", False),
    ("http://169.254.169.254/latest/meta-data/", False),
    ("http://0.0.0.0/x", False),
    ("http://2130706433/x", False),
    ("http://0x7f.1/x", False),
])
def test_site_guard_allows_only_the_sites_hosts_over_http(url, allowed):
    guard = SiteGuardMiddleware(_Session({"www.dg.gov.cn"}), allow_loopback=False)
    assert (guard.refusal(Request(url, meta={"site": SITE})) is None) == allowed


def test_allow_loopback_lets_only_loopback_through_and_only_for_listed_hosts():
    hosts = {"127.0.0.1", "::1", "10.0.0.1", "169.254.169.254"}
    strict = SiteGuardMiddleware(_Session(hosts), allow_loopback=False)
    loose = SiteGuardMiddleware(_Session(hosts), allow_loopback=True)
    verdicts = {url: (strict.refusal(Request(url)) is None, loose.refusal(Request(url)) is None)
                for url in ("http://127.0.0.1:8601/x", "http://[::1]/x", "http://10.0.0.1/x",
                            "http://169.254.169.254/x", "http://127.0.0.2/x")}
    assert verdicts == {"http://127.0.0.1:8601/x": (False, True), "http://[::1]/x": (False, True),
                        "http://10.0.0.1/x": (False, False), "http://169.254.169.254/x": (False, False),
                        "http://127.0.0.2/x": (False, False)}  # 127.0.0.2 is not a listed host


def test_the_crawl_settings_never_allow_loopback():
    from crawler import settings

    assert settings.GKARCHIVE_ALLOW_LOOPBACK is False
    assert "GKARCHIVE_ALLOW_LOOPBACK" not in (REPO / "tests" / "crawl_support.py").read_text()


def test_converters_get_fixed_temp_names_never_the_portal_name(tmp_path):
    """antiword and LibreOffice read a temp file named ``input.<detected format>`` in a fresh
    temp folder; the portal's name (``../``, NUL, anything) is never part of a path."""
    log = tmp_path / "argv.log"
    fake = tmp_path / "fake-converter"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> {log}\nexit 3\n')
    fake.chmod(0o755)
    data = (REPO / "tests" / "fixtures" / "documents" / "dg-fenggang-2022.doc").read_bytes()
    hostile = "../../../tmp/gk-pwned\x00.doc"
    doc = extract(data, name=hostile, limits=Limits(antiword_cmd=str(fake), soffice_cmd=str(fake),
                                                    converter_attempts=1))
    assert doc.status is ExtractStatus.CONVERTER_FAILED
    argv = log.read_text().splitlines()
    paths = [a for a in argv if a.startswith("/") and not a.startswith("file://")]
    assert paths and all(Path(p).name in ("input.doc", "out") for p in paths), argv
    assert not any("pwned" in a or ".." in a for a in argv)
    assert not Path("/tmp/gk-pwned").exists()


def _shell_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = ast.unparse(node.func)
        if func in ("os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"):
            found.append(f"{path}:{node.lineno}: {func}")
        for kw in node.keywords:
            if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                found.append(f"{path}:{node.lineno}: {func}(shell=...)")
    return found


def test_no_shell_command_anywhere_in_the_source():
    files = [p for top in ("archive", "crawler", "tests") for p in (REPO / top).rglob("*.py")]
    assert len(files) > 50
    assert [hit for path in files for hit in _shell_calls(path)] == []
