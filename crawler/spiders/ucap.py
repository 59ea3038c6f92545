"""The UCAP (开普云) spider: the platform's URLs and markup over the shared walk of
:class:`crawler.spiders.base.PlatformSpider`; each site is one unit's 年度报告 column.

Walk: the column's list template (the one the archive remembers for the site, else the doc's
names tried in order, keeping the first that answers 200 with items) → its pages by
``createPageHTML`` (stop past the page count, on 404 or on a page without items) → detail pages
of annual-report posts → their attachments (body and ``div.fj-a`` links).

    scrapy crawl ucap -a site=ganzhou-jkq-fenggang -a year=2020
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.items import ErrorItem, ListTemplateItem
from crawler.platforms import ListedPost, PlatformError, PostPage
from crawler.platforms import ucap
from crawler.spiders.base import PlatformSpider, SiteState, fetch_of

MAX_LIST_PAGES = 500


@dataclass
class UcapSiteState(SiteState):
    templates: dict[str, str] = field(default_factory=dict)  # column base → template in use


@dataclass(frozen=True)
class ListCursor:
    """One page of a column under one template; ``untried``: the templates still to probe
    when this one turns out not to be the column's."""

    column: ucap.Column
    template: str
    page: int
    untried: tuple[str, ...] = ()


class UcapSpider(PlatformSpider):
    name = platform = "ucap"
    site_state_class = UcapSiteState
    attachment_timeout = 240.0  # Jiangxi file servers: one public crawler needed 240 s reads

    def start_site(self, site):
        for entry in site.entry_urls:
            column = ucap.column_of(entry)
            remembered = self.session.list_templates.get((site.slug, column.base))
            first = remembered or column.template
            order = tuple(t for t in ((first,) if first else ()) + ucap.LIST_TEMPLATES)
            order = tuple(dict.fromkeys(order))  # once each, the known one first
            yield self.list_request(site.slug, ListCursor(column, order[0], 1, order[1:]))

    def list_request(self, site: str, cursor: ListCursor, referer=None):
        self.claim_list(site, (cursor.column.base, cursor.template, cursor.page))
        url = ucap.list_page_url(cursor.column, cursor.template, cursor.page)
        return self.request(site, url, self.parse_list, "list", referer,
                            cb_kwargs={"cursor": cursor}, handle_httpstatus_list=[404])

    def parse_list(self, response, cursor: ListCursor):
        fetch = fetch_of(response)
        site = fetch.site
        probing = cursor.page == 1 and cursor.column.base not in self.state[site].templates
        try:
            listing = ucap.parse_list_page(response.text, response.url) if response.status == 200 \
                else ucap.ListPage([], None)
        except PlatformError as exc:
            self.list_failed(site)
            yield ErrorItem(site, response.url, "bad_list", str(exc), fetch.fetch_id)
            return
        if probing and not listing.items:
            yield from self.next_template(site, cursor, response)
            return
        if probing:
            self.state[site].templates[cursor.column.base] = cursor.template
            yield ListTemplateItem(site, cursor.column.base, cursor.template, fetch.fetch_id)
        for item in listing.items:
            if self.first_sighting(site, item.post_id):
                post = ListedPost(site=site, post_id=item.post_id, title=item.title, url=item.url,
                                  raw=item.raw(), in_report_category=True)
                yield from self.listed_post(post, response)
        pages = listing.pager.total_pages if listing.pager else 1
        if listing.items and cursor.page < min(pages, MAX_LIST_PAGES):
            yield self.list_request(site, ListCursor(cursor.column, cursor.template,
                                                     cursor.page + 1), response)

    def next_template(self, site: str, cursor: ListCursor, response):
        """This template is not the column's: try the next (no page led to it: no referer),
        or give up with an error."""
        if cursor.untried:
            yield self.list_request(site, ListCursor(cursor.column, cursor.untried[0], 1,
                                                     cursor.untried[1:]))
            return
        self.list_failed(site)
        yield ErrorItem(site, cursor.column.base, "no_list_template",
                        f"no list template of {', '.join(ucap.LIST_TEMPLATES)} answered with items",
                        fetch_of(response).fetch_id)

    def read_detail(self, response, listed: ListedPost) -> PostPage:
        detail = ucap.parse_detail_page(response.text, response.url)
        published = ucap.timestamp_of(detail.pub_date) or ucap.timestamp_of(listed.raw.get("date", ""))
        return PostPage(
            title=detail.title, body_html=detail.body_html, published=published,
            attachments=detail.attachments, classify_name=detail.meta.get("ColumnName", ""),
            detail={"template": detail.body_selector, "meta": detail.meta,
                    "metadata": detail.metadata, "crumb": detail.crumb},
        )
