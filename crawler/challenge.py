"""Challenges (412/521 pages with a script and a cookie), met in order:

1. **the cookies the challenge set**: a WAF that sets a cookie on the first response serves
   the page on the retry. Scrapy's cookie handling is off for the whole crawl
   (``COOKIES_ENABLED = False``: portals need none); this middleware keeps a jar per host for
   the cookies that challenge responses (and browsers) set, and sends them on every later
   request to that host. A request is sent again when the jar changed since it went out
   (at most ``MAX_COOKIE_RETRIES`` times);
2. **the page's own scripts in an embedded JavaScript engine** (QuickJS,
   :mod:`crawler.jsengine`), where the site allows a JavaScript solve (as for the browser,
   below; ``GKARCHIVE_JS_ENGINE = False`` skips this step): the cookies the scripts set go to
   the host's jar and the request is sent again, for up to ``MAX_ENGINE_ROUNDS`` rounds (jsl
   has two). A page the engine cannot run (a DOM it lacks, an external script, an error)
   goes on to the browser. A few MB, where the browser costs ~170;
3. **a real browser**, where the site allows it (``browser_challenge = true`` in its config,
   or ``gkarchive crawl --browser``): :class:`crawler.browser.BrowserSolver` loads the URL in
   a headless Chromium (Debian's headless shell, else its full browser) until the challenge
   lets it through; its cookies and User-Agent go to the host's jar and the crawl goes on
   over plain HTTP until a challenge reappears (expired clearance), when the browser is asked
   again. One solve per host at a time: requests
   challenged meanwhile wait for it; at most ``MAX_SOLVES_PER_HOST`` per run, and none after
   ``MAX_UNSOLVED_PER_HOST`` failures;
4. otherwise the response goes on, and the spider records the ``challenge`` error.

Every challenge response is still a fetch row (outcome ``challenge``): the recorder, which
runs before this middleware, wrote it; the browser's own navigation answers are fetch rows of
kind ``browser`` (status and headers; no body: the browser lets a challenge page's body go
when it reloads, and never keeps an ordinary page). The run summary's ``transport`` part counts browser
launches and solves, engine solves, and names how each host's challenges were passed.

Example (settings)::

    DOWNLOADER_MIDDLEWARES = {"crawler.challenge.ChallengeMiddleware": 560, ...}
    GKARCHIVE_BROWSER_CHALLENGE = True       # what `gkarchive crawl --browser` sets
    GKARCHIVE_JS_ENGINE = False              # straight to the browser (tests of the browser)
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import logging
import weakref
from collections import Counter, defaultdict
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.http import Request, Response
from scrapy.http.cookies import CookieJar
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from archive.store import Exchange
from crawler.browser import CHALLENGE_STATUSES, BrowserCookie, BrowserSolver, ChallengeUnsolved
from crawler.fetch import META_KEY, FetchMeta
from crawler.jsengine import EngineUnsolved, solve_page
from crawler.middlewares import is_challenge
from crawler.session import ArchiveSession
from crawler.tls import HostTLS

logger = logging.getLogger(__name__)

MAX_COOKIE_RETRIES = 2
MAX_SOLVES_PER_HOST = 5
MAX_UNSOLVED_PER_HOST = 2
MAX_ENGINE_ROUNDS = 3
_STATES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _host(request: Request) -> str:
    return (urlsplit(request.url).hostname or "").lower()


class HostCookies:
    """One cookie jar per host, with a version that grows whenever a jar's cookies change."""

    def __init__(self):
        self.jars: dict[str, CookieJar] = defaultdict(CookieJar)
        self.versions: Counter[str] = Counter()

    def _snapshot(self, host: str) -> set[tuple[str, str]]:
        return {(c.name, c.value or "") for c in self.jars[host].jar}

    def extract(self, host: str, response: Response, request: Request) -> bool:
        """Take the response's ``Set-Cookie``; True if the host's cookies changed."""
        before = self._snapshot(host)
        self.jars[host].extract_cookies(response, request)
        changed = self._snapshot(host) != before
        self.versions[host] += changed
        return changed

    def put(self, host: str, cookies: tuple[BrowserCookie, ...]) -> None:
        """Install a browser's cookies for ``host``."""
        for c in cookies:
            self.jars[host].set_cookie(http.cookiejar.Cookie(
                0, c.name, c.value, None, False, c.domain, True, c.domain.startswith("."),
                c.path, True, c.secure, int(c.expires) if c.expires else None,
                c.expires is None, None, None, {"HttpOnly": None} if c.http_only else {}))
        self.versions[host] += 1

    def add_header(self, host: str, request: Request) -> int:
        """Set the request's ``Cookie`` header from the host's jar (none if empty); returns the
        jar version it was built from."""
        request.headers.pop("Cookie", None)
        if host in self.jars:
            self.jars[host].add_cookie_header(request)
        return self.versions[host]

    def browser_cookies(self, host: str) -> list[BrowserCookie]:
        return [BrowserCookie(c.name, c.value or "", c.domain, c.path or "/",
                              float(c.expires) if c.expires else None, c.secure,
                              c.has_nonstandard_attr("HttpOnly"))
                for c in self.jars[host].jar if not c.is_expired()] if host in self.jars else []


class ChallengeState:
    """What the run knows about challenges: jars, browser User-Agents, the solver, counts."""

    def __init__(self, solver: BrowserSolver):
        self.cookies = HostCookies()
        self.user_agents: dict[str, str] = {}
        self.solver = solver
        self.solving: dict[str, asyncio.Future] = {}
        self.solves: Counter[str] = Counter()
        # host -> {cookie, engine, browser}: requests let through after each kind of solve
        self.passed: dict[str, Counter[str]] = defaultdict(Counter)
        self.unsolved: dict[str, list[str]] = defaultdict(list)
        self.engine_solves: Counter[str] = Counter()  # engine rounds that set a cookie
        self.engine_unsolved: dict[str, list[str]] = defaultdict(list)  # why not (first 5)

    @classmethod
    def of(cls, session: ArchiveSession) -> "ChallengeState":
        """The run's state: one per archive session, so crawlers sharing a run share one
        browser and one jar per host."""
        state = _STATES.get(session)
        if state is None:
            state = _STATES[session] = cls(BrowserSolver())
        return state

    def summary(self) -> dict:
        hosts = sorted(set(self.passed) | set(self.unsolved) | set(self.engine_unsolved))
        return {
            "engine_solves": sum(self.engine_solves.values()),
            "browser_launches": self.solver.launches,
            "browser": self.solver.browser,  # the binary and version that ran, None if none
            "browser_solves": self.solver.solves,
            "challenges": {host: {"passed_by_cookie": self.passed[host]["cookie"],
                                  "passed_by_engine": self.passed[host]["engine"],
                                  "engine_solves": self.engine_solves[host],
                                  "engine_unsolved": list(self.engine_unsolved[host]),
                                  "passed_by_browser": self.passed[host]["browser"],
                                  "browser_solves": self.solves[host],
                                  "unsolved": list(self.unsolved[host])} for host in hosts},
        }


def transport_summary(session: ArchiveSession) -> dict:
    """The run summary's ``transport`` part: challenges and TLS fallbacks per host."""
    return {**ChallengeState.of(session).summary(), "tls": HostTLS.of(session).summary()}


class ChallengeMiddleware:
    def __init__(self, crawler, state: ChallengeState, session: ArchiveSession,
                 browser_everywhere: bool, engine: bool = True):
        self.state = state
        self.session = session
        self.browser_everywhere = browser_everywhere
        self.engine = engine
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        session = ArchiveSession.of(crawler)
        return cls(crawler, ChallengeState.of(session), session,
                   crawler.settings.getbool("GKARCHIVE_BROWSER_CHALLENGE"),
                   crawler.settings.getbool("GKARCHIVE_JS_ENGINE", True))

    def browser_allowed(self, host: str) -> bool:
        return self.browser_everywhere or any(
            site.browser_challenge and host in site.allowed_hosts
            for site in self.session.sites_file.sites.values())

    def process_request(self, request: Request):
        host = _host(request)
        request.meta["gk_cookie_version"] = self.state.cookies.add_header(host, request)
        if host in self.state.user_agents:  # a browser's clearance may be bound to its UA
            request.headers["User-Agent"] = self.state.user_agents[host]
        return None

    async def process_response(self, request: Request, response: Response):
        host = _host(request)
        meta = request.meta
        if not is_challenge(response):
            if meta.get("gk_challenge_passed_by"):
                self.state.passed[host][meta["gk_challenge_passed_by"]] += 1
            if host in self.state.cookies.jars:  # a WAF in front of this host may rotate them
                self.state.cookies.extract(host, response, request)
            return response
        changed = self.state.cookies.extract(host, response, request)
        newer = self.state.cookies.versions[host] > meta.get("gk_cookie_version", 0)
        if (changed or newer) and meta.get("gk_cookie_retries", 0) < MAX_COOKIE_RETRIES:
            return self._again(request, meta.get("gk_cookie_retries", 0) + 1,
                               meta.get("gk_browser_tried", False),
                               meta.get("gk_challenge_passed_by") or "cookie")
        if not self.browser_allowed(host) or meta.get("gk_browser_tried"):
            return response
        rounds = meta.get("gk_engine_rounds", 0)
        if self.engine and rounds < MAX_ENGINE_ROUNDS and not meta.get("gk_engine_failed"):
            if await self._engine(host, request, response):
                return self._again(request, 0, False, "engine", rounds + 1)
            meta["gk_engine_failed"] = True  # this request goes on to the browser
        error = await self._solve(host, request)
        if error:  # the errback records the challenge with why the browser did not pass it
            fetch = FetchMeta.of(request)
            fetch.error = "; ".join(filter(None, (fetch.error, error)))
            return response
        return self._again(request, 0, True, "browser")

    def _again(self, request: Request, cookie_retries: int, browser_tried: bool,
               passed_by: str, engine_rounds: int | None = None) -> Request:
        retry = request.replace(dont_filter=True)
        retry.meta[META_KEY] = FetchMeta.of(request).retry(0.0)  # the next attempt, at once
        retry.meta.update(gk_cookie_retries=cookie_retries, gk_browser_tried=browser_tried,
                          gk_challenge_passed_by=passed_by)
        if engine_rounds is not None:
            retry.meta["gk_engine_rounds"] = engine_rounds
        return retry

    async def _engine(self, host: str, request: Request, response: Response) -> bool:
        """Run the challenge page's scripts in the embedded engine (a worker thread); True
        when they set cookies (now in the host's jar)."""
        body = getattr(response, "text", None) or response.body.decode("utf-8", "replace")
        user_agent = (request.headers.get("User-Agent") or b"").decode("latin-1")
        jar = {c.name: c.value for c in self.state.cookies.browser_cookies(host)}
        try:
            asyncio.get_running_loop()
            in_thread = asyncio.to_thread  # Scrapy's asyncio reactor (what the crawl runs)
        except RuntimeError:
            def in_thread(*call):
                return maybe_deferred_to_future(threads.deferToThread(*call))
        try:
            cookies = await in_thread(solve_page, body, request.url, user_agent, jar)
        except EngineUnsolved as exc:
            if len(self.state.engine_unsolved[host]) < 5:
                self.state.engine_unsolved[host].append(str(exc))
            logger.info("the JavaScript engine could not pass the challenge of %s (%s): "
                        "asking the browser", host, exc)
            return False
        self.state.engine_solves[host] += 1
        self.state.cookies.put(host, cookies)
        logger.info("the JavaScript engine ran the challenge of %s: set %s", host,
                    ", ".join(c.name for c in cookies))
        return True

    async def _solve(self, host: str, request: Request) -> str | None:
        """Have the browser solve ``host``'s challenge (or wait for the solve under way);
        None when the jar now holds a clearance, else why not."""
        state = self.state
        if host in state.solving:
            return await asyncio.shield(state.solving[host])
        if state.cookies.versions[host] > request.meta.get("gk_cookie_version", 0):
            return None  # solved since this request went out: try the new cookies
        if state.solves[host] >= MAX_SOLVES_PER_HOST:
            return f"browser: {MAX_SOLVES_PER_HOST} solves for {host} in this run already"
        if len(state.unsolved[host]) >= MAX_UNSOLVED_PER_HOST:  # don't spend 30 s per request
            return f"browser: gave up on {host} after {MAX_UNSOLVED_PER_HOST} failed solves"
        try:  # the browser is driven on the asyncio loop of Scrapy's asyncio reactor
            asyncio.get_running_loop()
        except RuntimeError:
            return "browser: needs Scrapy's asyncio reactor (TWISTED_REACTOR)"
        done = state.solving[host] = asyncio.get_running_loop().create_future()
        result = None
        try:
            clearance = await state.solver.solve(request.url, state.cookies.browser_cookies(host),
                                                 request.meta.get("proxy"))
            self._record(request, clearance.exchanges)
            state.solves[host] += 1
            state.cookies.put(host, clearance.cookies)
            state.user_agents[host] = clearance.user_agent
            logger.info("browser passed the challenge of %s in %.1f s (%d rounds)", host,
                        clearance.seconds, clearance.challenge_rounds)
        except ChallengeUnsolved as exc:
            self._record(request, exc.exchanges)
            result = f"browser: {exc}"
            state.unsolved[host].append(result)
            logger.warning("browser could not pass the challenge of %s: %s", host, exc)
        finally:
            del state.solving[host]
            done.set_result(result)
        return result

    def _record(self, request: Request, exchanges) -> None:
        """The browser's navigation answers as fetch rows of kind ``browser``, led to by the
        challenged request's own row."""
        fetch = FetchMeta.of(request)
        for e in exchanges:
            challenged = e.status in CHALLENGE_STATUSES
            self.session.record(Exchange(
                run_id=self.session.run_id, kind="browser", method="GET", url=e.url,
                site=fetch.site, request_headers=e.request_headers,
                outcome="challenge" if challenged else "ok", status=e.status,
                response_headers=e.response_headers,
                error=None if challenged else "passed: the page itself is not kept",
                referer_fetch_id=fetch.fetch_id, referer_url=request.url,
                via_proxy=bool(request.meta.get("proxy"))))

    async def spider_closed(self, spider) -> None:
        await self.state.solver.close()
