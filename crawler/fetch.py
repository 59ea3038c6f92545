"""The typed protocol between the spiders and the downloader middlewares: one :class:`FetchMeta`
in ``request.meta["gk"]`` instead of loose meta keys.

The spider fills in what the request is (site, kind, the page that led to it); the middlewares
fill in what happened (the fetch row id, the body's sha256, the outcome, classified once, by the
middleware that saw it). The spider's errback reads the outcome from here instead of deriving it
again from the failure. Scrapy's own keys (``proxy``, ``handle_httpstatus_list``,
``dont_obey_robotstxt``, ``download_latency``) stay where Scrapy reads them.

Example::

    request = scrapy.Request(url, meta={META_KEY: FetchMeta(site="dg-fenggang", kind="list")})
    fetch = FetchMeta.of(request)     # in a middleware or a callback
    fetch.outcome is Outcome.OK, fetch.fetch_id
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from enum import Enum
from urllib.parse import urlsplit

META_KEY = "gk"


class Outcome(str, Enum):
    """How one fetch ended: the ``fetches.outcome`` column, and the error kind of a failure."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    HTTP_ERROR = "http_error"
    CHALLENGE = "challenge"  # a JavaScript challenge page (412/521): never a document
    NETWORK_ERROR = "network_error"
    TOO_LARGE = "too_large"  # over DOWNLOAD_MAXSIZE, on the wire or while decompressing
    REFUSED = "refused"  # the site guard would not send it
    ROBOTS_DISALLOWED = "robots_disallowed"

    @property
    def failed(self) -> bool:
        return self not in (Outcome.OK, Outcome.NOT_MODIFIED)


@dataclass
class FetchMeta:
    """One request's facts. Set by the spider: ``site``, ``kind``, the referer. Set by the
    middlewares: ``fetch_id``, ``sha256``, ``outcome`` and ``error``, ``delay``, ``retries``."""

    site: str | None
    kind: str  # entry, shell, list, detail, attachment, robots, …
    referer_fetch_id: int | None = None
    referer_url: str | None = None
    previous_sha256: str | None = None  # a conditional request: the archived body's digest
    delay: float = 0.0  # seconds to wait before sending (backoff)
    retries: int = 0
    fetch_id: int | None = None
    sha256: str | None = None
    outcome: Outcome | None = None
    error: str | None = None
    wire_headers: dict | None = None  # response headers as sent, before decompression
    # The response already recorded (never twice), by a weak reference: a response refers to
    # its request, whose meta holds this, so a strong one made every response a reference
    # cycle that only the cyclic garbage collector frees, bodies and all, hundreds of them
    # at a time (docs/benchmarks.md, "A simulated province": the crawl's peak memory).
    recorded_response: weakref.ref | None = None

    @classmethod
    def of(cls, request) -> "FetchMeta":
        """The request's FetchMeta; requests made by Scrapy itself (robots.txt) get one."""
        fetch = request.meta.get(META_KEY)
        if fetch is None:
            kind = "robots" if urlsplit(request.url).path == "/robots.txt" else "other"
            fetch = request.meta[META_KEY] = cls(site=None, kind=kind)
        return fetch

    def recorded(self, response) -> bool:
        """True when ``response`` is the one already recorded for this request."""
        return self.recorded_response is not None and self.recorded_response() is response

    def mark_recorded(self, response) -> None:
        self.recorded_response = weakref.ref(response)

    def __getstate__(self) -> dict:
        """Pickled (a request queued in Redis) without the weak reference."""
        return {**self.__dict__, "recorded_response": None}

    def fail(self, outcome: Outcome, error: str) -> None:
        self.outcome, self.error = outcome, error

    def retry(self, delay: float) -> "FetchMeta":
        """A copy for the next attempt: the result fields of this one cleared."""
        return replace(self, delay=delay, retries=self.retries + 1, fetch_id=None, sha256=None,
                       outcome=None, error=None, wire_headers=None, recorded_response=None)

    @property
    def attempt(self) -> int:
        return self.retries + 1
