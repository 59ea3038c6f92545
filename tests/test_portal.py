"""The simulated gkmlpt portal over real loopback HTTP, with a Scrapy-free client.

Example::

    pytest tests/test_portal.py -q
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.portal import FAULTS, SWITCHES, ErrorKind, Portal

ROOT = Path(__file__).resolve().parents[1]
UNVERIFIED = ssl._create_unverified_context()
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0"


def connection(portal: Portal, url: str, timeout: float = 5) -> http.client.HTTPConnection:
    """A proxy connection: absolute-form for http, CONNECT + TLS for https."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection("127.0.0.1", portal.port, timeout=timeout,
                                           context=UNVERIFIED)
        conn.set_tunnel(parts.hostname, 443)
        return conn
    return http.client.HTTPConnection("127.0.0.1", portal.port, timeout=timeout)


def fetch(portal: Portal, url: str, headers: dict | None = None, timeout: float = 5):
    """(status, headers as a dict, body) of one GET through the portal as a proxy."""
    conn = connection(portal, url, timeout)
    parts = urlsplit(url)
    target = url if parts.scheme == "http" else url[len(f"https://{parts.netloc}"):]
    conn.request("GET", target, headers={"User-Agent": BROWSER_UA, **(headers or {})})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def config_value(html: str, key: str, follower: str):
    """The JSON of ``key:`` in window._CONFIG, up to ``, follower``."""
    return json.loads(re.search(rf"{key}: (.*), {follower}", html).group(1))


@pytest.fixture(scope="module")
def portal():
    with Portal() as running:
        yield running


def api(slug_base: str, classify: int, page: int, sid: str | None = None) -> str:
    query = f"page={page}" + (f"&sid={sid}" if sid else "")
    return f"{slug_base}/gkmlpt/api/all/{classify}?{query}"


def test_shell_config_has_sid_and_tree(portal):
    status, headers, body = fetch(portal, "http://www.dg.gov.cn/dgqxz/gkmlpt/index")
    html = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert re.search(r"SID: '(\d+)'", html).group(1) == "769121"
    tree = config_value(html, "TREE", "SERVICE_AREA_ID")
    parent = next(n for n in tree if n["name"] == "法定主动公开内容")
    annual = next(n for n in parent["children"] if "年度报告" in n["name"])
    assert (annual["id"], annual["parent"]) == (3301, parent["id"])
    for shell in ("mindex", "mindex/", "annualreport", "policy", "search"):
        assert fetch(portal, f"http://www.dg.gov.cn/dgqxz/gkmlpt/{shell}")[0] == 200


def test_portal_root_links_to_catalogue(portal):
    status, _, body = fetch(portal, "http://www.dg.gov.cn/fg/")
    hrefs = re.findall(r'href="([^"]+)"', body.decode())
    assert status == 200 and len(hrefs) > 5
    assert [h for h in hrefs if "/gkmlpt/" in h] == ["/dgfgz/gkmlpt/index"]
    assert fetch(portal, "http://www.dg.gov.cn/qingxi/")[0] == 200
    assert fetch(portal, "http://www.dg.gov.cn/favicon.ico")[0] == 404
    assert b"Allow: /gkmlpt/" in fetch(portal, "http://www.dg.gov.cn/robots.txt")[2]


def test_list_api_pages_and_fields(portal):
    base = "http://www.dg.gov.cn/dgqxz"
    status, headers, body = fetch(portal, api(base, 3296, 1, "769121"))
    first = json.loads(body)
    assert status == 200 and headers["content-type"] == "application/json"
    assert len(first["articles"]) == 100 and first["classify"]["post_count"] == 137
    assert json.loads(fetch(portal, api(base, 3296, 0))[2]) == first  # page 0 == page 1
    second = json.loads(fetch(portal, api(base, 3296, 2, "769121"))[2])
    assert len(second["articles"]) == 37
    assert fetch(portal, api(base, 3296, 3, "769121"))[0] == 404
    assert fetch(portal, api(base, 3296, 1, "769120"))[0] == 404  # another site's sid
    art = next(a for a in first["articles"] + second["articles"] if a["attachment"])
    assert isinstance(art["attachment"][0]["size"], str) and isinstance(art["relation"], str)
    assert (art["date"] + 8 * 3600) % 86400 == 0  # local midnight, UTC+8
    site_wide = json.loads(fetch(portal, api(base, 0, 1))[2])
    assert site_wide["total"] > 137


def test_list_api_empty_page_end_and_doc_type():
    with Portal(faults={"empty_page_end"}) as p:
        status, _, body = fetch(p, api("http://www.dg.gov.cn/dgfgz", 2680, 2))
        assert status == 200 and json.loads(body)["articles"] == []
        arts = json.loads(fetch(p, api("http://www.dg.gov.cn/dgfgz", 2680, 1))[2])["articles"]
        docx = [a for art in arts for a in art["attachment"] if a["name"].endswith(".docx")]
        assert docx and all(a["type"] == "doc" for a in docx)


@pytest.mark.parametrize("faults", [set(), {"swap_escape"}])
def test_detail_decodes_in_both_styles(faults):
    with Portal(faults=faults) as p:
        styles = set()
        for truth in p.expected().values():
            report = next(r for r in truth.reports if "/gkmlpt/" in r.detail_url)
            html = fetch(p, report.detail_url)[2].decode()
            line = re.search(r"DETAIL: (.*), TREE:", html).group(1)
            detail = json.loads(line)
            assert detail["id"] == report.post_id and detail["title"] == report.title
            assert '<meta name="ArticleTitle"' in html and 'class="article-content"' in html
            styles.add("hex" if "\\u003C" in line else "plain")
        assert styles == {"hex", "plain"}


def test_attachment_bytes_match_expected(portal):
    truth = portal.expected()
    atts = [a for site in truth.values() for r in site.reports for a in r.attachments]
    assert len(atts) >= 20
    for att in atts:
        status, _, body = fetch(portal, att.url)
        assert status == 200 and hashlib.sha256(body).hexdigest() == att.sha256, att.url


def test_expected_structure(portal):
    truth = portal.expected()
    assert set(truth) == {"dg-fenggang", "dg-qingxi", "huadu-shiling", "huadu-chini", "dg-zjj"}
    assert all(3 <= len(s.reports) <= 8 and not s.errors for s in truth.values())
    qingxi = {r.year: r for r in truth["dg-qingxi"].reports}
    assert len({a.url.rsplit("/", 1)[1] for a in qingxi[2020].attachments}) == 1  # same basename
    chini = {r.year: r for r in truth["huadu-chini"].reports}
    assert "/gkmlpt/" not in chini[2022].detail_url
    assert fetch(portal, chini[2022].detail_url)[0] == 200


def test_origin_form_and_unknown_host(portal):
    conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=5)
    conn.request("GET", "/dgfgz/gkmlpt/index", headers={"Host": "www.dg.gov.cn"})
    assert conn.getresponse().status == 200
    assert fetch(portal, "http://www.example.com/")[0] == 502


def test_connect_tls_and_plain_http_on_huadu(portal):
    https = fetch(portal, "https://www.huadu.gov.cn/gzhdslz/gkmlpt/annualreport")
    plain = fetch(portal, "http://www.huadu.gov.cn/gzhdslz/gkmlpt/annualreport")
    assert https[0] == plain[0] == 200 and b"SID: '200123'" in https[2]
    conn = connection(portal, "https://zjj.dg.gov.cn/gkmlpt/index")
    conn.request("GET", "/gkmlpt/index")
    cert = conn.sock.getpeercert(binary_form=True)
    assert conn.getresponse().status == 200 and b"zjj.dg.gov.cn" in cert


def test_5xx_burst_then_success():
    with Portal(faults={"5xx_retry_after"}) as p:
        url = api("http://www.dg.gov.cn/dgfgz", 2680, 1)
        first, second, third = (fetch(p, url) for _ in range(3))
        assert (first[0], second[0], third[0]) == (503, 503, 200)
        assert first[1]["retry-after"] == "1"


def test_reset_and_truncated_attachment():
    with Portal(faults={"reset", "truncated"}) as p:
        url = p.expected()["dg-fenggang"].reports[1].attachments[0].url
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            fetch(p, url)
        with pytest.raises(http.client.IncompleteRead):
            fetch(p, url)
        assert fetch(p, url)[0] == 200


def test_challenge_and_html_error_pdf_in_expected():
    with Portal(faults={"challenge", "html_error_pdf"}) as p:
        truth = p.expected()
        status, _, body = fetch(p, "https://zjj.dg.gov.cn/gkmlpt/index")
        assert status == 412 and b"document.cookie" in body
        zjj = truth["dg-zjj"]
        assert zjj.reports == () and zjj.errors[0].kind is ErrorKind.CHALLENGE
        busy = truth["huadu-shiling"].errors[0]
        status, headers, body = fetch(p, busy.url)
        assert status == 200 and headers["content-type"].startswith("text/html")
        assert "系统繁忙" in body.decode() and busy.kind is ErrorKind.NOT_A_DOCUMENT
        assert all(a.url != busy.url for r in truth["huadu-shiling"].reports for a in r.attachments)


def test_validators_and_gzip_unasked():
    with Portal(faults={"validators", "gzip_unasked"}) as p:
        report = p.expected()["dg-qingxi"].reports[0]
        status, headers, body = fetch(p, report.detail_url)
        assert status == 200 and headers["content-encoding"] == "gzip"
        assert "DETAIL:" in gzip.decompress(body).decode()
        assert fetch(p, report.detail_url, {"If-None-Match": headers["etag"]})[0] == 304
        since = {"If-Modified-Since": headers["last-modified"]}
        assert fetch(p, report.detail_url, since)[0] == 304
        p.touch_post(report.post_id)
        assert fetch(p, report.detail_url, since)[0] == 200


def test_malformed_json_then_good():
    with Portal(faults={"malformed_json"}) as p:
        url = api("https://www.huadu.gov.cn/gzhdslz", 6198, 1)
        with pytest.raises(json.JSONDecodeError):
            json.loads(fetch(p, url)[2])
        assert json.loads(fetch(p, url)[2])["total"] == 5


def test_ua_reset_only_for_non_browsers():
    with Portal(faults={"ua_reset"}) as p:
        url = "https://www.huadu.gov.cn/gzhdcnz/gkmlpt/index"
        with pytest.raises((ConnectionError, http.client.HTTPException, ssl.SSLError)):
            fetch(p, url, {"User-Agent": "Scrapy/2.19 (+https://scrapy.org)"})
        assert fetch(p, url)[0] == 200


def test_timeout_hangs_without_blocking_others():
    with Portal(faults={"timeout"}, hang_seconds=3) as p:
        hang = p.app.targets.hang_url
        with pytest.raises((socket.timeout, TimeoutError)):
            fetch(p, hang, timeout=0.5)
        assert fetch(p, "http://www.dg.gov.cn/dgfgz/gkmlpt/index", timeout=2)[0] == 200
        assert fetch(p, hang)[0] == 200


def test_mutations_change_lists_and_truth():
    with Portal() as p:
        post_id = p.add_report("dg-fenggang", "东莞市凤岗镇2024年政府信息公开工作年度报告", 2024,
                               [("报告.pdf", b"%PDF-1.4 new")])
        report = next(r for r in p.expected()["dg-fenggang"].reports if r.post_id == post_id)
        arts = json.loads(fetch(p, api("http://www.dg.gov.cn/dgfgz", 2680, 1))[2])["articles"]
        assert arts[0]["id"] == post_id
        assert fetch(p, report.attachments[0].url)[2] == b"%PDF-1.4 new"
        aid = int(report.attachments[0].url.split("/")[-2])
        p.replace_attachment_bytes(aid, b"%PDF-1.4 changed")
        assert fetch(p, report.attachments[0].url)[2] == b"%PDF-1.4 changed"
        p.remove_post(post_id)
        assert fetch(p, report.detail_url)[0] == 404
        assert all(r.post_id != post_id for r in p.expected()["dg-fenggang"].reports)


def test_request_log_records_user_agent(portal):
    fetch(portal, "http://www.dg.gov.cn/robots.txt", {"User-Agent": "probe/1"})
    deadline = time.monotonic() + 2  # the server logs just after it has answered
    while time.monotonic() < deadline:
        hits = [r for r in portal.requests if r.user_agent == "probe/1"]
        if hits:
            break
        time.sleep(0.01)
    assert [(r.url, r.status) for r in hits] == [("http://www.dg.gov.cn/robots.txt", 200)]


def test_cli_prints_address_and_stops_on_sigterm():
    proc = subprocess.Popen([sys.executable, "-m", "tests.portal", "--port", "0",
                             "--faults", "validators"], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline().strip()
        assert re.fullmatch(r"portal listening on http://127\.0\.0\.1:\d+", line), line
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_readme_documents_every_switch():
    readme = (ROOT / "tests" / "portal" / "README.md").read_text(encoding="utf-8")
    for name in {**SWITCHES, **FAULTS}:
        assert f"`{name}`" in readme, name
