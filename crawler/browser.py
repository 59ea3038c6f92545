"""Solve JavaScript cookie challenges (加速乐 521, 瑞数 412) in a real headless browser.

A Debian-packaged Chromium (never a downloaded browser) — the headless shell (package
``chromium-headless-shell``) when it is installed, else the full ``chromium`` — driven over
its debugging pipe by the project's own small DevTools Protocol client (``crawler/cdp.py``)
on the asyncio loop of Scrapy's reactor, so nothing blocks the reactor. It runs as one
process (``--single-process``: about 170 MB RSS with the shell, docs/benchmarks.md) in a
process group of its own, killed whole when it is closed (and it quits by itself if the crawl
dies: its pipe closes). It is the fallback for the challenges the embedded engine
(``crawler/jsengine.py``) cannot run.

One browser at a time, launched on the first challenge (again when a solve asks for another
proxy: the proxy is a launch flag, its URL's credentials answer the proxy's 407), closed when no challenge came for ``IDLE_SECONDS`` and
by :meth:`BrowserSolver.close` at the end. Every solve runs in the browser's one page, in its
default context (a new context hangs under ``--single-process``), after every cookie and the
URL's origin's storage were cleared, so it holds no cookies but those handed in; the cache
and service workers are bypassed, images, media, fonts and style sheets are failed unsent,
and the solve stops as soon as a main-frame navigation is answered by something other than a
challenge, the page then blanked: the browser never keeps or archives an ordinary page —
Scrapy fetches it again over plain HTTP with the browser's cookies and User-Agent. Every
main-frame navigation answer (status, raw request and response headers) is handed back for
the archive; a timeout, a browser that dies mid-solve or cannot start is
:class:`ChallengeUnsolved` with the reason and the answers so far.

Example::

    solver = BrowserSolver()
    clearance = await solver.solve("https://www.example.gov.cn/gkmlpt/index",
                                   cookies=[], proxy=None)
    clearance.cookies, clearance.user_agent, solver.launches
    await solver.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from archive.sites import BROWSER_USER_AGENT
from crawler.cdp import CDPClosed, CDPConnection, CDPError, ChromiumProcess

logger = logging.getLogger(__name__)

# Debian's old headless shell (package chromium-headless-shell: no UI code, far lighter),
# else the full browser (package chromium, whose headless mode is the whole browser).
HEADLESS_SHELL = Path("/usr/lib/chromium/chromium-headless-shell")
CHROMIUM = Path("/usr/bin/chromium")
BROWSERS = (HEADLESS_SHELL, CHROMIUM)
# The flags that work here (DEVELOPERS.md), and memory savers, each measured
# (docs/benchmarks.md): one process for browser, renderer, GPU and network
# (--single-process, which needs no zygote), V8 without its optimising compilers
# (--lite-mode). Timers run at full speed in a page nobody looks at (a challenge script may
# wait before it reloads).
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-extensions",
                 "--no-zygote", "--in-process-gpu", "--single-process",
                 "--js-flags=--lite-mode", "--no-startup-window", "--mute-audio",
                 "--disable-breakpad", "--password-store=basic", "--no-default-browser-check",
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows", "--ignore-certificate-errors",
                 # the proxy, when there is one, carries loopback hosts too, as Scrapy's does
                 "--proxy-bypass-list=<-loopback>")
# The browser costs ~160 MB RSS (the full chromium ~330) while it runs: close it when no
# challenge came for this long.
IDLE_SECONDS = 15.0
CHALLENGE_STATUSES = frozenset({412, 521})
# Fetch's resource types that never matter to a challenge script: failed before they are sent.
SKIPPED_RESOURCES = ("Image", "Media", "Font", "Stylesheet")
# What a page may have left for its origin in the one context (cookies are cleared apart).
STORAGE_TYPES = "local_storage,indexeddb,cache_storage,service_workers,file_systems"
CLOSE_SECONDS = 5.0  # to blank the page after a solve; a browser that takes longer is killed
RAW_HEADERS_SECONDS = 2.0  # to wait for an answer's raw headers once the solve is done


@dataclass(frozen=True)
class BrowserExchange:
    """One navigation answer the browser got while solving: what the archive records of it."""

    url: str
    status: int
    request_headers: dict[str, list[str]]
    response_headers: dict[str, list[str]]


class ChallengeUnsolved(RuntimeError):
    """The browser did not get past the challenge (timeout, crash, or it never relented);
    ``exchanges``: the answers it got meanwhile."""

    def __init__(self, message: str, exchanges: tuple[BrowserExchange, ...] = ()):
        super().__init__(message)
        self.exchanges = exchanges


@dataclass(frozen=True)
class BrowserCookie:
    name: str
    value: str
    domain: str
    path: str = "/"
    expires: float | None = None  # seconds since the epoch; None: a session cookie
    secure: bool = False
    http_only: bool = False


@dataclass(frozen=True)
class Clearance:
    """What a solved challenge hands to the crawler."""

    url: str
    cookies: tuple[BrowserCookie, ...]
    user_agent: str  # the clearance may be bound to it: send it with the cookies
    challenge_rounds: int  # challenge answers the browser went through
    seconds: float
    exchanges: tuple[BrowserExchange, ...] = ()  # every navigation answer, in order


def find_browser(candidates: tuple[Path, ...] | None = None) -> Path | None:
    """``$GKARCHIVE_BROWSER`` if set (a browser binary to use instead: the benchmark's full
    chromium), else the first installed of ``candidates`` (the shell before the full browser)."""
    chosen = os.environ.get("GKARCHIVE_BROWSER")
    if chosen:
        return Path(chosen)
    return next((path for path in candidates or BROWSERS if path.exists()), None)


class BrowserSolver:
    """A headless Chromium for challenges only; ``launches`` and ``solves`` count its work,
    ``browser`` names the one that ran (``chromium-headless-shell 156.0…``).

    ``executable``: the browser binary; by default :func:`find_browser`'s, looked up at each
    launch."""

    def __init__(self, executable: Path | None = None, timeout: float = 30.0,
                 user_agent: str = BROWSER_USER_AGENT, idle_seconds: float = IDLE_SECONDS):
        self.executable = executable
        self.timeout = timeout
        self.user_agent = user_agent
        self.idle_seconds = idle_seconds
        self._idle_timer: asyncio.TimerHandle | None = None
        self._uses = 0  # solves begun: an idle timer closes only if none came after it
        self.launches = 0
        self.solves = 0
        self.browser: str | None = None  # "<binary name> <version>" of the last launch
        self._chromium: ChromiumProcess | None = None
        self._tab: _Tab | None = None  # the running browser's one page
        self._proxy: str | None = None  # the running browser's --proxy-server
        self._profile: tempfile.TemporaryDirectory | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def running(self) -> bool:
        """Whether a browser is up (between a launch and its close)."""
        return self._chromium is not None and not self._chromium.cdp.closed.done()

    @property
    def pid(self) -> int | None:
        """The running browser's process id (its process group's too), None when none runs."""
        return self._chromium.process.pid if self.running else None

    async def solve(self, url: str, cookies: list[BrowserCookie], proxy: str | None) -> Clearance:
        """Load ``url`` holding only ``cookies`` until it stops answering with a challenge;
        return the browser's cookies for that URL. Raises :class:`ChallengeUnsolved`."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one browser, one solve at a time
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            started = time.monotonic()
            try:
                chromium = await self._ensure_browser(proxy)
            except ChallengeUnsolved:
                raise
            except Exception as exc:  # a browser that cannot start solves nothing: say why
                raise ChallengeUnsolved(f"{type(exc).__name__}: {exc}") from exc
            try:
                exchanges, got = await self._run(chromium, url, cookies)
            finally:
                self._uses += 1
                uses = self._uses
                self._idle_timer = asyncio.get_running_loop().call_later(
                    self.idle_seconds, lambda: asyncio.ensure_future(self._close_when_idle(uses)))
            self.solves += 1
            return Clearance(url, tuple(_cookie(c) for c in got), self.user_agent,
                             len(exchanges) - 1, round(time.monotonic() - started, 3), exchanges)

    async def _run(self, chromium: ChromiumProcess, url: str, cookies: list[BrowserCookie]
                   ) -> tuple[tuple[BrowserExchange, ...], list[dict]]:
        """One solve in the browser's page, blanked after it whatever happened."""
        tab = self._tab
        navigation = _Navigation(chromium.cdp, tab)
        try:
            async with asyncio.timeout(self.timeout):
                await tab.reset(url, cookies)
                reply = await tab.navigate(url)
                if reply.get("errorText") and not navigation.answers:
                    raise ChallengeUnsolved(f"loading {url} failed: {reply['errorText']}")
                await navigation.passed_or_closed()
                got = await tab.call("Network.getCookies", {"urls": [url]})
                exchanges = await navigation.exchanges(RAW_HEADERS_SECONDS)
            return exchanges, got["cookies"]
        except TimeoutError:
            exchanges = await navigation.exchanges(0)
            raise ChallengeUnsolved(f"still challenged after {self.timeout:.0f} s (answers: "
                                    f"{[e.status for e in exchanges]})", exchanges) from None
        except CDPClosed:
            why = await chromium.death()
            await self._discard()
            raise ChallengeUnsolved(f"the browser died during the solve ({why})",
                                    await navigation.exchanges(0)) from None
        except CDPError as exc:
            raise ChallengeUnsolved(str(exc), await navigation.exchanges(0)) from exc
        finally:
            navigation.stop()
            await self._blank()

    async def _blank(self) -> None:
        """Stop the solve's page (a blank page has no timers left to set cookies); a browser
        that cannot is killed, and the next solve launches another."""
        if not self.running:
            return
        try:
            await self._tab.navigate("about:blank", timeout=CLOSE_SECONDS)
        except (CDPError, CDPClosed, TimeoutError) as exc:
            logger.warning("blanking the browser's page failed (%s): closing the browser",
                           exc or type(exc).__name__)
            await self._discard()

    async def _ensure_browser(self, proxy: str | None) -> ChromiumProcess:
        running = self._chromium
        if running is not None and not running.cdp.closed.done():
            if self._proxy == proxy:
                return running
            logger.info("relaunching the browser for proxy %s (it ran with %s)", proxy, self._proxy)
        await self._discard()
        server, credentials = _proxy_parts(proxy)
        executable = self.executable or find_browser()
        if executable is None:
            raise ChallengeUnsolved(f"no browser: neither {' nor '.join(map(str, BROWSERS))} is "
                                    "installed (apt-get install chromium-headless-shell)")
        if not executable.exists():
            raise ChallengeUnsolved(f"{executable} is absent (apt-get install "
                                    "chromium-headless-shell, or chromium)")
        args = [*CHROMIUM_ARGS, f"--user-agent={self.user_agent}"]
        if server:
            args.append(f"--proxy-server={server}")
        self._profile = tempfile.TemporaryDirectory(prefix="gkarchive-browser-")
        for attempt in (1, 2):  # the full chromium once in a while dies as it starts
            try:
                self._chromium = await ChromiumProcess.launch(
                    executable, args, Path(self._profile.name), timeout=self.timeout)
                break
            except CDPClosed as exc:
                if attempt == 2:
                    raise
                logger.warning("%s: launching it again", exc)
        try:
            self._tab = await asyncio.wait_for(_Tab.open(self._chromium.cdp, credentials),
                                               self.timeout)
        except BaseException:
            await self._discard()
            raise
        self._proxy = proxy
        self.launches += 1
        self.browser = f"{executable.name} {self._chromium.version}"
        logger.info("launched %s (%s) for a JavaScript challenge (launch %d)", self.browser,
                    executable, self.launches)
        return self._chromium

    async def _close_when_idle(self, uses: int) -> None:
        async with self._lock:
            if uses != self._uses or self._chromium is None:
                return  # a solve came meanwhile (and set a new timer), or already closed
            logger.info("closing the browser: no challenge for %.0f s", self.idle_seconds)
            await self._discard()

    async def close(self) -> None:
        """Close the browser (a no-op if none runs)."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        await self._discard()

    async def _discard(self) -> None:
        """Close the browser, killing what is left of it, and remove its profile."""
        chromium, self._chromium, self._tab = self._chromium, None, None
        if chromium is not None:
            await chromium.close()
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None


class _Tab:
    """The browser's one page, reused by every solve: under ``--single-process``
    ``Target.closeTarget`` answers success but the page lives on, timers and all (and a new
    browser context hangs), so the page is blanked after each solve instead. Images, media,
    fonts and style sheets are paused by ``Fetch`` and failed unsent."""

    def __init__(self, cdp: CDPConnection, target: str, session: str, main_frame: str,
                 credentials: tuple[str, str] | None = None):
        self.cdp, self.target, self.session, self.main_frame = cdp, target, session, main_frame
        self.credentials = credentials
        self._answered: set[str] = set()  # requests whose proxy was given the credentials
        self._failing: set[asyncio.Future] = set()
        cdp.listen(self._skip)

    @classmethod
    async def open(cls, cdp: CDPConnection, credentials: tuple[str, str] | None = None) -> _Tab:
        target = (await cdp.call("Target.createTarget", {"url": "about:blank"}))["targetId"]
        session = (await cdp.call("Target.attachToTarget",
                                  {"targetId": target, "flatten": True}))["sessionId"]
        tree = await cdp.call("Page.getFrameTree", {}, session)
        tab = cls(cdp, target, session, tree["frameTree"]["frame"]["id"], credentials)
        await tab.call("Network.enable")
        await tab.call("Network.setCacheDisabled", {"cacheDisabled": True})
        await tab.call("Network.setBypassServiceWorker", {"bypass": True})
        if credentials:  # every request paused, so that the proxy's 407 reaches us too
            await tab.call("Fetch.enable", {"handleAuthRequests": True, "patterns": [
                {"urlPattern": "*", "requestStage": "Request"}]})
        else:
            await tab.call("Fetch.enable", {"patterns": [
                {"urlPattern": "*", "resourceType": kind, "requestStage": "Request"}
                for kind in SKIPPED_RESOURCES]})
        return tab

    async def call(self, method: str, params: dict | None = None,
                   timeout: float | None = None) -> dict:
        return await self.cdp.call(method, params, self.session, timeout)

    async def reset(self, url: str, cookies: list[BrowserCookie]) -> None:
        """No cookies but ``cookies``, nothing stored for ``url``'s origin."""
        await self.call("Network.clearBrowserCookies")
        parts = urlsplit(url)
        await self.call("Storage.clearDataForOrigin", {"origin": f"{parts.scheme}://{parts.netloc}",
                                                       "storageTypes": STORAGE_TYPES})
        if cookies:
            await self.call("Network.setCookies", {"cookies": [_cdp_cookie(c) for c in cookies]})

    async def navigate(self, url: str, timeout: float | None = None) -> dict:
        return await self.call("Page.navigate", {"url": url}, timeout)

    def _skip(self, method: str, params: dict, session: str | None) -> None:
        """Fail the skipped kinds unsent (only they are paused, unless the proxy wants
        credentials: then the others go on), and give the proxy its credentials, once a
        request (refused again, the request gets the proxy's 407)."""
        if session != self.session:
            return
        request = params.get("requestId")
        if method == "Fetch.requestPaused" and params.get("resourceType") in SKIPPED_RESOURCES:
            call = ("Fetch.failRequest", {"requestId": request, "errorReason": "BlockedByClient"})
        elif method == "Fetch.requestPaused":
            call = ("Fetch.continueRequest", {"requestId": request})
        elif method == "Fetch.authRequired":
            proxy = params["authChallenge"].get("source") == "Proxy"
            if proxy and self.credentials and request not in self._answered:
                self._answered.add(request)
                user, password = self.credentials
                answer = {"response": "ProvideCredentials", "username": user,
                          "password": password}
            else:
                answer = {"response": "CancelAuth"}
            call = ("Fetch.continueWithAuth", {"requestId": request,
                                               "authChallengeResponse": answer})
        else:
            return
        failing = asyncio.ensure_future(self.call(*call))
        self._failing.add(failing)
        failing.add_done_callback(self._failed)

    def _failed(self, failing: asyncio.Future) -> None:
        self._failing.discard(failing)
        if not failing.cancelled() and failing.exception() is not None:
            logger.debug("failing a skipped request: %s", failing.exception())


class _Navigation:
    """A solve's main-frame navigation answers, with their raw headers; ``passed`` once one
    is not a challenge."""

    def __init__(self, cdp: CDPConnection, tab: _Tab):
        self.cdp, self.tab = cdp, tab
        self.answers: list[tuple[str, dict]] = []  # (requestId, response) in order
        self._raw: dict[tuple[str, str], list[dict]] = {}  # (event, requestId) -> extra infos
        self._raw_arrived = asyncio.Event()
        self._passed = asyncio.get_running_loop().create_future()
        self.stop = cdp.listen(self._event)

    async def passed_or_closed(self) -> None:
        """Until a navigation answer is not a challenge (or the pipe closes: CDPClosed)."""
        await asyncio.wait({self._passed, self.cdp.closed}, return_when=asyncio.FIRST_COMPLETED)
        if not self._passed.done():
            raise CDPClosed(self.cdp.closed.result())
        self._passed.result()  # raises when the proxy refused the browser

    def _event(self, method: str, params: dict, session: str | None) -> None:
        if session != self.tab.session:
            return
        if method in ("Network.requestWillBeSentExtraInfo", "Network.responseReceivedExtraInfo"):
            self._raw.setdefault((method, params["requestId"]), []).append(params)
            self._raw_arrived.set()
        elif params.get("type") != "Document" or params.get("frameId") != self.tab.main_frame:
            return
        elif method == "Network.requestWillBeSent" and "redirectResponse" in params:
            self._answer(params["requestId"], params["redirectResponse"])
        elif method == "Network.responseReceived":
            self._answer(params["requestId"], params["response"])

    def _answer(self, request_id: str, response: dict) -> None:
        self.answers.append((request_id, response))
        if response["status"] == 407 and not self._passed.done():  # not the site's answer
            self._passed.set_exception(ChallengeUnsolved(
                "the proxy refused the browser (407: its credentials are wrong or missing)"))
            return
        if response["status"] not in CHALLENGE_STATUSES and not self._passed.done():
            self._passed.set_result(response["status"])

    async def exchanges(self, wait: float) -> tuple[BrowserExchange, ...]:
        """The answers as the archive keeps them, with the raw headers the network sent when
        they came within ``wait`` seconds (else the headers the page saw)."""
        deadline = asyncio.get_running_loop().time() + wait
        while not self._raw_complete() and not self.cdp.closed.done():
            self._raw_arrived.clear()
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._raw_arrived.wait(), left)
        return tuple(self._exchange(i) for i in range(len(self.answers)))

    def _raw_complete(self) -> bool:
        return all(self._raw_of(i, kind) is not None for i in range(len(self.answers))
                   for kind in ("Network.requestWillBeSentExtraInfo",
                                "Network.responseReceivedExtraInfo"))

    def _raw_of(self, index: int, event: str) -> dict | None:
        """The ``event`` extra info of the ``index``-th answer: the n-th of its request (a
        redirected request answers once per hop, under one requestId)."""
        request_id = self.answers[index][0]
        hop = sum(1 for rid, _ in self.answers[:index] if rid == request_id)
        infos = self._raw.get((event, request_id), [])
        return infos[hop] if hop < len(infos) else None

    def _exchange(self, index: int) -> BrowserExchange:
        response = self.answers[index][1]
        sent = self._raw_of(index, "Network.requestWillBeSentExtraInfo")
        got = self._raw_of(index, "Network.responseReceivedExtraInfo")
        return BrowserExchange(
            response["url"], response["status"],
            _headers(sent["headers"] if sent else response.get("requestHeaders", {})),
            _headers(got["headers"] if got else response.get("headers", {})))


def _headers(headers: dict[str, str]) -> dict[str, list[str]]:
    """CDP's headers (repeated ones joined by newlines) as the archive keeps them."""
    return {name: value.split("\n") for name, value in headers.items()}


def _cookie(c: dict) -> BrowserCookie:
    expires = c.get("expires")
    return BrowserCookie(c["name"], c["value"], c["domain"].lstrip("."), c.get("path") or "/",
                         expires if expires and expires > 0 else None,
                         bool(c.get("secure")), bool(c.get("httpOnly")))


def _cdp_cookie(c: BrowserCookie) -> dict:
    cookie = {"name": c.name, "value": c.value, "domain": c.domain, "path": c.path,
              "secure": c.secure, "httpOnly": c.http_only}
    if c.expires:
        cookie["expires"] = c.expires
    return cookie


def _proxy_parts(proxy: str | None) -> tuple[str | None, tuple[str, str] | None]:
    """The proxy as ``--proxy-server`` takes it (no user info: Chromium drops it) and its
    credentials, given to the proxy when it asks (``Fetch.authRequired``)."""
    if not proxy:
        return None, None
    parts = urlsplit(proxy)
    if parts.username is None:
        return proxy, None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    host += f":{parts.port}" if parts.port else ""
    return (urlunsplit(parts._replace(netloc=host)),
            (unquote(parts.username), unquote(parts.password or "")))
