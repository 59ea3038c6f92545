"""Run a challenge page's own scripts in an embedded JavaScript engine (QuickJS, the PyPI
wheel ``quickjs``): the light way past a jsl-style cookie challenge, tried before the browser.

A jsl (加速乐) challenge page is a ``<script>`` that computes a cookie (arithmetic, a hash
search) and reloads. The engine executes every inline script of the page — really executes
it: nothing is read out of the page by pattern — in a fresh QuickJS context holding a small
browser-like shim: ``document.cookie`` (a setter that records, a getter over the cookies the
request carried), ``location`` (``href``, ``pathname``, ``reload()``…, recorded as a
reload), ``navigator.userAgent`` (the User-Agent the crawl sends, since a clearance may be
bound to it), ``setTimeout``/``setInterval`` (run after the page's scripts, without the
delay). The cookies the scripts set are the result. A page that needs what the shim does not
have — a real DOM, an external script, a script that throws or loops past the time limit —
is :class:`EngineUnsolved`, and the browser (``crawler/browser.py``) is asked instead.

It costs a few MB and milliseconds (docs/benchmarks.md), where the browser costs ~170 MB
and a second. Each run is bounded: ``MEMORY_LIMIT`` bytes, ``TIME_LIMIT`` CPU
seconds per script, and a context that is thrown away after it; it runs in a worker thread
(no CPU-heavy work in the reactor thread; QuickJS releases the GIL while it runs), its
context created and used in that thread only.

Example::

    cookies = solve_page(body, "https://www.example.gov.cn/gkmlpt/index",
                         user_agent="Mozilla/5.0 …", cookies={"__jsluid_s": "…"})
    [(c.name, c.value) for c in cookies]
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

from parsel import Selector

from crawler.browser import BrowserCookie

MEMORY_LIMIT = 32 << 20
TIME_LIMIT = 1  # CPU seconds (QuickJS counts CPU time) for each of a page's scripts; jsl needs ms
MAX_TIMERS = 20

SHIM = r"""
var __gk = {cookies: [], reloads: 0, timers: []};
var window = globalThis, self = globalThis, top = globalThis, parent = globalThis;
var navigator = {userAgent: __gk_in.ua, webdriver: false, language: 'zh-CN',
                 languages: ['zh-CN', 'zh'], platform: 'Win32', cookieEnabled: true};
var __jar = __gk_in.cookies;
var document = {
  addEventListener: function () {}, removeEventListener: function () {},
  readyState: 'complete', referrer: '', title: ''
};
Object.defineProperty(document, 'cookie', {
  get: function () {
    return Object.keys(__jar).map(function (k) { return k + '=' + __jar[k]; }).join('; ');
  },
  set: function (v) {
    v = String(v); __gk.cookies.push(v);
    var pair = v.split(';')[0], eq = pair.indexOf('=');
    if (eq > 0) __jar[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
});
var __url = __gk_in.url;
var location = {
  protocol: __url.protocol, host: __url.host, hostname: __url.hostname, port: __url.port,
  pathname: __url.pathname, search: __url.search, hash: '', origin: __url.origin,
  reload: function () { __gk.reloads++; }, replace: function () { __gk.reloads++; },
  assign: function () { __gk.reloads++; }, toString: function () { return __url.href; }
};
Object.defineProperty(location, 'href', {
  get: function () { return __url.href; }, set: function () { __gk.reloads++; }
});
document.location = location;
function setTimeout(f) {
  if (typeof f === 'function') __gk.timers.push(f);
  return __gk.timers.length;
}
var setInterval = setTimeout;
function clearTimeout() {}
var clearInterval = clearTimeout;
function addEventListener() {}
"""

RUN_TIMERS = f"""
for (var __i = 0; __i < __gk.timers.length && __i < {MAX_TIMERS}; __i++) __gk.timers[__i]();
JSON.stringify({{cookies: __gk.cookies, reloads: __gk.reloads}});
"""


class EngineUnsolved(RuntimeError):
    """The engine did not earn a cookie: why (the browser may still pass it)."""


def page_scripts(body: str) -> list[str]:
    """The page's inline scripts, in order; :class:`EngineUnsolved` if one is external (the
    engine fetches nothing) or there are none."""
    scripts = []
    for node in Selector(text=body).xpath("//script"):
        if node.attrib.get("src"):
            raise EngineUnsolved(f"an external script ({node.attrib['src'][:80]})")
        if (node.attrib.get("type") or "text/javascript").lower() not in (
                "text/javascript", "application/javascript", "module"):
            continue
        scripts.append("".join(node.xpath("text()").getall()))
    if not any(s.strip() for s in scripts):
        raise EngineUnsolved("no script in the page")
    return scripts


def solve_page(body: str, url: str, user_agent: str, cookies: dict[str, str]
               ) -> tuple[BrowserCookie, ...]:
    """Run the page's scripts as if loaded from ``url`` by ``user_agent`` with ``cookies``;
    the cookies they set (at least one), else :class:`EngineUnsolved`. Blocking (a worker
    thread's)."""
    import quickjs

    parts = urlsplit(url)
    scripts = page_scripts(body)
    context = quickjs.Context()
    context.set_memory_limit(MEMORY_LIMIT)
    context.set_time_limit(TIME_LIMIT)
    given = {"ua": user_agent, "cookies": dict(cookies), "url": {
        "href": url, "protocol": parts.scheme + ":", "host": parts.netloc,
        "hostname": parts.hostname or "", "port": str(parts.port or ""),
        "pathname": parts.path or "/", "search": f"?{parts.query}" if parts.query else "",
        "origin": f"{parts.scheme}://{parts.netloc}"}}
    try:
        context.eval(f"var __gk_in = {json.dumps(given)};")
        context.eval(SHIM)
        for script in scripts:
            context.eval(script)
        result = json.loads(context.eval(RUN_TIMERS))
    except quickjs.JSException as exc:  # a page error, the time or the memory limit
        raise EngineUnsolved(f"the script failed: {str(exc)[:200]}") from None
    got = tuple(c for c in map(lambda v: _cookie(v, parts.hostname or ""), result["cookies"])
                if c is not None)
    if not got:
        raise EngineUnsolved("the scripts set no cookie")
    return got


def _cookie(text: str, host: str) -> BrowserCookie | None:
    """A ``document.cookie = "name=value; max-age=…; path=…"`` assignment as a cookie."""
    pair, *attributes = text.split(";")
    name, eq, value = pair.partition("=")
    if not eq or not name.strip():
        return None
    attrs = {}
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        attrs[key.strip().lower()] = val.strip()
    expires = None
    if attrs.get("max-age", "").lstrip("-").isdigit():
        expires = time.time() + int(attrs["max-age"])
    domain = attrs.get("domain", "").lstrip(".") or host
    return BrowserCookie(name.strip(), value.strip(), domain, attrs.get("path") or "/",
                         expires, "secure" in attrs)
