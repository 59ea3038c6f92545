"""Switches and injected faults of the simulated portal, and the per-URL attempt counter.

Every switch is deterministic: a fault hits given attempts at a URL (counted from portal
start), never a random one. Names are the ``--faults`` values; README.md documents each.

Example::

    switches = parse_switches("5xx_burst,validators")
    state = FaultState(switches)
    state.attempt("http://www.dg.gov.cn/attachment/1/1090/1090274/3912896.pdf")   # 1
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter

from .variants import WHERE_SWITCHES

# [I] behaviours of the platform: the crawler must cope with each setting.
SWITCHES = {
    "empty_page_end": "past the last page the list API answers 200 with \"articles\": []",
    "short_pages": "page 1 leaves out some non-report posts; total != post_count",
    "dup_across_pages": "each list page repeats the last 3 posts of the page before",
    "swap_escape": "swap the DETAIL escaping styles (hex <-> plain) of every site",
    "validators": "ETag + Last-Modified on pages and attachments; 304 on a match",
    "no_sid": "the list API ignores sid (a wrong sid no longer gives 404)",
    "content_disposition": "attachments carry Content-Disposition with the file name",
    **WHERE_SWITCHES,
}
# Transport and server faults.
FAULTS = {
    "5xx_burst": "first 2 attempts at each list-API and attachment URL get 503",
    "5xx_retry_after": "like 5xx_burst, with Retry-After: 1",
    "5xx_retry_after_date": "like 5xx_burst, with Retry-After as an HTTP date 3 s ahead",
    "slow": "every response is delayed 0.3-1.5 s (fixed per URL)",
    "slow_drip": "attachment bodies dribble out in small chunks (< 10 s in all)",
    "reset": "the first attempt at each attachment is reset mid-body",
    "truncated": "the first attempt at each attachment stops short of Content-Length",
    "challenge": "every request to zjj.dg.gov.cn gets a 412 JavaScript challenge",
    "challenge_521": "every request to zjj.dg.gov.cn gets a 521 JavaScript challenge",
    "ua_reset": "www.huadu.gov.cn resets requests whose User-Agent lacks 'Mozilla/'",
    "gzip_unasked": "every 200 body is gzip-encoded, asked for or not",
    "html_error_pdf": "one PDF attachment answers 200 text/html 系统繁忙, permanently",
    "malformed_json": "the first answer of each list-API URL is cut-off JSON",
    "timeout": "the first attempt at one detail page hangs silently for 35 s",
    "hostile_links": "dg-fenggang links private/loopback/file:/ftp:/foreign URLs, "
                     "a ../../etc/passwd file name, and redirects a detail page off-site",
    "gzip_bomb": "one .doc is answered with 256 MiB of zeros gzip-encoded (~250 KB sent)",
    "waf_cookie": "www.dg.gov.cn answers 412 + Set-Cookie acw_tc to a request without the cookie",
    "js_challenge": "www.huadu.gov.cn answers a 2-round jsl 521 JavaScript cookie challenge "
                    "to a client without a clearance (bound to its User-Agent)",
    "challenge_expiry": "with js_challenge: a clearance is good for 12 requests, then the "
                        "challenge starts again",
    "tls_p256": "zjj.dg.gov.cn refuses the TLS handshake unless the client offers only P-256",
    "tls_legacy": "zjj.dg.gov.cn speaks only TLS 1.0/1.1 with SECLEVEL=0 ciphers",
}
ALL = {**SWITCHES, **FAULTS}

CHALLENGE_HOST = "zjj.dg.gov.cn"
UA_RESET_HOST = "www.huadu.gov.cn"
WAF_COOKIE_HOST = "www.dg.gov.cn"
JS_CHALLENGE_HOST = "www.huadu.gov.cn"
TLS_HOST = "zjj.dg.gov.cn"  # tls_p256 / tls_legacy
# Pairs that cannot both be on: each needs the other's host to behave differently.
EXCLUSIVE = ({"tls_p256", "tls_legacy"},)
NEEDS = {"challenge_expiry": "js_challenge"}
HTML_ERROR_PDF = ("huadu-shiling", 2020)  # (slug, report year) whose PDF is the busy page
TIMEOUT_DETAIL = ("dg-fenggang", 2020)  # (slug, report year) whose detail page hangs
BURST = 2  # 5xx_burst / 5xx_retry_after(_date): failing attempts per URL
RETRY_AFTER_DATE_SECONDS = 3  # 5xx_retry_after_date: how far ahead the HTTP date is


def parse_switches(text: str | None) -> frozenset[str]:
    """``"a,b"`` → ``{"a", "b"}``; an unknown name raises ValueError listing the valid ones."""
    names = {n.strip() for n in (text or "").split(",") if n.strip()}
    return validate(names)


def validate(names) -> frozenset[str]:
    """The names as a frozenset, or ValueError for any that is not a switch or fault."""
    unknown = set(names) - set(ALL)
    if unknown:
        raise ValueError(f"unknown portal faults {sorted(unknown)}; known: {sorted(ALL)}")
    for pair in EXCLUSIVE:
        if pair <= set(names):
            raise ValueError(f"portal faults {sorted(pair)} exclude each other")
    for name, needed in NEEDS.items():
        if name in names and needed not in names:
            raise ValueError(f"portal fault {name} needs {needed}")
    return frozenset(names)


def slow_delay(url: str) -> float:
    """The ``slow`` delay of ``url``: 0.3–1.5 s, the same on every attempt."""
    digest = int(hashlib.sha256(url.encode()).hexdigest()[:8], 16)
    return 0.3 + (digest % 1201) / 1000


class FaultState:
    """The active switches plus a thread-safe count of attempts per absolute URL.

    Faults that hit "the first attempts" queue up: with ``5xx_burst`` and ``reset`` both on,
    attempts 1–2 get 503 and attempt 3 is reset; attempt 4 succeeds.
    """

    def __init__(self, switches: frozenset[str]):
        self.switches = switches
        self._attempts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __contains__(self, name: str) -> bool:
        return name in self.switches

    def attempt(self, url: str) -> int:
        """Count one more request for ``url``; returns its 1-based attempt number."""
        with self._lock:
            self._attempts[url] += 1
            return self._attempts[url]

    @property
    def burst(self) -> int:
        """How many first attempts the 5xx faults take."""
        return BURST if self.switches & {"5xx_burst", "5xx_retry_after",
                                         "5xx_retry_after_date"} else 0
