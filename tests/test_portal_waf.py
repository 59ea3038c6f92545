"""The simulated portal's WAFs (``waf_cookie``, ``js_challenge``) and TLS quirks
(``tls_p256``, ``tls_legacy``) over real loopback HTTP; the JavaScript challenge is run by
headless Debian chromium, the only kind of client that passes it."""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from OpenSSL import SSL

from tests.portal import Portal
from tests.portal.faults import validate
from tests.portal.tls import client_hello_groups
from tests.portal.waf import JSL_CLEARANCE, JSL_UID, WAF_COOKIE, fnv1a
from tests.test_portal import BROWSER_UA, fetch

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ZJJ = "https://zjj.dg.gov.cn/gkmlpt/index"
HUADU = "https://www.huadu.gov.cn/gzhdslz/gkmlpt/annualreport"


def set_cookie(headers: dict) -> tuple[str, str]:
    name, value = headers["set-cookie"].split(";", 1)[0].split("=", 1)
    return name, value


def test_waf_cookie_first_response_sets_a_cookie_that_lets_the_retry_through():
    with Portal(faults={"waf_cookie"}) as p:
        url = "http://www.dg.gov.cn/dgqxz/gkmlpt/index"
        status, headers, body = fetch(p, url)
        assert status == 412 and b"<script" in body and len(body) < 500
        name, value = set_cookie(headers)
        assert name == WAF_COOKIE
        assert fetch(p, url, {"Cookie": f"{name}={value}"})[0] == 200
        assert fetch(p, url, {"Cookie": f"{name}={value[:-1]}x"})[0] == 412  # forged
        assert fetch(p, "https://www.huadu.gov.cn/gzhdcnz/gkmlpt/index")[0] == 200  # other host
        assert [r.status for r in p.requests if r.url == url] == [412, 200, 412]
        assert p.expected() == Portal().expected()


def test_js_challenge_is_not_passed_by_replaying_cookies_or_reading_the_page():
    with Portal(faults={"js_challenge"}) as p:
        status, headers, body = fetch(p, HUADU)
        assert status == 521 and set_cookie(headers)[0] == JSL_UID
        uid = set_cookie(headers)[1]
        cookie = {"Cookie": f"{JSL_UID}={uid}"}
        status, headers, again = fetch(p, HUADU, cookie)
        assert status == 521 and "set-cookie" not in headers  # the uid is known: same round
        page = again.decode()
        assert JSL_CLEARANCE not in page  # the cookie name itself is spelled in pieces
        for guess in set(re.findall(r"[\w.|%]{8,}", page)):
            assert fetch(p, HUADU, {"Cookie": f"{JSL_UID}={uid}; {JSL_CLEARANCE}={guess}"})[0] == 521
        assert fetch(p, "http://www.dg.gov.cn/dgqxz/gkmlpt/index")[0] == 200  # other host


def test_fnv1a_is_the_scripts_hash():
    assert fnv1a("") == "811c9dc5" and fnv1a("a") == "e40c292c"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")
def test_js_challenge_is_passed_by_a_browser_and_bound_to_its_user_agent():
    from tests.cdp_browser import Browser

    with Portal(faults={"js_challenge"}) as p:
        args = [*ARGS, f"--proxy-server={p.url}", "--ignore-certificate-errors",
                f"--user-agent={BROWSER_UA}"]
        with Browser(CHROMIUM, args) as page:
            page._call("Page.navigate", {"url": HUADU})
            page.wait_for("document.title.indexOf('狮岭镇') >= 0", timeout=15)
            cookies = page.cookies()
        statuses = [r.status for r in p.requests if r.url == HUADU]
        assert statuses == [521, 521, 200]  # two rounds, then the page
        header = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        assert fetch(p, HUADU, header)[0] == 200  # the clearance works for plain HTTP
        assert fetch(p, HUADU, {**header, "User-Agent": "gkarchive/0.1 (+https://x)"})[0] == 521


def test_js_challenge_expiry_starts_the_challenge_again():
    from tests.portal import waf

    with Portal(faults={"js_challenge", "challenge_expiry"}) as p:
        gate = p.app.router.gate
        uid = gate._token(JSL_UID)
        prefix, suffix, target = gate._second_round(uid, BROWSER_UA)
        clearance = next(prefix + a + b + suffix for a in waf.CHARS for b in waf.CHARS
                         if fnv1a(prefix + a + b + suffix) == target)
        header = {"Cookie": f"{JSL_UID}={uid}; {JSL_CLEARANCE}={clearance}"}
        statuses = [fetch(p, HUADU, header)[0] for _ in range(waf.EXPIRY_USES + 1)]
        assert statuses == [200] * waf.EXPIRY_USES + [521]


def handshake(portal: Portal, host: str, configure) -> str:
    """CONNECT through the portal, then a pyOpenSSL handshake (Scrapy's TLS stack);
    returns the protocol name or raises ``SSL.Error``."""
    sock = socket.create_connection(("127.0.0.1", portal.port), timeout=5)
    sock.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
    assert b" 200 " in sock.recv(4096)
    ctx = SSL.Context(SSL.TLS_METHOD)
    configure(ctx)
    conn = SSL.Connection(ctx, sock)
    conn.set_connect_state()
    conn.set_tlsext_host_name(host.encode())
    sock.setblocking(True)
    try:
        conn.do_handshake()
        return conn.get_protocol_version_name()
    finally:
        sock.close()


def p256_only(ctx):
    ctx.set_tmp_ecdh(ec.SECP256R1())


def legacy(ctx):
    ctx.set_min_proto_version(SSL.TLS1_VERSION)
    ctx.set_cipher_list(b"DEFAULT:@SECLEVEL=0")


def test_tls_p256_refuses_every_client_hello_but_a_p256_only_one():
    with Portal(faults={"tls_p256"}) as p:
        with pytest.raises(SSL.Error, match="handshake failure"):
            handshake(p, "zjj.dg.gov.cn", lambda ctx: None)
        assert handshake(p, "zjj.dg.gov.cn", p256_only) == "TLSv1.3"
        assert handshake(p, "www.huadu.gov.cn", lambda ctx: None) == "TLSv1.3"  # other host
        with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
            fetch(p, ZJJ)  # Python's own ssl offers X25519 first
        # the server logs a refused handshake after the client has seen the alert: wait for it
        deadline = time.monotonic() + 5
        while len([r for r in p.requests if r.status == 0]) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [r.method for r in p.requests if r.status == 0] == ["TLS", "TLS"]


def test_tls_legacy_needs_tls_1_0_and_seclevel_0():
    with Portal(faults={"tls_legacy"}) as p:
        with pytest.raises(SSL.Error, match="protocol version"):
            handshake(p, "zjj.dg.gov.cn", lambda ctx: None)
        assert handshake(p, "zjj.dg.gov.cn", legacy) in ("TLSv1.1", "TLSv1")


def test_client_hello_groups_reads_the_supported_groups():
    captured = {}
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname())
    peer, _ = server.accept()
    ctx = SSL.Context(SSL.TLS_METHOD)
    p256_only(ctx)
    conn = SSL.Connection(ctx, client)
    conn.set_connect_state()
    with pytest.raises(SSL.WantReadError):
        client.setblocking(False)
        conn.do_handshake()
    captured["hello"] = peer.recv(16384)
    for s in (peer, client, server):
        s.close()
    assert client_hello_groups(captured["hello"]) == (23,)


def test_exclusive_and_dependent_switches_are_refused():
    with pytest.raises(ValueError, match="exclude"):
        validate({"tls_p256", "tls_legacy"})
    with pytest.raises(ValueError, match="needs js_challenge"):
        validate({"challenge_expiry"})
