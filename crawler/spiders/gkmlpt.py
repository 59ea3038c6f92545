"""The gkmlpt spider: one spider for the platform; each site is a row of ``config/sites.toml``.

Walk: entry URL (portal root, ``index#id`` or ``annualreport#id``) → shell (``window._CONFIG``:
SID, TREE) → list API of the annual-report category and of the whole site (``api/all/0``,
which also catches reports filed in ordinary categories) → detail pages of annual-report
posts → their attachments (union of ``attachment[]`` and body links).

    scrapy crawl gkmlpt -a site=huadu-shiling -a year=2020
    scrapy crawl gkmlpt -a site=dg-fenggang,dg-qingxi -a year=2019-2021
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urldefrag

import scrapy
from lxml import html as lxml_html
from scrapy.exceptions import DownloadCancelledError
from scrapy.spidermiddlewares.httperror import HttpError

from crawler import gkmlpt
from crawler.items import AttachmentItem, ErrorItem, ReportPostItem, SeenPostItem
from crawler.selection import (CHINA_TZ, is_annual_report_title, parse_year_range, report_year,
                               year_from_title)
from crawler.session import ArchiveSession

MAX_LIST_PAGES = 500
MAX_BAD_JSON_RETRIES = 2
DOCUMENT_EXTS = {"pdf", "doc", "docx", "wps", "xls", "xlsx", "et", "zip", "rar", "ofd", "rtf",
                 "png", "jpg", "jpeg", "tif", "tiff"}


@dataclass
class SiteState:
    """What the spider has seen of one site in this run."""

    report_categories: set[int] = field(default_factory=set)
    listed: set[tuple[int, int]] = field(default_factory=set)  # (classify, page) requested
    posts: set[int] = field(default_factory=set)  # every post id seen in a list
    list_failures: int = 0
    shells: int = 0  # shells whose window._CONFIG was read (0 after a redesign: an alarm)


class GkmlptSpider(scrapy.Spider):
    name = "gkmlpt"
    command = "crawl"

    def __init__(self, site: str | None = None, year: str | None = None, revisit: str = "",
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.site_arg = [s.strip() for s in (site or "all").split(",") if s.strip()]
        self.years = parse_year_range(year)
        self.revisit = revisit.lower() in ("1", "true", "yes")
        self.state: dict[str, SiteState] = {}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.session = ArchiveSession.of(crawler)
        spider.sites = spider.session.sites_file.select(spider.site_arg)
        spider.configs = {site.slug: site for site in spider.sites}
        return spider

    def run_args(self) -> dict:
        return {"sites": [s.slug for s in self.sites], "years": self.years, "revisit": self.revisit}

    def fully_listed_sites(self) -> dict[str, set[int]]:
        """Sites whose every list was read to its end in a run without a year filter: a known
        post missing from them has been removed from the site."""
        if self.years:
            return {}
        return {site: state.posts for site, state in self.state.items()
                if state.listed and not state.list_failures}

    async def start(self):
        for site in self.sites:
            if not site.enabled:
                yield ErrorItem(site.slug, "", "disabled", site.disabled_reason)
                continue
            self.state[site.slug] = SiteState()
            for entry in site.entry_urls:
                yield self.request(site.slug, urldefrag(entry)[0], self.parse_entry, "entry",
                                   entry_category=gkmlpt.fragment_category(entry))

    def request(self, site: str, url: str, callback, kind: str, referer=None, **meta):
        config = self.configs[site]
        if config.http_only and url.startswith("https://"):
            url = "http://" + url[len("https://"):]
        meta.update(site=site, kind=kind, dont_obey_robotstxt=not config.obey_robots)
        if referer is not None:
            meta.update(referer_fetch_id=referer.meta.get("fetch_id"), referer_url=referer.url)
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta)

    def parse_entry(self, response):
        """An entry URL is either a gkmlpt shell or a town portal root linking to one."""
        site = response.meta["site"]
        if "window._CONFIG" in response.text:
            yield from self.parse_shell(response)
            return
        link = gkmlpt.find_gkmlpt_link(response.text, response.url)
        if link is None:
            yield ErrorItem(site, response.url, "no_gkmlpt_link",
                            "portal page has no link into a gkmlpt catalogue", response.meta.get("fetch_id"))
            return
        yield self.request(site, urldefrag(link)[0], self.parse_shell, "shell", response,
                           entry_category=gkmlpt.fragment_category(link))

    def parse_shell(self, response):
        site = response.meta["site"]
        try:
            shell = gkmlpt.parse_shell_config(response.text)
            base = gkmlpt.gkmlpt_base(response.url)
        except gkmlpt.PlatformError as exc:
            yield ErrorItem(site, response.url, "bad_shell", str(exc), response.meta.get("fetch_id"))
            return
        state = self.state[site]
        state.shells += 1
        wanted = response.meta.get("entry_category") or self.configs[site].report_category
        categories = {wanted} if wanted else {c.id for c in gkmlpt.find_report_categories(shell.tree)}
        state.report_categories |= categories
        for classify in sorted(categories) + [0]:
            yield from self.list_request(site, base, classify, 1, shell.sid, response)

    def list_request(self, site, base, classify, page, sid, referer, bad_json=0, delay=0.0):
        state = self.state[site]
        if (classify, page) in state.listed and not bad_json:
            return
        state.listed.add((classify, page))
        request = self.request(site, gkmlpt.list_api_url(base, classify, page, sid), self.parse_list,
                               "list", referer, base=base, classify=classify, page=page, sid=sid,
                               bad_json=bad_json, handle_httpstatus_list=[404])
        if bad_json:
            request = request.replace(dont_filter=True)
            request.meta["gk_delay"] = delay
        yield request

    def parse_list(self, response):
        meta = response.meta
        site, classify, page = meta["site"], meta["classify"], meta["page"]
        if response.status == 404:
            if page == 1:
                self.state[site].list_failures += 1
                yield ErrorItem(site, response.url, "list_not_found",
                                f"category {classify} answered 404 on page 1", meta.get("fetch_id"))
            return
        try:
            listing = gkmlpt.parse_list_page(response.body)
        except gkmlpt.PlatformError as exc:
            if meta["bad_json"] < MAX_BAD_JSON_RETRIES:
                yield from self.list_request(site, meta["base"], classify, page, meta["sid"], response,
                                             bad_json=meta["bad_json"] + 1, delay=2.0 ** meta["bad_json"])
            else:
                self.state[site].list_failures += 1
                yield ErrorItem(site, response.url, "bad_list", str(exc), meta.get("fetch_id"))
            return
        new_posts = 0
        state = self.state[site]
        for article in listing.articles:
            post_id = int(article["id"])
            if post_id in state.posts:
                continue
            state.posts.add(post_id)
            new_posts += 1
            yield from self.maybe_report(site, article, classify, response)
        if new_posts and page < MAX_LIST_PAGES:
            yield from self.list_request(site, meta["base"], classify, page + 1, meta["sid"], response)

    def maybe_report(self, site, article, classify, response):
        title = str(article.get("title") or "")
        category = article.get("classify_main") or classify
        in_category = category in self.state[site].report_categories or classify in self.state[site].report_categories
        if not is_annual_report_title(title, in_report_category=in_category):
            return
        title_year = year_from_title(title)
        if self.years and title_year and not self.years[0] <= title_year <= self.years[1]:
            return
        post_id = int(article["id"])
        digest = article_sha256(article)
        known = self.session.known.get(site, {}).get(post_id)
        if known and known == (digest, True) and not self.revisit:
            yield SeenPostItem(site, post_id, response.meta.get("fetch_id"))
            return
        url = str(article.get("url") or article.get("post_url") or "")
        if not url:
            yield ErrorItem(site, response.url, "post_without_url", f"post {article['id']} has no url")
            return
        yield self.request(site, response.urljoin(url), self.parse_detail, "detail", response,
                           article=article, article_sha256=digest,
                           list_fetch_id=response.meta.get("fetch_id"))

    def parse_detail(self, response):
        meta = response.meta
        site, article = meta["site"], meta["article"]
        try:
            detail = gkmlpt.parse_detail_page(response.text)
        except (ValueError, gkmlpt.PlatformError) as exc:
            yield ErrorItem(site, response.url, "bad_detail", str(exc), meta.get("fetch_id"))
            return
        body_text = _html_text(detail.content_html)
        published = article.get("display_publish_time") or article.get("date")
        year, source = report_year(str(article.get("title") or detail.title), body_text, published)
        if self.years and year and not self.years[0] <= year <= self.years[1]:
            return
        attachments = gkmlpt.merge_attachments(
            gkmlpt.api_attachments(article, response.url),
            gkmlpt.api_attachments(detail.detail or {}, response.url),
            gkmlpt.body_attachment_links(detail.content_html, response.url),
        )
        yield ReportPostItem(
            site=site, post_id=int(article["id"]), title=str(article.get("title") or detail.title),
            url=response.url, article=article, report_year=year, year_source=source,
            publish_date=_local_date(published), classify_id=article.get("classify_main"),
            classify_name=str(article.get("classify_main_name") or ""),
            detail={"template": detail.template, "meta": detail.meta,
                    "classify_table": detail.classify_table},
            detail_fetch_id=meta.get("fetch_id"), list_fetch_id=meta.get("list_fetch_id"),
            article_sha256=meta["article_sha256"], body_html=detail.content_html,
            attachments=attachments,
        )
        for ref in attachments:
            yield self.attachment_request(site, ref, int(article["id"]), response)

    def attachment_request(self, site: str, ref, post_id: int, referer):
        """A conditional request when an earlier download left validators (ETag,
        Last-Modified); a 304 means the archived bytes are still current."""
        request = self.request(site, ref.url, self.parse_attachment, "attachment", referer,
                               post_id=post_id, attachment_url=ref.url, ext=ref.ext,
                               handle_httpstatus_list=[304])
        etag, modified, sha256 = self.session.writer.validators(request.url)
        if sha256 and (etag or modified):
            request.meta["previous_sha256"] = sha256
            if etag:
                request.headers["If-None-Match"] = etag
            if modified:
                request.headers["If-Modified-Since"] = modified
        return request

    def parse_attachment(self, response):
        meta = response.meta
        site, post_id, url = meta["site"], meta["post_id"], meta["attachment_url"]
        problem = _not_a_document(response, meta.get("ext", ""))
        fetch_id = meta.get("fetch_id")
        if response.status == 304:
            yield AttachmentItem(site, post_id, url, "ok", fetch_id, sha256=meta.get("previous_sha256"))
            return
        if problem:
            yield AttachmentItem(site, post_id, url, problem[0], fetch_id, error=problem[1])
            return
        sha256 = meta.get("fetch_sha256")
        yield AttachmentItem(site, post_id, url, "ok", fetch_id, sha256=sha256)

    def on_error(self, failure):
        request = failure.request
        meta = request.meta
        site = meta.get("site")
        kind, message = _failure_kind(failure)
        if meta.get("kind") == "attachment":
            yield AttachmentItem(site, meta["post_id"], meta["attachment_url"], kind,
                                 meta.get("fetch_id"), error=message)
        else:
            yield ErrorItem(site, request.url, kind, message, meta.get("fetch_id"))


def article_sha256(article: dict) -> str:
    """A post's list entry, canonicalised: when it changes, the post is fetched again."""
    canonical = json.dumps(article, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _failure_kind(failure) -> tuple[str, str]:
    meta = failure.request.meta
    if "gk_refused" in meta:
        return "refused", meta["gk_refused"]
    if failure.check(HttpError):
        response = failure.value.response
        if meta.get("fetch_outcome") == "challenge":
            return "challenge", f"HTTP {response.status} JavaScript challenge page"
        return "http_error", f"HTTP {response.status}"
    message = f"{failure.type.__name__}: {failure.getErrorMessage()}"
    # Over DOWNLOAD_MAXSIZE: cancelled on the wire, or ignored while decompressing.
    if failure.check(DownloadCancelledError) or "DOWNLOAD_MAXSIZE" in message:
        return "too_large", message
    if "robots.txt" in message:
        return "robots_disallowed", message
    return "network_error", message


def _not_a_document(response, ext: str) -> tuple[str, str] | None:
    body = response.body
    if not body:
        return "empty", "attachment body is empty"
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    looks_html = head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))
    if ext in DOCUMENT_EXTS and looks_html:
        return "not_a_document", f"an HTML page was served where a .{ext} was expected"
    return None


def _html_text(content_html: str) -> str:
    if not content_html.strip():
        return ""
    return lxml_html.fromstring(f"<div>{content_html}</div>").text_content()


def _local_date(timestamp) -> str | None:
    try:
        return datetime.fromtimestamp(float(timestamp), CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError, OverflowError):
        return None
