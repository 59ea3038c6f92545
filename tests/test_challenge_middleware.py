"""The challenge middleware's bookkeeping and the TLS fallback's memory, alone.

The crawl tests (test_crawl_challenges.py) run the real browser against the simulated portal;
the races here — requests challenged while a solve is under way, or answered after it ended —
cannot be produced on demand with real parts, so these tests hand the middleware real Scrapy
requests and responses and a stub solver (``StubSolver``: counts solves, waits on an event)."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest
from OpenSSL import SSL
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from twisted.web._newclient import ResponseNeverReceived
from twisted.python.failure import Failure

from archive.sites import load_sites
from crawler.browser import BrowserCookie, ChallengeUnsolved, Clearance
from crawler.challenge import MAX_SOLVES_PER_HOST, ChallengeMiddleware, ChallengeState, HostCookies
from crawler.fetch import FetchMeta
from crawler.tls import HostTLS, TLSProfile, tls_handshake_error
from tests.crawl_support import PORTAL_SITES

URL = "https://www.huadu.gov.cn/gzhdslz/gkmlpt/index"
HOST = "www.huadu.gov.cn"
CHALLENGE = b"<html><script>document.cookie='x=1';location.reload()</script></html>"


def challenge(request: Request, set_cookie: str | None = None) -> HtmlResponse:
    headers = {"Set-Cookie": set_cookie} if set_cookie else {}
    return HtmlResponse(request.url, status=521, headers=headers, body=CHALLENGE, request=request)


class StubSolver:
    def __init__(self, fail: bool = False):
        self.solves = self.launches = 0
        self.browser = None  # never launched one
        self.fail = fail
        self.release = asyncio.Event()

    async def solve(self, url, cookies, proxy):
        await self.release.wait()
        self.solves += 1
        if self.fail:
            raise ChallengeUnsolved("still challenged after 30 s")
        cookie = BrowserCookie("__jsl_clearance_s", f"solved{self.solves}", HOST)
        return Clearance(url, (cookie,), "Mozilla/5.0 (stub)", 2, 0.1)

    async def close(self):
        return None


def middleware(solver, everywhere=True, engine=False) -> ChallengeMiddleware:
    """The middleware; without the JavaScript engine unless asked (these tests are of the
    cookie retry and the browser step)."""
    session = SimpleNamespace(sites_file=load_sites(PORTAL_SITES), run_id=1,
                              record=lambda exchange: 0)
    return ChallengeMiddleware(get_crawler(), ChallengeState(solver), session, everywhere, engine)


def sent(mw: ChallengeMiddleware, url: str = URL) -> Request:
    request = Request(url)
    mw.process_request(request)
    return request


def test_host_cookies_version_only_on_change_and_replace_a_stale_header():
    jar = HostCookies()
    request = Request(URL, headers={"Cookie": "stale=1"})
    assert jar.add_header(HOST, request) == 0 and b"Cookie" not in request.headers
    assert jar.extract(HOST, challenge(request, "acw_tc=abc; Path=/"), request)
    assert not jar.extract(HOST, challenge(request, "acw_tc=abc; Path=/"), request)
    again = Request(URL)
    assert jar.add_header(HOST, again) == 1 and again.headers["Cookie"] == b"acw_tc=abc"
    other = Request("http://www.dg.gov.cn/dgfgz/gkmlpt/index")
    jar.add_header("www.dg.gov.cn", other)
    assert b"Cookie" not in other.headers  # a host's cookies stay with that host
    jar.put(HOST, (BrowserCookie("old", "1", HOST, expires=time.time() - 10),
                   BrowserCookie("clear", "2", HOST, expires=time.time() + 3600, http_only=True)))
    fresh = Request(URL)
    assert jar.add_header(HOST, fresh) == 2
    assert fresh.headers["Cookie"].decode() in ("acw_tc=abc; clear=2", "clear=2; acw_tc=abc")
    names = {c.name: c for c in jar.browser_cookies(HOST)}
    assert names["clear"].http_only and "old" not in names


def test_cookie_retry_once_then_the_browser_then_plain_http_with_its_user_agent():
    async def run():
        solver = StubSolver()
        solver.release.set()
        mw = middleware(solver)
        first = sent(mw)
        retry = await mw.process_response(first, challenge(first, "__jsluid_s=u1; Path=/"))
        assert isinstance(retry, Request) and retry.meta["gk_cookie_retries"] == 1
        assert FetchMeta.of(retry).attempt == 2 and FetchMeta.of(retry) is not FetchMeta.of(first)
        mw.process_request(retry)
        assert retry.headers["Cookie"] == b"__jsluid_s=u1"
        after = await mw.process_response(retry, challenge(retry))  # no new cookie: the browser
        assert isinstance(after, Request) and after.meta["gk_browser_tried"]
        mw.process_request(after)
        assert b"__jsl_clearance_s=solved1" in after.headers["Cookie"]
        assert after.headers["User-Agent"] == b"Mozilla/5.0 (stub)"
        again = await mw.process_response(after, challenge(after))  # still challenged: give up
        assert isinstance(again, HtmlResponse) and again.status == 521
        page = HtmlResponse(URL, status=200, body=b"<html>ok</html>", request=after,
                            headers={"Set-Cookie": "__jsluid_s=u2; Path=/"})
        assert await mw.process_response(after, page) is page
        rotated = sent(mw)  # the WAF rotated its cookie on an ordinary page: it is sent on
        assert b"__jsluid_s=u2" in rotated.headers["Cookie"]
        return mw.state.summary()

    summary = asyncio.run(run())
    assert summary["browser_solves"] == 1
    assert summary["challenges"][HOST]["passed_by_browser"] == 1


def test_the_engine_runs_the_page_first_and_a_page_it_cannot_run_goes_to_the_browser():
    async def run():
        solver = StubSolver()
        solver.release.set()
        mw = middleware(solver, engine=True)
        first = sent(mw)
        # the engine runs the script (real QuickJS): its cookie is sent on the retry
        retry = await mw.process_response(first, challenge(first))
        assert isinstance(retry, Request) and retry.meta["gk_engine_rounds"] == 1
        assert not retry.meta["gk_browser_tried"] and solver.solves == 0
        mw.process_request(retry)
        assert retry.headers["Cookie"] == b"x=1"
        # a page whose script the engine cannot fetch: the browser is asked
        external = HtmlResponse(URL, status=521, request=retry,
                                body=b"<html><script src='/jsl.js'></script></html>")
        after = await mw.process_response(retry, external)
        assert isinstance(after, Request) and after.meta["gk_browser_tried"]
        assert solver.solves == 1
        page = HtmlResponse(URL, status=200, body=b"<html>ok</html>", request=after)
        assert await mw.process_response(after, page) is page
        return mw.state.summary()

    summary = asyncio.run(run())
    host = summary["challenges"][HOST]
    assert summary["engine_solves"] == host["engine_solves"] == 1
    assert host["engine_unsolved"] == ["an external script (/jsl.js)"]
    assert host["passed_by_browser"] == 1 and host["passed_by_engine"] == 0


def test_requests_challenged_during_a_solve_share_it_and_late_answers_reuse_it():
    async def run():
        solver = StubSolver()
        mw = middleware(solver)
        requests = [sent(mw) for _ in range(4)]
        late = sent(mw)  # sent before the solve, answered after it
        for r in requests + [late]:
            r.meta["gk_cookie_retries"] = 2  # cookie retries spent: straight to the browser
        pending = [asyncio.ensure_future(mw.process_response(r, challenge(r))) for r in requests]
        await asyncio.sleep(0.05)
        solver.release.set()
        results = await asyncio.gather(*pending)
        late_result = await mw.process_response(late, challenge(late))
        return solver.solves, results, late_result

    solves, results, late_result = asyncio.run(run())
    assert solves == 1 and all(isinstance(r, Request) for r in results)
    assert isinstance(late_result, Request)


def test_unsolved_browser_disallowed_host_and_the_solve_cap_record_the_challenge():
    async def run():
        failing = StubSolver(fail=True)
        failing.release.set()
        mw = middleware(failing)
        request = sent(mw)
        request.meta["gk_cookie_retries"] = 2
        response = await mw.process_response(request, challenge(request))
        disallowed = middleware(StubSolver(), everywhere=False)
        other = sent(disallowed)
        other.meta["gk_cookie_retries"] = 2
        kept = await disallowed.process_response(other, challenge(other))
        second = sent(mw)
        second.meta["gk_cookie_retries"] = 2
        await mw.process_response(second, challenge(second))
        given_up = sent(mw)
        given_up.meta["gk_cookie_retries"] = 2
        await mw.process_response(given_up, challenge(given_up))
        assert failing.solves == 2 and "gave up" in FetchMeta.of(given_up).error
        capped = middleware(StubSolver())
        capped.state.solves[HOST] = MAX_SOLVES_PER_HOST
        third = sent(capped)
        third.meta["gk_cookie_retries"] = 2
        return request, response, other, kept, third, await capped.process_response(third, challenge(third))

    request, response, other, kept, third, capped = asyncio.run(run())
    assert response.status == 521 and "still challenged" in FetchMeta.of(request).error
    assert kept.status == 521 and FetchMeta.of(other).error is None
    assert capped.status == 521 and "solves for" in FetchMeta.of(third).error


def test_host_tls_moves_one_step_per_failed_profile_and_remembers_what_worked():
    hosts = HostTLS()
    assert hosts.profile("a.gov.cn") is TLSProfile.DEFAULT
    assert hosts.failed("a.gov.cn", TLSProfile.DEFAULT, "alert") is TLSProfile.P256
    # a second request that went out with the default profile does not skip P-256
    assert hosts.failed("a.gov.cn", TLSProfile.DEFAULT, "alert") is TLSProfile.P256
    hosts.worked("a.gov.cn", TLSProfile.P256)
    assert hosts.failed("a.gov.cn", TLSProfile.P256, "reset") is None  # worked: ordinary error
    for profile in (TLSProfile.DEFAULT, TLSProfile.P256):
        hosts.failed("b.gov.cn", profile, "alert")
    assert hosts.failed("b.gov.cn", TLSProfile.LEGACY, "alert") is None
    assert hosts.summary() == {
        "a.gov.cn": {"profile": "p256", "failed": ["default: alert"]},
        "b.gov.cn": {"profile": None, "failed": ["default: alert", "p256: alert", "legacy: alert"]},
    }


@pytest.mark.parametrize("wrapped", [
    SSL.Error([("SSL routines", "", "tls alert handshake failure")]),
    ResponseNeverReceived([Failure(SSL.Error([("SSL routines", "", "bad ecpoint")]))]),
])
def test_tls_handshake_error_is_found_inside_twisted_wrappers(wrapped):
    assert tls_handshake_error(wrapped)
    assert tls_handshake_error(ResponseNeverReceived([Failure(ConnectionResetError())])) is None
