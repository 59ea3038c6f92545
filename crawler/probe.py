"""The probe spider: fetch each site's shell once, politely, and say what state the site is in.

It runs in the crawler's machinery (site guard, per-host profile and proxy, backoff retries,
the fetch recorder, the archive session), so a probe is archived like any crawl: a run, its
fetches, and one ``probes`` row per site. Sites on one host are probed one after another
(Scrapy's per-host slot and delay); hosts run in parallel. Once a host fails at the transport
level (timeout, refused, TLS), its remaining sites are not fetched again, and a host gets at
most ``host_budget`` seconds, so the time per host is bounded.

    probe = ProbeSpider(sites=[...], host_budget=120)   # run by archive.probe.run_probe
"""

from __future__ import annotations

import re
import time
from collections import defaultdict, deque
from urllib.parse import urldefrag, urlsplit

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError

from archive.probe import ProbeResult, ProbeState, record_probe, probe_summary
from crawler.fetch import META_KEY, FetchMeta, Outcome
from crawler.platforms import gkmlpt
from crawler.session import ArchiveSession
from crawler.spiders.base import fetch_of, site_request

SEEN_STATUSES = [400, 403, 404, 410, 412, 500, 502, 503, 521]
_SEARCH_RE = re.compile(r"""\bSEARCH_JSONP_URL\s*:\s*['"]([^'"]+)""")
_SITE_NAME_RE = re.compile(r"""\bSITE_NAME\s*:\s*['"]([^'"]+)""")
TRANSPORT_STATES = {ProbeState.UNREACHABLE, ProbeState.TLS_FAILING}


class ProbeSpider(scrapy.Spider):
    name = "gkmlpt-probe"
    command = "probe"

    def __init__(self, site: str = "all", host_budget: float = 120.0, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.site_arg = [s for s in site.split(",") if s]
        self.host_budget = float(host_budget)
        self.results: dict[str, ProbeResult] = {}
        self.queues: dict[str, deque] = defaultdict(deque)
        self.host_started: dict[str, float] = {}
        self.host_failure: dict[str, ProbeResult] = {}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        ArchiveSession.bind(spider, crawler, spider.site_arg)
        return spider

    def run_args(self) -> dict:
        return {"sites": [s.slug for s in self.sites], "host_budget": self.host_budget}

    def fully_listed_sites(self) -> dict:
        return {}  # a probe lists nothing: it never marks a post removed

    def summarize(self, writer) -> dict:
        return probe_summary(self.session.run_id, self.results, self.configs)

    async def start(self):
        for site in self.sites:
            self.queues[_host(site.entry_urls[0])].append(site.slug)
        for host in list(self.queues):
            request = self.next_on_host(host)
            if request is not None:
                yield request

    def next_on_host(self, host: str):
        """The next site of ``host`` to fetch; sites a failed or over-budget host keeps are
        given their state without a request."""
        queue = self.queues[host]
        while queue:
            slug = queue.popleft()
            started = self.host_started.setdefault(host, time.monotonic())
            failed = self.host_failure.get(host)
            if failed is not None:
                self.finish(ProbeResult(slug, failed.state, url=self.configs[slug].entry_urls[0],
                                        detail=f"host {host} failed for {failed.site} in this "
                                               f"probe ({failed.detail}); not fetched again"))
            elif time.monotonic() - started > self.host_budget:
                self.finish(ProbeResult(slug, ProbeState.SKIPPED, url=self.configs[slug].entry_urls[0],
                                        detail=f"host {host} used its {self.host_budget:g} s budget"))
            else:
                return self.request(slug, urldefrag(self.configs[slug].entry_urls[0])[0],
                                    self.parse_entry, "entry")
        return None

    def request(self, site: str, url: str, callback, kind: str, referer=None):
        return site_request(self.configs[site], url, callback, self.on_error, kind, referer,
                            meta={"handle_httpstatus_list": SEEN_STATUSES}, dont_filter=True)

    def finish(self, result: ProbeResult):
        """Store one site's result; yield the next request of its host, if any."""
        self.results[result.site] = result
        record_probe(self.session.writer.db, self.session.run_id, result)
        host = _host(self.configs[result.site].entry_urls[0])
        if result.state in TRANSPORT_STATES:
            self.host_failure.setdefault(host, result)
        return self.next_on_host(host)

    def _done(self, result: ProbeResult):
        request = self.finish(result)
        if request is not None:
            yield request

    def parse_entry(self, response):
        site = fetch_of(response).site
        early = self._http_state(response)
        if early is not None:
            yield from self._done(early)
        elif "window._CONFIG" in response.text:
            yield from self._done(self._shell_result(response))
        else:
            link = gkmlpt.find_gkmlpt_link(response.text, response.url)
            if link is None:
                yield from self._done(self._result(response, ProbeState.NOT_GKMLPT,
                                                   "no window._CONFIG and no link to /gkmlpt/"))
            else:
                yield self.request(site, urldefrag(link)[0], self.parse_shell, "shell", response)

    def parse_shell(self, response):
        early = self._http_state(response)
        if early is None and "window._CONFIG" not in response.text:
            early = self._result(response, ProbeState.NOT_GKMLPT, "the linked page has no window._CONFIG")
        yield from self._done(early or self._shell_result(response))

    def _http_state(self, response) -> ProbeResult | None:
        if fetch_of(response).outcome is Outcome.CHALLENGE:
            return self._result(response, ProbeState.CHALLENGED,
                                f"HTTP {response.status} JavaScript challenge page")
        if response.status in (404, 410):
            return self._result(response, ProbeState.GONE, f"HTTP {response.status}")
        if response.status >= 400:
            return self._result(response, ProbeState.HTTP_ERROR, f"HTTP {response.status}")
        return None

    def _result(self, response, state: ProbeState, detail: str, **fields) -> ProbeResult:
        fetch = fetch_of(response)
        return ProbeResult(fetch.site, state, url=self.configs[fetch.site].entry_urls[0],
                           final_url=response.url, http_status=response.status, detail=detail,
                           fetch_id=fetch.fetch_id, **fields)

    def _shell_result(self, response) -> ProbeResult:
        site = fetch_of(response).site
        config = self.configs[site]
        try:
            shell = gkmlpt.parse_shell_config(response.text)
            base = gkmlpt.gkmlpt_base(response.url)
        except gkmlpt.PlatformError as exc:
            return self._result(response, ProbeState.NOT_GKMLPT, str(exc))
        wanted = gkmlpt.fragment_category(config.entry_urls[0]) or config.report_category
        by_name = gkmlpt.find_report_categories(shell.tree)
        categories = [{"id": c.id, "name": c.name} for c in by_name]
        if wanted and wanted not in {c.id for c in by_name}:
            named = {c.id: c.name for c in shell.tree}
            categories.insert(0, {"id": wanted, "name": named.get(wanted, "(from the entry URL)")})
        fields = dict(sid=shell.sid, report_categories=categories, tree_categories=len(shell.tree),
                      search_jsonp_url=_first(_SEARCH_RE, response.text),
                      site_name=_first(_SITE_NAME_RE, response.text))
        if _moved(config, base, response):
            return self._result(response, ProbeState.MOVED, f"redirected to {base}", **fields)
        if not categories:
            return self._result(response, ProbeState.NO_REPORT_CATEGORY,
                                f"no annual-report category among {len(shell.tree)} in TREE", **fields)
        return self._result(response, ProbeState.OK, "", **fields)

    def on_error(self, failure):
        request = failure.request
        site = fetch_of(request).site
        state, detail = failure_state(failure)
        final = request.url
        if state is ProbeState.REFUSED and request.meta.get("redirect_urls"):
            state, detail = ProbeState.MOVED, f"redirected off the allowed hosts to {final}"
        yield from self._done(ProbeResult(site, state, url=self.configs[site].entry_urls[0],
                                          final_url=final, detail=detail,
                                          fetch_id=fetch_of(request).fetch_id))


def failure_state(failure) -> tuple[ProbeState, str]:
    """The state a failed request leaves a site in, with the reason."""
    fetch = fetch_of(failure.request)
    message = f"{failure.type.__name__}: {failure.getErrorMessage()}"
    if fetch.outcome is Outcome.REFUSED:
        return ProbeState.REFUSED, fetch.error or message
    if failure.check(HttpError):
        return ProbeState.HTTP_ERROR, message
    text = repr(failure.value) + message
    if re.search(r"SSL|TLS|handshake|certificate", text, re.I):
        return ProbeState.TLS_FAILING, message
    return ProbeState.UNREACHABLE, message


def _moved(config, base: str, response) -> bool:
    """Redirected to another host or prefix than the configured entry's (a change of scheme
    alone is not a move)."""
    if not response.meta.get("redirect_urls"):
        return False
    entry = config.entry_urls[0]
    if "/gkmlpt/" in entry:
        configured = gkmlpt.gkmlpt_base(entry)
    else:
        configured = response.meta["redirect_urls"][0]
        return _host(configured) != _host(response.url)
    return configured.split("://", 1)[1] != base.split("://", 1)[1]


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _first(pattern: re.Pattern, text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None


DISCOVER_SITE = "discover"


class PageSpider(scrapy.Spider):
    """Fetch pages a user named (``gkarchive sites discover URL…``): the site guard lets
    through the hosts of those URLs only, under the pseudo site ``discover``."""

    name = "gkmlpt-pages"
    command = "discover"

    def __init__(self, urls: list[str] = (), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.urls = list(urls)
        self.pages: list[tuple[str, str | None, str]] = []  # (url, text or None, error)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        from archive.sites import SiteConfig

        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.session = ArchiveSession.of(crawler)
        hosts = tuple(sorted({_host(url) for url in spider.urls}))
        spider.session.sites_file.sites[DISCOVER_SITE] = SiteConfig(
            slug=DISCOVER_SITE, name="gkarchive sites discover", region="广东省",
            entry_urls=tuple(spider.urls), allowed_hosts=hosts, group="省直")
        spider.sites = []
        return spider

    def run_args(self) -> dict:
        return {"urls": self.urls}

    def fully_listed_sites(self) -> dict:
        return {}

    def summarize(self, writer) -> dict:
        return {"run_id": self.session.run_id, "command": "discover",
                "pages": {url: error or "ok" for url, _, error in self.pages}}

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, callback=self.keep, errback=self.failed, dont_filter=True,
                                 meta={META_KEY: FetchMeta(site=DISCOVER_SITE, kind="discover")})

    def keep(self, response):
        text = response.text if hasattr(response, "text") else None
        self.pages.append((response.url, text, "" if text is not None else "not a text page"))

    def failed(self, failure):
        state, detail = failure_state(failure)
        self.pages.append((failure.request.url, None, f"{state.value}: {detail}"))
