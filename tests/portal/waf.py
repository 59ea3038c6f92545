"""Web application firewalls in front of a host: a cookie-on-first-response WAF and a
加速乐 (jsl) style JavaScript cookie challenge.

``waf_cookie``: a request without a valid ``acw_tc`` cookie gets ``412``, a small page and
``Set-Cookie: acw_tc=…``; with the cookie the page is served.

``js_challenge`` (jsl, ``521``), per client (``__jsluid_s``):

1. no valid ``__jsluid_s``: ``Set-Cookie: __jsluid_s=…`` and a script that computes a first
   ``__jsl_clearance_s`` by arithmetic (digits as XOR/difference expressions, nothing a regex
   can read) and reloads;
2. the first clearance: a second script that searches two characters whose FNV-1a hash of
   ``prefix + c1 + c2 + suffix`` equals ``ct`` (the answer is never in the page), sets it as
   ``__jsl_clearance_s`` and reloads;
3. that clearance, for the same User-Agent and younger than ``CLEARANCE_SECONDS``: the page.

Tokens are HMAC-signed, so the server keeps no table of clients; the clearance is bound to the
``__jsluid_s`` and to the User-Agent that solved it. ``challenge_expiry`` makes a clearance
good for ``EXPIRY_USES`` requests only: then the challenge starts again.

Example::

    gate = WafGate(frozenset({"js_challenge"}))
    gate.check(req)          # a Response (challenge) or None (let the request through)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import threading
import time
from collections import Counter
from http.cookies import CookieError, SimpleCookie

from .faults import JS_CHALLENGE_HOST, WAF_COOKIE_HOST
from .routes import Request, Response, html

WAF_COOKIE = "acw_tc"
JSL_UID = "__jsluid_s"
JSL_CLEARANCE = "__jsl_clearance_s"
CLEARANCE_SECONDS = 3600
WAF_COOKIE_SECONDS = 1800
EXPIRY_USES = 12
CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def fnv1a(text: str) -> str:
    """32-bit FNV-1a of ``text``'s UTF-16 code units (ASCII here), as 8 hex digits; the same
    function the challenge script runs."""
    value = 0x811C9DC5
    for char in text:
        value ^= ord(char)
        value = (value * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"


def request_cookies(req: Request) -> dict[str, str]:
    jar = SimpleCookie()
    try:
        jar.load(req.headers.get("cookie", ""))
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _digit_expression(digit: int, rng: random.Random) -> str:
    """A JS expression whose value is ``digit``: ``(a^b)``, ``(a-b)`` or ``~~(a/b)``."""
    a = rng.randrange(16, 4096)
    form = rng.randrange(3)
    if form == 0:
        return f"(0x{a:x}^0x{a ^ digit:x})"
    if form == 1:
        return f"({a + digit}-{a})"
    b = rng.randrange(2, 9)
    return f"~~({digit * b + rng.randrange(b)}/{b})"


def first_round_script(value: str, rng: random.Random) -> str:
    """Round 1: ``__jsl_clearance_s`` = ``value`` (digits and ``.``/``|``), every digit an
    expression, the cookie name itself spelled out in pieces."""
    parts = [f"(''+{_digit_expression(int(c), rng)})" if c.isdigit() else repr(c) for c in value]
    name = "+".join(repr(c) for c in JSL_CLEARANCE)
    return (f"<script>document.cookie=({name})+'='+[{','.join(parts)}].join('')+"
            f"';max-age={CLEARANCE_SECONDS};path=/';"
            "location.href=location.pathname+location.search</script>")


def second_round_script(prefix: str, suffix: str, target: str) -> str:
    """Round 2: search two characters whose FNV-1a hash with ``prefix``/``suffix`` is
    ``target``; set the clearance and reload."""
    return (
        "<script>var go=function(p){function h(s){var x=0x811c9dc5;for(var i=0;i<s.length;i++)"
        "{x^=s.charCodeAt(i);x=Math.imul(x,0x01000193)>>>0;}return('0000000'+x.toString(16))"
        ".slice(-8);}for(var i=0;i<p.chars.length;i++){for(var j=0;j<p.chars.length;j++){"
        "var v=p.bts[0]+p.chars[i]+p.chars[j]+p.bts[1];if(h(v)==p.ct){document.cookie=p.tn+'='"
        "+v+';max-age='+p.vt+';path=/';location.href=location.pathname+location.search;return;}"
        "}}};go({\"bts\":[\"%s\",\"%s\"],\"chars\":\"%s\",\"ct\":\"%s\",\"ha\":\"fnv1a\","
        "\"tn\":\"%s\",\"vt\":\"%d\",\"wt\":\"1500\"})</script>"
        % (prefix, suffix, CHARS, target, JSL_CLEARANCE, CLEARANCE_SECONDS))


def challenge_html(script: str) -> str:
    return f"<html><head><meta charset=\"utf-8\"></head><body>{script}</body></html>"


class WafGate:
    """Decides, before routing, whether a request meets a WAF; thread-safe."""

    def __init__(self, switches: frozenset[str]):
        self.switches = switches
        self.secret = os.urandom(16)
        self._issued = 0
        self._uses: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _sign(self, *parts: str) -> str:
        message = "|".join(parts).encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def _token(self, kind: str) -> str:
        """``{issued-seconds}{counter}.{signature}``: verifiable without a table."""
        with self._lock:
            self._issued += 1
            body = f"{int(time.time()):x}{self._issued:04x}"
        return f"{body}.{self._sign(kind, body)[:16]}"

    def _valid(self, kind: str, token: str | None, max_age: float) -> bool:
        body, _, signature = (token or "").partition(".")
        if not body or not hmac.compare_digest(signature, self._sign(kind, body)[:16]):
            return False
        return time.time() - int(body[:-4], 16) <= max_age

    def check(self, req: Request) -> Response | None:
        """The WAF's answer to ``req``, or None when the request may pass to the site."""
        cookies = request_cookies(req)
        if req.host == WAF_COOKIE_HOST and "waf_cookie" in self.switches:
            if not self._valid(WAF_COOKIE, cookies.get(WAF_COOKIE), WAF_COOKIE_SECONDS):
                cookie = f"{WAF_COOKIE}={self._token(WAF_COOKIE)}; Max-Age={WAF_COOKIE_SECONDS}; Path=/; HttpOnly"
                page = challenge_html("<script>setTimeout(function(){location.reload()},200)</script>")
                return html(412, page, headers=[("Set-Cookie", cookie)])
        if req.host == JS_CHALLENGE_HOST and "js_challenge" in self.switches:
            return self._jsl(req, cookies)
        return None

    def _jsl(self, req: Request, cookies: dict[str, str]) -> Response | None:
        uid = cookies.get(JSL_UID)
        headers = []
        if not self._valid(JSL_UID, uid, 365 * 86400):
            uid = self._token(JSL_UID)
            headers.append(("Set-Cookie", f"{JSL_UID}={uid}; Max-Age=31536000; Path=/; HttpOnly"))
        user_agent = req.headers.get("user-agent", "")
        first = self._first_value(uid)
        clearance = cookies.get(JSL_CLEARANCE, "")
        if clearance and clearance != first and self._cleared(uid, user_agent, clearance):
            return None
        if clearance == first:
            prefix, suffix, target = self._second_round(uid, user_agent)
            return html(521, challenge_html(second_round_script(prefix, suffix, target)))
        rng = random.Random(uid)
        return html(521, challenge_html(first_round_script(first, rng)), headers=headers)

    def _first_value(self, uid: str) -> str:
        digest = int(self._sign("round1", uid)[:12], 16)
        return f"{digest % 10**10}.{digest % 997}|0|{digest % 7919}"

    def _second_round(self, uid: str, user_agent: str,
                      stamp: str | None = None) -> tuple[str, str, str]:
        """(prefix, suffix, FNV target) for this client; the prefix carries the issue time."""
        stamp = stamp or f"{time.time():.3f}"
        signature = self._sign("round2", uid, user_agent, stamp)
        prefix = f"{stamp}|0|{signature[:10]}"
        i, j = int(signature[10:12], 16) % len(CHARS), int(signature[12:14], 16) % len(CHARS)
        suffix = "%3D"
        return prefix, suffix, fnv1a(prefix + CHARS[i] + CHARS[j] + suffix)

    def _cleared(self, uid: str, user_agent: str, clearance: str) -> bool:
        """A clearance this server issued for (uid, User-Agent), not expired or used up."""
        stamp = clearance.split("|", 1)[0]
        try:
            age = time.time() - float(stamp)
        except ValueError:
            return False
        prefix, suffix, target = self._second_round(uid, user_agent, stamp)
        solved = (clearance.startswith(prefix) and clearance.endswith(suffix)
                  and len(clearance) == len(prefix) + 2 + len(suffix) and fnv1a(clearance) == target)
        if not solved or age > CLEARANCE_SECONDS:
            return False
        if "challenge_expiry" in self.switches:
            with self._lock:
                self._uses[clearance] += 1
                return self._uses[clearance] <= EXPIRY_USES
        return True
