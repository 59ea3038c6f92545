"""The challenge solver alone: a headless Debian Chromium (the headless shell, else the full
browser) over its DevTools pipe (crawler/cdp.py) against the simulated portal's JavaScript challenge,
over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.browser import (CHROMIUM, HEADLESS_SHELL, BrowserCookie, BrowserSolver,
                             ChallengeUnsolved, find_browser)
from tests.portal import Portal
from tests.portal.waf import JSL_CLEARANCE, JSL_UID

HUADU = "https://www.huadu.gov.cn/gzhdslz/gkmlpt/annualreport"
ZJJ = "https://zjj.dg.gov.cn/gkmlpt/index"

pytestmark = pytest.mark.skipif(find_browser() is None, reason="no Debian Chromium installed")


def test_solves_two_rounds_reuses_one_browser_then_closes_it_when_idle():
    async def run(portal):
        solver = BrowserSolver(idle_seconds=1.0)
        first = await solver.solve(HUADU, [], portal.url)
        second = await solver.solve(HUADU, [], portal.url)
        reused = solver.launches
        await asyncio.sleep(2.0)
        closed = not solver.running
        third = await solver.solve(HUADU, list(first.cookies), portal.url)
        await solver.close()
        return first, second, third, reused, closed, solver

    with Portal(faults={"js_challenge"}) as portal:
        first, second, third, reused, closed, solver = asyncio.run(run(portal))
        log = [r for r in portal.requests if r.url == HUADU]
    assert first.challenge_rounds == 2 and second.challenge_rounds == 2
    assert {c.name for c in first.cookies} == {JSL_UID, JSL_CLEARANCE}
    assert first.user_agent.startswith("Mozilla/5.0") and "Headless" not in first.user_agent
    assert reused == 1 and closed and solver.launches == 2 and solver.solves == 3
    # handed the first clearance, the third solve is let through at once
    assert third.challenge_rounds == 0
    assert [r.status for r in log][:3] == [521, 521, 200]
    assert all(r.user_agent == first.user_agent for r in log)


def test_a_challenge_that_never_relents_is_unsolved_within_the_timeout():
    async def run(portal):
        solver = BrowserSolver(timeout=3.0)
        try:
            await solver.solve(ZJJ, [], portal.url)
        finally:
            await solver.close()

    with Portal(faults={"challenge_521"}) as portal, pytest.raises(ChallengeUnsolved, match="still challenged") as unsolved:
        asyncio.run(run(portal))
    # the answers it got meanwhile, for the archive
    assert unsolved.value.exchanges and {e.status for e in unsolved.value.exchanges} == {521}
    assert all(e.url == ZJJ for e in unsolved.value.exchanges)


def test_cookies_handed_in_reach_the_browser_and_a_missing_browser_is_a_clear_error():
    async def run(portal):
        solver = BrowserSolver()
        clearance = await solver.solve(HUADU, [BrowserCookie("probe", "1", "www.huadu.gov.cn")],
                                       portal.url)
        await solver.close()
        return clearance

    with Portal(faults={"js_challenge"}) as portal:
        clearance = asyncio.run(run(portal))
        assert "probe=1" in [r for r in portal.requests if r.url == HUADU][0].cookie
    assert "probe" in {c.name for c in clearance.cookies}
    missing = BrowserSolver(executable=Path("/nonexistent/chromium"))
    with pytest.raises(ChallengeUnsolved, match="is absent"):
        asyncio.run(missing.solve(HUADU, [], None))


def _browser_binaries() -> set[str]:
    """The executables of this process's descendants (the driver's node, the browser's), by
    every process's parent in /proc (a thread's ``children`` file misses some under load)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        parents[int(stat.parent.name)] = int(text.rsplit(")", 1)[1].split()[1])
    found, pending = set(), [os.getpid()]
    while pending:
        pid = pending.pop()
        for child in [c for c, parent in parents.items() if parent == pid]:
            try:
                found.add(os.readlink(f"/proc/{child}/exe"))
            except OSError:
                pass  # gone meanwhile
            pending.append(child)
    return found


def _solve_and_look(solver: BrowserSolver, portal) -> tuple[set[str], object]:
    async def run():
        clearance = await solver.solve(HUADU, [], portal.url)
        running = _browser_binaries()  # the browser stays up until idle: look at it
        await solver.close()
        return running, clearance

    return asyncio.run(run())


@pytest.mark.skipif(not HEADLESS_SHELL.exists(), reason="chromium-headless-shell is absent")
def test_the_headless_shell_is_the_browser_that_runs_when_installed(monkeypatch):
    monkeypatch.delenv("GKARCHIVE_BROWSER", raising=False)
    assert find_browser() == HEADLESS_SHELL  # before the full browser, whatever else exists
    solver = BrowserSolver(idle_seconds=60)
    with Portal(faults={"js_challenge"}) as portal:
        running, clearance = _solve_and_look(solver, portal)
    assert clearance.challenge_rounds == 2
    assert str(HEADLESS_SHELL) in running
    assert not {p for p in running if p.endswith("/chromium")}  # not the full browser
    assert solver.browser.startswith("chromium-headless-shell 156.")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")
def test_without_the_shell_the_full_chromium_runs_and_solves(monkeypatch, tmp_path):
    monkeypatch.delenv("GKARCHIVE_BROWSER", raising=False)
    assert find_browser((tmp_path / "absent-shell", CHROMIUM)) == CHROMIUM
    monkeypatch.setenv("GKARCHIVE_BROWSER", str(CHROMIUM))  # what the benchmark sets
    assert find_browser() == CHROMIUM
    solver = BrowserSolver(idle_seconds=60)
    with Portal(faults={"js_challenge"}) as portal:
        running, clearance = _solve_and_look(solver, portal)
    assert clearance.challenge_rounds == 2
    assert "/usr/lib/chromium/chromium" in running and str(HEADLESS_SHELL) not in running
    assert solver.browser.startswith("chromium 156.")


def test_no_browser_installed_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("GKARCHIVE_BROWSER", raising=False)
    absent = (tmp_path / "shell", tmp_path / "chromium")
    assert find_browser(absent) is None
    monkeypatch.setattr("crawler.browser.BROWSERS", absent)
    with pytest.raises(ChallengeUnsolved, match="no browser: neither .* is installed"):
        asyncio.run(BrowserSolver().solve(HUADU, [], None))


class Pages:
    """A loopback HTTP server that is also the browser's proxy (it answers absolute-form
    requests for any host), serving a challenge page of its own and logging every request
    that reaches it: (path, Cookie header).

    ``/gate``: without ``pass=1`` a 521 page that sets two cookies and loads an image, a style
    sheet, a video, a web font and a script; the script records what localStorage held
    (cookie ``ls``), stores something, and after 300 ms sets ``pass=1`` and reloads. With it:
    a 200 page whose script sets ``late=1`` and fetches ``/after`` 300 ms later (a solve that
    stops at once never gets the cookie, and a page stopped after its solve never fetches).
    The 521 page also holds a frame answered 200 (``/frame``): not the main frame, not a pass.
    ``/stall``: a 521 page that goes on to ``/hang``, never answered. With ``auth`` (user,
    password) it is a proxy that wants Basic credentials: a request without them is answered
    407 (and logged in ``refused``)."""

    def __init__(self, auth: tuple[str, str] | None = None):
        import base64
        import http.server
        import threading

        log = self.log = []
        refused = self.refused = []
        wanted = "Basic " + base64.b64encode(":".join(auth).encode()).decode() if auth else None
        self.release = threading.Event()
        release = self.release

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = urlsplit(self.path).path
                cookie = self.headers.get("Cookie", "")
                if wanted and self.headers.get("Proxy-Authorization") != wanted:
                    refused.append(path)
                    return self._send(407, "text/html", "credentials", [
                        ("Proxy-Authenticate", 'Basic realm="proxy"')])
                log.append((path, cookie))
                if path == "/stall":  # a challenge whose next round never comes
                    self._send(521, "text/html", '<script>location.href = "/hang"</script>')
                elif path == "/hang":
                    release.wait(60)
                elif path == "/gate" and "pass=1" in cookie:
                    self._send(200, "text/html", PASSED_PAGE)
                elif path == "/gate":
                    self._send(521, "text/html", CHALLENGE_PAGE,
                               [("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")])
                elif path == "/frame":  # answered 200 in a frame: not a pass
                    self._send(200, "text/html", "<p>an ad</p>")
                elif path == "/ok.js":
                    self._send(200, "application/javascript", CHALLENGE_SCRIPT)
                else:
                    self._send(200, "application/octet-stream", "x" * 100)

            def _send(self, status, kind, body, headers=()):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [path for path, _ in self.log]


CHALLENGE_PAGE = """<html><head><link rel="stylesheet" href="/s.css">
<style>@font-face{font-family:F;src:url(/f.woff)} p{font-family:F}</style></head>
<body><p>checking</p><img src="/a.png"><video src="/v.mp4" autoplay muted></video>
<iframe src="/frame"></iframe>
<script src="/ok.js"></script></body></html>"""
CHALLENGE_SCRIPT = """document.cookie = "ls=" + (localStorage.getItem("k") || "none") + "; path=/";
localStorage.setItem("k", "kept");
setTimeout(function () { document.cookie = "pass=1; path=/"; location.reload(); }, 300);"""
PASSED_PAGE = """<html><body>the page<script>
setTimeout(function () { document.cookie = "late=1; path=/"; fetch("/after"); }, 300);
</script></body></html>"""
GATE = "http://pages.example.gov.cn/gate"


def test_a_solve_skips_decoration_holds_only_its_cookies_and_stops_at_the_first_pass():
    async def run():
        solver = BrowserSolver(timeout=20)
        first = await solver.solve(GATE, [], pages.url)
        after_first = len(pages.log)
        second = await solver.solve(GATE, [BrowserCookie("given", "1", "pages.example.gov.cn")],
                                    pages.url)
        await asyncio.sleep(0.6)  # what the passed page would do, had it been let run on
        await solver.close()
        return first, after_first, second, solver

    with Pages() as pages:
        first, after_first, second, solver = asyncio.run(run())
    assert solver.launches == 1 and solver.solves == 2
    # the script and the frame run; nothing decorative is ever sent, and the page is stopped
    # once solved (its timer never fetches /after)
    assert set(pages.paths()) == {"/gate", "/ok.js", "/frame"}
    # each solve starts clean: no cookie, no localStorage from the solve before it
    for clearance in (first, second):
        cookies = {c.name: c.value for c in clearance.cookies}
        assert cookies["ls"] == "none" and cookies["pass"] == "1" and "late" not in cookies
        assert clearance.challenge_rounds == 1 and clearance.seconds < 10
    assert pages.log[0][1] == "" and pages.log[after_first][1] == "given=1"
    # every main-frame answer, with the headers the network really carried
    [challenge, passed] = first.exchanges
    assert (challenge.status, passed.status) == (521, 200)
    assert challenge.url == GATE and challenge.response_headers["Set-Cookie"] == ["a=1; Path=/",
                                                                                  "b=2; Path=/"]
    assert "pass=1" in passed.request_headers["Cookie"][0]
    assert passed.request_headers["User-Agent"] == [solver.user_agent]


def test_another_proxy_relaunches_the_browser_and_the_same_one_reuses_it():
    async def run(one, two):
        solver = BrowserSolver(timeout=20)
        await solver.solve(GATE, [], one.url)
        first_pid = solver.pid
        await solver.solve(GATE, [], two.url)
        await solver.solve(GATE, [], two.url)
        second_pid = solver.pid
        await solver.close()
        return solver, first_pid, second_pid

    with Pages() as one, Pages() as two:
        solver, first_pid, second_pid = asyncio.run(run(one, two))
        assert one.paths().count("/gate") == 2 and two.paths().count("/gate") == 4
    assert solver.launches == 2 and first_pid != second_pid
    assert not Path(f"/proc/{first_pid}").exists() and not Path(f"/proc/{second_pid}").exists()


def test_a_browser_killed_mid_solve_is_a_clear_error_and_the_next_solve_relaunches():
    async def run():
        solver = BrowserSolver(timeout=20)
        await solver.solve(GATE, [], pages.url)
        pid = solver.pid
        gaps, last = [], asyncio.get_running_loop().time()

        async def tick():  # the loop stays free while the browser works
            nonlocal last
            while True:
                await asyncio.sleep(0.01)
                now = asyncio.get_running_loop().time()
                gaps.append(now - last)
                last = now

        ticker = asyncio.ensure_future(tick())
        hanging = asyncio.ensure_future(solver.solve("http://pages.example.gov.cn/stall", [],
                                                     pages.url))
        while "/hang" not in pages.paths():
            await asyncio.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(ChallengeUnsolved, match=r"the browser died during the solve "
                                                    r"\(killed by signal 9"):
            await hanging
        ticker.cancel()
        dead = not Path(f"/proc/{pid}").exists()  # reaped, not a zombie
        again = await solver.solve(GATE, [], pages.url)
        await solver.close()
        return solver, dead, again, max(gaps)

    with Pages() as pages:
        solver, dead, again, longest_gap = asyncio.run(run())
    assert dead and solver.launches == 2 and solver.solves == 2
    assert again.challenge_rounds == 1
    assert longest_gap < 2.0  # never blocked for long (a loaded CI machine may pause it a bit)
    assert not _browser_binaries()  # closed: nothing left of it


def test_a_browser_that_cannot_start_is_unsolved_with_its_reason(tmp_path):
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'error while loading shared libraries: libnss3.so' >&2\n"
                      "exit 127\n")
    broken.chmod(0o755)
    solver = BrowserSolver(executable=broken)
    with pytest.raises(ChallengeUnsolved, match=r"exited before it answered \(exit status 127; "
                                                r"stderr: error while loading shared libraries"):
        asyncio.run(solver.solve(HUADU, [], None))
    assert solver.launches == 0 and not solver.running


def test_an_unreachable_proxy_is_unsolved_with_the_network_error():
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{closed.getsockname()[1]}"
    solver = BrowserSolver(timeout=20)

    async def run():
        try:
            await solver.solve(GATE, [], proxy)
        finally:
            await solver.close()

    with pytest.raises(ChallengeUnsolved, match=r"loading http://pages.example.gov.cn/gate "
                                                r"failed: net::ERR_PROXY_CONNECTION_FAILED"):
        asyncio.run(run())


def test_a_proxy_that_wants_credentials_gets_them_from_its_url():
    """``--proxy http://user:pass@host:port``: Chromium's ``--proxy-server`` takes no user info,
    so the browser answers the proxy's 407 with the URL's credentials (percent-decoded); wrong
    ones are an unsolved challenge that says so, not a pass."""
    async def run(proxy: str):
        solver = BrowserSolver(timeout=20)
        try:
            return await solver.solve(GATE, [], proxy)
        finally:
            await solver.close()

    with Pages(auth=("crawler", "p@ss word")) as pages:
        host = pages.url.removeprefix("http://")
        clearance = asyncio.run(run(f"http://crawler:p%40ss%20word@{host}"))
        assert {c.name: c.value for c in clearance.cookies}["pass"] == "1"
        assert {"/gate", "/ok.js"} <= set(pages.paths()) and pages.refused
        with pytest.raises(ChallengeUnsolved, match="407"):
            asyncio.run(run(f"http://crawler:wrong@{host}"))
