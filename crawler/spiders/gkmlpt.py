"""The gkmlpt spider: the platform's URLs and markup over the shared walk of
:class:`crawler.spiders.base.PlatformSpider`; each site is a row of ``config/sites.toml``.

Walk: entry URL (portal root, ``index#id`` or ``annualreport#id``) → shell (``window._CONFIG``:
SID, TREE) → list API of the annual-report category and of the whole site (``api/all/0``,
which also catches reports filed in ordinary categories) → detail pages of annual-report
posts → their attachments (union of ``attachment[]`` and body links).

    scrapy crawl gkmlpt -a site=huadu-shiling -a year=2020
    scrapy crawl gkmlpt -a site=dg-fenggang,dg-qingxi -a year=2019-2021
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urldefrag

from crawler.fetch import FetchMeta
from crawler.items import ErrorItem
from crawler.platforms import ListedPost, PlatformError, PostPage, merge_attachments
from crawler.platforms import gkmlpt
from crawler.spiders.base import PlatformSpider, SiteState, fetch_of

MAX_LIST_PAGES = 500
MAX_BAD_JSON_RETRIES = 2


@dataclass
class GkmlptSiteState(SiteState):
    report_categories: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class ListCursor:
    """One page of one category's list API."""

    base: str
    classify: int
    page: int
    sid: str | None


class GkmlptSpider(PlatformSpider):
    name = platform = "gkmlpt"
    site_state_class = GkmlptSiteState

    def start_site(self, site):
        for entry in site.entry_urls:
            yield self.request(site.slug, urldefrag(entry)[0], self.parse_entry, "entry",
                               cb_kwargs={"entry_category": gkmlpt.fragment_category(entry)})

    def parse_entry(self, response, entry_category: int | None):
        """An entry URL is either a gkmlpt shell or a town portal root linking to one."""
        site = fetch_of(response).site
        if "window._CONFIG" in response.text:
            yield from self.parse_shell(response, entry_category)
            return
        link = gkmlpt.find_gkmlpt_link(response.text, response.url)
        if link is None:
            yield ErrorItem(site, response.url, "no_gkmlpt_link",
                            "portal page has no link into a gkmlpt catalogue", fetch_of(response).fetch_id)
            return
        yield self.request(site, urldefrag(link)[0], self.parse_shell, "shell", response,
                           cb_kwargs={"entry_category": gkmlpt.fragment_category(link)})

    def parse_shell(self, response, entry_category: int | None):
        site = fetch_of(response).site
        try:
            shell = gkmlpt.parse_shell_config(response.text)
            base = gkmlpt.gkmlpt_base(response.url)
        except PlatformError as exc:
            yield ErrorItem(site, response.url, "bad_shell", str(exc), fetch_of(response).fetch_id)
            return
        state = self.state[site]
        wanted = entry_category or self.configs[site].report_category
        categories = {wanted} if wanted else {c.id for c in gkmlpt.find_report_categories(shell.tree)}
        state.report_categories |= categories
        for classify in sorted(categories) + [0]:
            yield from self.list_request(site, ListCursor(base, classify, 1, shell.sid), response)

    def list_request(self, site: str, cursor: ListCursor, referer, bad_json: int = 0):
        if not bad_json and not self.claim_list(site, (cursor.classify, cursor.page)):
            return
        url = gkmlpt.list_api_url(cursor.base, cursor.classify, cursor.page, cursor.sid)
        request = self.request(site, url, self.parse_list, "list", referer,
                               cb_kwargs={"cursor": cursor, "bad_json": bad_json},
                               handle_httpstatus_list=[404])
        if bad_json:
            request = request.replace(dont_filter=True)
            fetch_of(request).delay = 2.0 ** (bad_json - 1)
        yield request

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
        new_posts = 0
        for article in listing.articles:
            post = self.listed(site, article, cursor.classify)
            if not self.first_sighting(site, post.post_id):
                continue
            new_posts += 1
            yield from self.listed_post(post, response)
        if new_posts and cursor.page < MAX_LIST_PAGES:
            next_page = ListCursor(cursor.base, cursor.classify, cursor.page + 1, cursor.sid)
            yield from self.list_request(site, next_page, response)

    def listed(self, site: str, article: dict, classify: int) -> ListedPost:
        categories = self.state[site].report_categories
        category = article.get("classify_main") or classify
        return ListedPost(site=site, post_id=str(article["id"]), title=str(article.get("title") or ""),
                          url=str(article.get("url") or article.get("post_url") or ""), raw=article,
                          in_report_category=category in categories or classify in categories)

    def read_detail(self, response, listed: ListedPost) -> PostPage:
        detail = gkmlpt.parse_detail_page(response.text)
        article = listed.raw
        attachments = merge_attachments(
            gkmlpt.api_attachments(article, response.url),
            gkmlpt.api_attachments(detail.detail or {}, response.url),
            gkmlpt.body_attachment_links(detail.content_html, response.url),
        )
        return PostPage(
            title=detail.title, body_html=detail.content_html,
            published=article.get("display_publish_time") or article.get("date"),
            attachments=attachments, classify_id=article.get("classify_main"),
            classify_name=str(article.get("classify_main_name") or ""),
            detail={"template": detail.template, "meta": detail.meta,
                    "classify_table": detail.classify_table},
        )
