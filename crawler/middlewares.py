"""Downloader middlewares: the site guard, per-host profiles, backoff retries, the fetch recorder.

Order (``crawler.settings.DOWNLOADER_MIDDLEWARES``): the guard refuses a URL before anything
is sent; the profile sets the User-Agent and proxy; the recorder writes every exchange and
failed attempt to the archive (after decompression, before retries); the retry middleware
backs off exponentially with jitter and honours ``Retry-After`` (Scrapy's own has neither).

They talk to the spider through :class:`crawler.fetch.FetchMeta` only; each failure is
classified once, by the middleware that sees it (guard: refused; robots: disallowed;
decompression: too large; recorder: everything that reached the wire).
"""

from __future__ import annotations

import ipaddress
import logging
import random
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import sleep

from archive.sites import BROWSER_USER_AGENT
from archive.store import Exchange
from crawler.fetch import META_KEY, FetchMeta, Outcome
from crawler.platforms.gdsearch import SEARCH_HOSTS
from crawler.session import ArchiveSession

logger = logging.getLogger(__name__)

RETRY_HTTP_CODES = {500, 502, 503, 504, 408, 429, 522, 524}
CHALLENGE_CODES = {412, 521}


def headers_dict(headers) -> dict[str, list[str]]:
    return {k.decode("latin-1"): [v.decode("latin-1") for v in values]
            for k, values in headers.items()}


def is_challenge(response: Response) -> bool:
    """A JavaScript challenge page (412/521 with a small script page) is never a document."""
    if response.status not in CHALLENGE_CODES:
        return False
    head = response.body[:20000].lower()
    return b"<script" in head or b"document.cookie" in head or len(response.body) < 20000


def response_outcome(response: Response) -> tuple[Outcome, str | None]:
    """The one classification of a response, and its error message."""
    if is_challenge(response):
        return Outcome.CHALLENGE, f"HTTP {response.status} JavaScript challenge page"
    if response.status == 304:
        return Outcome.NOT_MODIFIED, None
    if response.status >= 400:
        return Outcome.HTTP_ERROR, f"HTTP {response.status}"
    return Outcome.OK, None


class SiteGuardMiddleware:
    """Fetch only http(s) URLs on the hosts a site's config allows (and searches on the
    province's search service, ``SEARCH_HOSTS``); never IP literals that are
    loopback, private or link-local (``GKARCHIVE_ALLOW_LOOPBACK`` lets loopback, and only
    loopback, through for a test site that lists it; the simulated portal needs no exemption:
    it is the proxy, and the guard judges the URL)."""

    def __init__(self, session: ArchiveSession, allow_loopback: bool):
        self.session = session
        self.allow_loopback = allow_loopback

    @classmethod
    def from_crawler(cls, crawler):
        return cls(ArchiveSession.of(crawler), crawler.settings.getbool("GKARCHIVE_ALLOW_LOOPBACK"))

    def process_request(self, request: Request):
        reason = self.refusal(request)
        if reason:
            FetchMeta.of(request).fail(Outcome.REFUSED, reason)
            raise IgnoreRequest(f"refused {request.url}: {reason}")
        return None

    def refusal(self, request: Request) -> str | None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            return f"scheme {parts.scheme!r} is not http(s)"
        host = (parts.hostname or "").lower()
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        exempt = self.allow_loopback and address is not None and address.is_loopback
        if address is not None and not exempt and (
            address.is_loopback or address.is_private or address.is_link_local
            or address.is_reserved or address.is_unspecified
        ):
            return f"address {host} is loopback, private or link-local"
        fetch = FetchMeta.of(request)
        if host in SEARCH_HOSTS and fetch.kind in ("search", "robots"):
            return None  # the province's search service, for searches only
        allowed = self.session.allowed_hosts(fetch.site)
        if host not in allowed:
            return f"host {host} is not in the allowed hosts of the site"
        return None


class SiteProfileMiddleware:
    """Per-host User-Agent (honest by default, a browser's where a site needs it) and proxy."""

    def __init__(self, session: ArchiveSession, user_agent: str, proxy: str | None):
        self.session = session
        self.user_agent = user_agent
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(ArchiveSession.of(crawler), settings.get("USER_AGENT"),
                   settings.get("GKARCHIVE_PROXY") or None)

    def process_request(self, request: Request):
        host = urlsplit(request.url).hostname or ""
        browser = self.session.host_needs_browser_ua(host)
        request.headers["User-Agent"] = BROWSER_USER_AGENT if browser else self.user_agent
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy
        return None


class RobotsMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, marking the requests it forbids as such."""

    def process_request_2(self, rp, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as exc:
            FetchMeta.of(request).fail(Outcome.ROBOTS_DISALLOWED, f"IgnoreRequest: {exc}")
            raise


class DecompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression, marking a body refused for exceeding ``DOWNLOAD_MAXSIZE`` once
    decompressed (the one reason it ignores a response) as too large."""

    def process_response(self, request: Request, response: Response, spider=None):
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            FetchMeta.of(request).fail(Outcome.TOO_LARGE, f"IgnoreRequest: {exc}")
            raise


class WireHeadersMiddleware:
    """Keep the response headers as the server sent them (Content-Encoding included):
    Scrapy's decompression, which runs next, removes them; the recorder stores these."""

    def process_response(self, request: Request, response: Response):
        FetchMeta.of(request).wire_headers = headers_dict(response.headers)
        return response


class FetchRecorderMiddleware:
    """Write every exchange (and every failed attempt) to the archive; the row id, the body's
    sha256 and the outcome go to the request's :class:`FetchMeta`."""

    def __init__(self, session: ArchiveSession):
        self.session = session

    @classmethod
    def from_crawler(cls, crawler):
        return cls(ArchiveSession.of(crawler))

    def process_response(self, request: Request, response: Response):
        fetch = FetchMeta.of(request)
        if fetch.recorded(response):
            return response
        fetch.outcome, fetch.error = response_outcome(response)
        exchange = self._exchange(request, fetch, response)
        fetch.fetch_id = self.session.record(exchange)
        fetch.sha256 = exchange.sha256
        fetch.mark_recorded(response)
        return response

    def process_exception(self, request: Request, exception: Exception):
        if isinstance(exception, IgnoreRequest):  # never sent; classified by who refused it
            return None
        fetch = FetchMeta.of(request)
        # A cancelled download is a body over DOWNLOAD_MAXSIZE.
        outcome = Outcome.TOO_LARGE if isinstance(exception, DownloadCancelledError) \
            else Outcome.NETWORK_ERROR
        fetch.fail(outcome, f"{type(exception).__name__}: {exception}")
        fetch.fetch_id = self.session.record(self._exchange(request, fetch, None))
        return None

    def _exchange(self, request: Request, fetch: FetchMeta, response: Response | None) -> Exchange:
        latency = request.meta.get("download_latency")
        wire_headers, fetch.wire_headers = fetch.wire_headers, None
        return Exchange(
            run_id=self.session.run_id, kind=fetch.kind,
            method=request.method, url=request.url, site=fetch.site,
            request_headers=headers_dict(request.headers), outcome=fetch.outcome.value,
            error=fetch.error, status=response.status if response is not None else None,
            response_headers=(wire_headers or headers_dict(response.headers))
            if response is not None else None,
            body=response.body if response is not None else None,
            elapsed_ms=int(latency * 1000) if latency is not None else None,
            referer_fetch_id=fetch.referer_fetch_id, referer_url=fetch.referer_url,
            attempt=fetch.attempt,
            via_proxy=bool(request.meta.get("proxy")),
        )


class BackoffRetryMiddleware:
    """Retry transient failures with exponential backoff and full jitter, honouring
    ``Retry-After``; give up after ``RETRY_TIMES`` retries and let the errback record it."""

    def __init__(self, max_retries: int, base: float, cap: float):
        self.max_retries = max_retries
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        return cls(settings.getint("RETRY_TIMES"), settings.getfloat("GKARCHIVE_RETRY_BASE"),
                   settings.getfloat("GKARCHIVE_RETRY_CAP"))

    async def process_request(self, request: Request):
        fetch = FetchMeta.of(request)
        delay, fetch.delay = fetch.delay, 0.0
        if delay:
            await sleep(delay)
        return None

    def process_response(self, request: Request, response: Response):
        if response.status not in RETRY_HTTP_CODES or request.meta.get("dont_retry"):
            return response
        retry = self._retry(request, f"HTTP {response.status}", self._retry_after(response))
        return retry or response

    def process_exception(self, request: Request, exception: Exception):
        # A cancelled download is a body over DOWNLOAD_MAXSIZE: it will be too large again.
        if isinstance(exception, (IgnoreRequest, DownloadCancelledError)) \
                or request.meta.get("dont_retry"):
            return None
        return self._retry(request, type(exception).__name__, None)

    def _retry(self, request: Request, reason: str, retry_after: float | None) -> Request | None:
        fetch = FetchMeta.of(request)
        retries = fetch.retries + 1
        if retries > self.max_retries:
            logger.info("gave up on %s after %d retries (%s)", request.url, retries - 1, reason)
            return None
        delay = retry_after if retry_after is not None else self.backoff(retries)
        logger.debug("retry %d of %s in %.2fs (%s)", retries, request.url, delay, reason)
        new = request.replace(dont_filter=True)
        new.meta[META_KEY] = fetch.retry(delay)
        return new

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1))) + self.base / 2

    def _retry_after(self, response: Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        text = value.decode("latin-1").strip()
        if text.isdigit():
            seconds = float(text)
        else:
            try:
                seconds = parsedate_to_datetime(text).timestamp() - time.time()
            except (TypeError, ValueError):
                return None
        return max(0.0, min(seconds, self.cap * 4))
