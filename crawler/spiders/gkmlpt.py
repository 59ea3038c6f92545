"""The gkmlpt spider: the platform's URLs and markup over the shared walk of
:class:`crawler.spiders.base.PlatformSpider`; each site is a row of ``config/sites.toml``.

Walk: entry URL (portal root, ``index#id``, ``annualreport#id``, or a portal report column) →
shell (``window._CONFIG``: SID, TREE, SEARCH_JSONP_URL) → list API of the annual-report
category and of the whole site (``api/all/0``, which also catches reports filed in ordinary
categories, within the list window) → the title search (backfills, first crawls, ``--revisit``)
and the report columns, for what the lists do not show (``crawler.spiders.sources``) → detail
pages of annual-report posts → their attachments (union of ``attachment[]`` and body links).

    scrapy crawl gkmlpt -a site=huadu-shiling -a year=2020
    scrapy crawl gkmlpt -a site=dg-fenggang,dg-qingxi -a year=2019-2021
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urldefrag

from crawler.fetch import FetchMeta
from crawler.items import ErrorItem
from crawler.platforms import ListedPost, PlatformError, PostPage, merge_attachments
from crawler.platforms import gkmlpt, nfcms
from crawler.postids import PostIds
from crawler.spiders.base import (MAX_CHAIN_BONUS, PRIORITY_BY_KIND, PlatformSpider, SiteState,
                                  fetch_of)
from crawler.spiders.sources import DISCOVERY_KINDS, DiscoveryState, ReportSourcesMixin, discovery

MAX_LIST_PAGES = 500
MAX_BAD_JSON_RETRIES = 2


@dataclass
class GkmlptSiteState(SiteState):
    # What a crawl worker parsing the next page of the site must know (crawler.distributed):
    # the report categories of the shell, the jump entries seen, the site's gkmlpt base.
    CARRIED = ("report_categories", "jumps", "base")
    # What the end of the run reads beyond the base's (fully_listed_sites): numbers of which
    # crawl workers keep the lowest any worker saw.
    LOWEST = ("site_list_floor",)

    report_categories: set[int] = field(default_factory=set)
    jumps: set[str] = field(default_factory=set)  # `type: url` entries: never fetched
    base: str | None = None  # {P}/gkmlpt/ of the site, from its shell
    site_list_floor: int | None = None  # the smallest post id api/all/0 showed
    discovery: DiscoveryState = field(default_factory=DiscoveryState)
    shells: set[str] = field(default_factory=set)  # shells whose window._CONFIG was read
    list_ids: dict[int, PostIds] = field(default_factory=dict)  # classify → ids it listed


@dataclass(frozen=True)
class ListCursor:
    """One page of one category's list API."""

    base: str
    classify: int
    page: int
    sid: str | None


class GkmlptSpider(ReportSourcesMixin, PlatformSpider):
    name = platform = "gkmlpt"
    site_state_class = GkmlptSiteState

    def start_site(self, site):
        """The entry URLs of one site: gkmlpt shells, town portal roots, report columns; all
        counted as discovery before any answers."""
        requests = []
        for entry in site.entry_urls:
            if nfcms.is_column_url(entry):
                requests += self.column_request(site.slug, urldefrag(entry)[0], 1)
                continue
            requests.append(self.discover(site.slug, self.request(
                site.slug, urldefrag(entry)[0], self.parse_entry, "entry",
                cb_kwargs={"entry_category": gkmlpt.fragment_category(entry)})))
        return requests

    @discovery
    def parse_entry(self, response, entry_category: int | None):
        """An entry URL is either a gkmlpt shell or a town portal root linking to one."""
        site = fetch_of(response).site
        if "window._CONFIG" in response.text:
            yield from self.read_shell(response, entry_category)
            return
        link = gkmlpt.find_gkmlpt_link(response.text, response.url)
        if link is None:
            self.list_failed(site)
            yield ErrorItem(site, response.url, "no_gkmlpt_link",
                            "portal page has no link into a gkmlpt catalogue", fetch_of(response).fetch_id)
            return
        yield self.discover(site, self.request(
            site, urldefrag(link)[0], self.parse_shell, "shell", response,
            cb_kwargs={"entry_category": gkmlpt.fragment_category(link)}))

    @discovery
    def parse_shell(self, response, entry_category: int | None):
        yield from self.read_shell(response, entry_category)

    def read_shell(self, response, entry_category: int | None):
        site = fetch_of(response).site
        try:
            shell = gkmlpt.parse_shell_config(response.text)
            base = gkmlpt.gkmlpt_base(response.url)
        except PlatformError as exc:
            yield ErrorItem(site, response.url, "bad_shell", str(exc), fetch_of(response).fetch_id)
            return
        state = self.state[site]
        state.base = state.base or base
        self.shell_read(site, response.url)
        wanted = entry_category or self.configs[site].report_category
        categories = {wanted} if wanted else {c.id for c in gkmlpt.find_report_categories(shell.tree)}
        state.report_categories |= categories
        for classify in sorted(categories) + [0]:
            yield from self.list_request(site, ListCursor(base, classify, 1, shell.sid), response)
        yield from self.search_requests(site, shell.search_url, response)

    def list_request(self, site: str, cursor: ListCursor, referer, bad_json: int = 0,
                     pages: int | None = None):
        """A list page; ``pages``: how many pages its list still has from it on (None: not
        known), so that the longest lists of a host go first and end with the others."""
        if not bad_json and not self.claim_list(site, (cursor.classify, cursor.page)):
            return
        url = gkmlpt.list_api_url(cursor.base, cursor.classify, cursor.page, cursor.sid)
        chain = MAX_CHAIN_BONUS if pages is None else min(pages, MAX_CHAIN_BONUS)
        request = self.request(site, url, self.parse_list, "list", referer,
                               cb_kwargs={"cursor": cursor, "bad_json": bad_json},
                               handle_httpstatus_list=[404],
                               priority=PRIORITY_BY_KIND["list"] + chain)
        if bad_json:
            fetch_of(request).delay = 2.0 ** (bad_json - 1)
        yield self.discover(site, request)

    @discovery
    def parse_list(self, response, cursor: ListCursor, bad_json: int):
        fetch: FetchMeta = fetch_of(response)
        site = fetch.site
        if response.status == 404:
            if cursor.page == 1:
                self.list_failed(site)
                yield ErrorItem(site, response.url, "list_not_found",
                                f"category {cursor.classify} answered 404 on page 1", fetch.fetch_id)
            return
        try:
            listing = gkmlpt.parse_list_page(response.body)
        except PlatformError as exc:
            if bad_json < MAX_BAD_JSON_RETRIES:
                yield from self.list_request(site, cursor, response, bad_json=bad_json + 1)
            else:
                self.list_failed(site)
                yield ErrorItem(site, response.url, "bad_list", str(exc), fetch.fetch_id)
            return
        new_posts = 0  # ids new to this list (another list may have shown them first)
        state = self.state[site]
        in_this_list = state.list_ids.get(cursor.classify)
        if in_this_list is None:
            in_this_list = state.list_ids[cursor.classify] = PostIds()
        for article in listing.articles:
            post_id = str(article["id"])
            if post_id in in_this_list:
                continue
            in_this_list.add(post_id)
            new_posts += 1
            if post_id in state.jumps:
                continue
            if gkmlpt.is_jump_entry(article):  # a link elsewhere, never a post of this site
                state.jumps.add(post_id)
                continue
            if cursor.classify == 0 and post_id.isdigit():
                state.site_list_floor = min(int(post_id), state.site_list_floor or int(post_id))
            # Only a report is fetched: its link is read (the costly part) once its title says so.
            if self.first_sighting(site, post_id) and self.may_be_report(
                    str(article.get("title") or ""), self.in_report_category(site, article, cursor.classify)):
                yield from self.listed_post(self.listed(site, article, cursor.classify, response.url),
                                            response)
        # The end: offset + len >= total, an empty page (or 404, above); a page with no new
        # post id is the guard for hosts whose total is missing or wrong.
        if new_posts and not listing.is_last(cursor.page) and cursor.page < MAX_LIST_PAGES:
            next_page = ListCursor(cursor.base, cursor.classify, cursor.page + 1, cursor.sid)
            yield from self.list_request(site, next_page, response,
                                         pages=listing.pages_after(cursor.page))

    def listed(self, site: str, article: dict, classify: int | None, page_url: str,
               in_category: bool | None = None) -> ListedPost:
        """A list entry, search hit or column entry as a post of the site (its link read as
        the site means it: see :func:`gkmlpt.canonical_link`)."""
        if in_category is None:
            in_category = self.in_report_category(site, article, classify)
        url = str(article.get("url") or article.get("post_url") or "")
        return ListedPost(site=site, post_id=str(article["id"]), title=str(article.get("title") or ""),
                          url=self.site_link(site, url, page_url) if url else "", raw=article,
                          in_report_category=in_category)

    def in_report_category(self, site: str, article: dict, classify: int | None) -> bool:
        """The entry's own category (``classify_main``) or the list's is a report category."""
        categories = self.state[site].report_categories
        return (article.get("classify_main") or classify) in categories or classify in categories

    def fully_listed_sites(self) -> dict[str, set[str]]:
        """As the base, but a known post older than anything ``api/all/0`` showed (below the
        list window it is only in search, which does not run nightly) counts as seen."""
        fully = super().fully_listed_sites()
        for site, seen in fully.items():
            floor = self.state[site].site_list_floor
            fully[site] = seen | {p for p in self.session.known.get(site, {})
                                  if floor is not None and p.isdigit() and int(p) < floor}
        return fully

    def on_error(self, failure):
        """As the base; a failed entry, shell, column or search page (network error, 5xx after
        its retries, refusal) also means the site was not fully listed."""
        yield from super().on_error(failure)
        fetch = fetch_of(failure.request)
        if fetch.kind in DISCOVERY_KINDS and fetch.site in self.state:
            if fetch.kind != "list":  # the base counts those
                self.list_failed(fetch.site)
            self.discovered(fetch.site)
            yield from self.take_deferred(fetch.site)

    def read_detail(self, response, listed: ListedPost) -> PostPage:
        detail = gkmlpt.parse_detail_page(response.text)
        article = listed.raw
        site = listed.site
        attachments = merge_attachments(
            gkmlpt.api_attachments(article, response.url),
            gkmlpt.api_attachments(detail.detail or {}, response.url),
            gkmlpt.body_attachment_links(detail.content_html, response.url, listed.post_id,
                                         self.state[site].base),
        )
        for ref in attachments:
            ref.url = self.site_link(site, ref.url, response.url)
        attachments = merge_attachments(attachments)
        return PostPage(
            title=detail.title, body_html=detail.content_html,
            published=article.get("display_publish_time") or article.get("date"),
            attachments=attachments, classify_id=article.get("classify_main"),
            classify_name=str(article.get("classify_main_name") or ""),
            detail={"template": detail.template, "meta": detail.meta,
                    "classify_table": detail.classify_table},
        )
