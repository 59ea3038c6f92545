"""The browser's page for challenges (:mod:`crawler.browser` drives it): what a solve does
in it over the DevTools protocol, and the records it hands back.

:class:`Tab` is the browser's one page: cookies and the origin's storage cleared before each
solve, decorative requests failed unsent, a proxy's 407 answered with its URL's credentials.
:class:`Navigation` follows one solve's main-frame answers, with the raw headers the network
carried, until one is not a challenge.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.cdp import CDPClosed, CDPConnection

logger = logging.getLogger(__name__)

CHALLENGE_STATUSES = frozenset({412, 521})
# Fetch's resource types that never matter to a challenge script: failed before they are sent.
SKIPPED_RESOURCES = ("Image", "Media", "Font", "Stylesheet")
# What a page may have left for its origin in the one context (cookies are cleared apart).
STORAGE_TYPES = "local_storage,indexeddb,cache_storage,service_workers,file_systems"


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


class Tab:
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
    async def open(cls, cdp: CDPConnection, credentials: tuple[str, str] | None = None) -> Tab:
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


class Navigation:
    """A solve's main-frame navigation answers, with their raw headers; ``passed`` once one
    is not a challenge."""

    def __init__(self, cdp: CDPConnection, tab: Tab):
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


def browser_cookie(c: dict) -> BrowserCookie:
    """A cookie as CDP gives it (``Network.getCookies``), as the crawler takes it."""
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
