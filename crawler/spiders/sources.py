"""The places besides the gkmlpt lists where a site's reports are: the title search of the
province's search service (``SEARCH_JSONP_URL``) and the portal's report columns.

Both are *discovery*: their entries are kept aside until every list of the site has been read
(the site's discovery requests are counted), then the posts no list showed are taken, search
hits first, so that a post found twice is always read from its gkmlpt list entry. A shared
column keeps only the site's own reports (:mod:`crawler.claims`); a report no configured site
claims becomes an :class:`UnassignedItem`, and nothing of it is downloaded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from urllib.parse import urljoin

from crawler.claims import Claim, Claims, body_names
from crawler.fetch import META_KEY, FetchMeta
from crawler.items import ErrorItem, SeenPostItem, UnassignedItem
from crawler.platforms import PlatformError, gdsearch, nfcms
from crawler.platforms import gkmlpt
from crawler.platforms.gkmlpt import canonical_link
from crawler.selection import year_from_title

DISCOVERY_KINDS = ("entry", "shell", "list", "column", "search")
MAX_COLUMN_PAGES = 200
MAX_SEARCH_PAGES = 40


@dataclass(frozen=True)
class FoundOn:
    """The search or column page a candidate was found on: the referer of what follows (it
    answers what the spider asks a referer: ``url``, its FetchMeta, ``urljoin``)."""

    url: str
    meta: dict

    def urljoin(self, url: str) -> str:
        return urljoin(self.url, url)


@dataclass
class Candidate:
    """A post found by search or in a report column, taken if no list showed it."""

    post_id: str
    title: str
    url: str
    source: str  # "search" or "column"
    raw: dict
    found_on: FoundOn
    column_url: str = ""

    @property
    def group(self) -> str:
        """Candidates are told apart by post id within a group: search hits of every term,
        the entries of one column."""
        return self.column_url if self.source == "column" else self.source


def found_on(response) -> FoundOn:
    fetch = FetchMeta.of(response.request)
    return FoundOn(response.url, {META_KEY: FetchMeta(fetch.site, fetch.kind,
                                                      fetch_id=fetch.fetch_id)})


@dataclass
class DiscoveryState:
    pending: int = 0  # discovery requests in flight
    deferred: list[Candidate] = field(default_factory=list)
    flushed: bool = False


def discovery(callback):
    """A discovery callback: counted down when done, and the last one of a site takes the
    deferred candidates. An exception in it is recorded as an error, never lost."""

    @functools.wraps(callback)
    def wrapped(self, response, **kwargs):
        fetch = FetchMeta.of(response.request)
        site = fetch.site
        try:
            results = list(callback(self, response, **kwargs))
        except (PlatformError, ValueError, KeyError, TypeError) as exc:
            self.list_failed(site)
            results = [ErrorItem(site, response.url, "spider_error",
                                 f"{type(exc).__name__}: {exc}", fetch.fetch_id)]
        yield from results
        self.discovered(site)
        yield from self.take_deferred(site)

    return wrapped


class ReportSourcesMixin:
    """Search and report columns for :class:`crawler.spiders.gkmlpt.GkmlptSpider`."""

    def claims(self) -> Claims:
        if not hasattr(self, "_claims"):
            sites = self.session.sites_file.sites.values()
            self._claims = Claims({s.slug: body_names(s.name, s.aliases) for s in sites})
        return self._claims

    def discover(self, site: str, request):
        """Count a discovery request of ``site`` (never dropped by the duplicate filter:
        the spider keeps its own account of what it listed)."""
        self.state[site].discovery.pending += 1
        return request.replace(dont_filter=True)

    def discovered(self, site: str) -> None:
        """A discovery request of ``site`` is done (answered, or failed)."""
        self.state[site].discovery.pending -= 1

    def defer(self, site: str, candidates: list[Candidate]) -> list[Candidate]:
        """Keep aside the candidates whose post id is new to their group (one page's
        candidates share a group); the new ones."""
        if not candidates:
            return []
        deferred = self.state[site].discovery.deferred
        known = {c.post_id for c in deferred if c.group == candidates[0].group}
        new = []
        for candidate in candidates:
            if candidate.post_id not in known:
                known.add(candidate.post_id)
                new.append(candidate)
        deferred += new
        return new

    def discovery_over(self, site: str) -> bool:
        """True once, when the last discovery request of ``site`` is done. Crawl workers
        decide it when the engine is done with the request (``crawler.distributed``), not
        here."""
        state = self.state[site]
        if state.discovery.pending > 0 or state.discovery.flushed:
            return False
        state.discovery.flushed = True
        return True

    def deferred_candidates(self, site: str) -> list[Candidate]:
        return self.state[site].discovery.deferred

    def wants_search(self, site: str) -> bool:
        """Backfills, a site's first crawl and ``--revisit``: new reports are in the window."""
        return bool(self.years) or self.revisit or not self.session.known.get(site)

    # -- search ------------------------------------------------------------------------------

    def search_requests(self, site: str, jsonp_url: str | None, referer):
        if not jsonp_url or not self.wants_search(site):
            return
        for term in gdsearch.SEARCH_TERMS:
            yield from self.search_request(site, jsonp_url, term, 1, referer)

    def search_request(self, site, jsonp_url, term, page, referer):
        if not self.claim_list(site, ("search", term, page)):
            return
        yield self.discover(site, self.request(
            site, gdsearch.search_url(jsonp_url, term, page), self.parse_search, "search",
            referer, cb_kwargs={"jsonp_url": jsonp_url, "term": term, "page": page}))

    @discovery
    def parse_search(self, response, jsonp_url: str, term: str, page: int):
        fetch = FetchMeta.of(response.request)
        site = fetch.site
        try:
            found = gdsearch.parse_search_page(response.body)
        except PlatformError as exc:
            self.list_failed(site)
            yield ErrorItem(site, response.url, "bad_search", str(exc), fetch.fetch_id)
            return
        new = self.defer(site, [Candidate(hit.post_id, hit.title, hit.url, "search", hit.raw,
                                          found_on(response)) for hit in found.hits])
        if not gdsearch.search_ends(found, page, len(new)) and page < MAX_SEARCH_PAGES:
            yield from self.search_request(site, jsonp_url, term, page + 1, response)

    # -- report columns ----------------------------------------------------------------------

    def column_request(self, site: str, column_url: str, page: int, referer=None) -> list:
        root = nfcms.column_root(column_url)
        if not self.claim_list(site, ("column", root, page)):
            return []
        url = column_url if page == 1 and referer is None else nfcms.column_page_url(root, page)
        return [self.discover(site, self.request(
            site, url, self.parse_column, "column", referer,
            cb_kwargs={"column": root, "page": page}, handle_httpstatus_list=[404]))]

    @discovery
    def parse_column(self, response, column: str, page: int):
        fetch = FetchMeta.of(response.request)
        site = fetch.site
        if response.status == 404:
            if page == 1:
                self.list_failed(site)
                yield ErrorItem(site, response.url, "column_not_found",
                                "report column answered 404 on its first page", fetch.fetch_id)
            return
        listing = nfcms.parse_column_page(response.text, response.url)
        new = self.defer(site, [Candidate(item.post_id, item.title, item.url, "column",
                                          {"id": item.post_id, "title": item.title,
                                           "url": item.url, "date": item.date, "column": column},
                                          found_on(response), column_url=column)
                                for item in listing.items])
        more = listing.pages is None or page < listing.pages
        if new and more and page < MAX_COLUMN_PAGES:
            yield from self.column_request(site, column, page + 1, response)

    # -- taking the deferred candidates --------------------------------------------------------

    def take_deferred(self, site: str):
        """Once the site's discovery is over: every candidate no list showed, search first."""
        if self.discovery_over(site):
            yield from self.take_candidates(site)

    def take_candidates(self, site: str):
        """The deferred candidates of ``site`` that no list showed, search hits first."""
        state = self.state[site]
        ordered = sorted(self.deferred_candidates(site), key=lambda c: c.source != "search")
        for candidate in ordered:
            if candidate.post_id in state.posts:
                continue
            if candidate.source == "search":
                self.first_sighting(site, candidate.post_id)
                yield from self.search_candidate(site, candidate)
            else:
                yield from self.column_candidate(site, candidate)

    def search_candidate(self, site: str, candidate: Candidate):
        base = self.state[site].base or candidate.url  # links are read as the site's pages
        article = dict(candidate.raw, title=candidate.title, id=candidate.post_id)
        yield from self.candidate_post(self.listed(site, article, None, base), candidate)

    def column_candidate(self, site: str, candidate: Candidate, source: str | None = None,
                         page=None):
        """A column entry: the site's own report (read it), another configured site's (leave
        it), or a body's no site claims (list it as unassigned). A title naming no body is
        decided by its page's ContentSource (``source``; None: not read yet)."""
        claim = self.claims().claim(candidate.title, source or "")
        if claim.site is None and not claim.body and source is None:
            claim = self.earlier_claim(candidate) or claim
        if claim.site is None and not claim.body and source is None:
            request = self.request(site, candidate.url, self.parse_column_claim, "detail",
                                   candidate.found_on, cb_kwargs={"candidate": candidate})
            yield request.replace(dont_filter=True)  # every site reading the column asks
            return
        owner = claim.site if claim.site or claim.body else self.sole_reader(site, candidate)
        if owner == site:
            self.first_sighting(site, candidate.post_id)
            post = self.listed(site, dict(candidate.raw), None, candidate.url, in_category=True)
            yield from (self.candidate_post(post, candidate) if page is None
                        else self.read_fetched_post(post, page, candidate.found_on))
        elif owner is None:
            year = year_from_title(candidate.title) or _year_before(candidate.raw.get("date"))
            yield UnassignedItem(site, candidate.url, claim.body, candidate.title, year,
                                 candidate.column_url)

    def earlier_claim(self, candidate: Candidate) -> Claim | None:
        """What an earlier run decided for a report naming no body: the site that archived
        it, or the body it was listed under; so its page is read once, not every night."""
        post_id = candidate.post_id
        owner = next((s for s, posts in self.session.known.items() if post_id in posts), None)
        if owner:
            return Claim(owner, "")
        if not hasattr(self, "_unassigned"):
            self._unassigned = self.session.writer.known_unassigned()
        body = self._unassigned.get(candidate.url)
        return Claim(None, body) if body else None

    def parse_column_claim(self, response, candidate: Candidate):
        detail = gkmlpt.parse_detail_page(response.text)
        source = nfcms.content_source(detail.meta, response.text)
        yield from self.column_candidate(FetchMeta.of(response.request).site, candidate, source,
                                         page=response)

    def candidate_post(self, post, candidate: Candidate):
        """A post found by search or in a column. Known with its attachments archived: only
        touched (a search hit or column entry is no list entry to compare, so it carries no
        change signal; ``--revisit`` reads it again); else as a listed post."""
        known = self.session.known.get(post.site, {}).get(post.post_id)
        if known and known[1] and not self.revisit and self.in_wanted_years(post.title):
            yield SeenPostItem(post.site, post.post_id, FetchMeta.of(candidate.found_on).fetch_id)
            return
        yield from self.listed_post(post, candidate.found_on)

    def in_wanted_years(self, title: str) -> bool:
        year = year_from_title(title)
        return not (self.years and year and not self.years[0] <= year <= self.years[1])

    def read_fetched_post(self, post, page, found):
        """A post whose page was read to learn whose it is: touched when known and unchanged,
        else archived from that page (never fetched twice)."""
        known = self.session.known.get(post.site, {}).get(post.post_id)
        list_fetch_id = FetchMeta.of(found).fetch_id
        if known and known[1] and not self.revisit:
            yield SeenPostItem(post.site, post.post_id, list_fetch_id)
            return
        yield from self.parse_detail(page, listed=post, list_fetch_id=list_fetch_id)

    def sole_reader(self, site: str, candidate: Candidate) -> str | None:
        """A report naming no body anywhere is the site's when no other configured site reads
        its column; else it is unassigned."""
        if not hasattr(self, "_column_readers"):  # once per run: every site's columns
            self._column_readers: dict[str, set[str]] = {}
            for s in self.session.sites_file.sites.values():
                for u in s.entry_urls:
                    self._column_readers.setdefault(nfcms.column_root(u), set()).add(s.slug)
        return site if self._column_readers.get(candidate.column_url) == {site} else None

    def site_link(self, site: str, url: str, page_url: str) -> str:
        return canonical_link(url, page_url, set(self.configs[site].allowed_hosts))


def _year_before(date: str | None) -> int | None:
    """A report is published the year after the one it covers."""
    return int(date[:4]) - 1 if date and date[:4].isdigit() else None
