"""The shared walk of every platform spider: entry → lists → detail pages → attachments.

A platform spider is a small subclass of :class:`PlatformSpider`; its parsers are pure
functions in ``crawler/platforms/<platform>.py``. Everything else — site selection, the year
filter, report selection, known-post skipping, conditional attachment requests, error items,
the fetch recorder, politeness, retries, the archive session — is here or in the middlewares,
and is never copied into a platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError

from archive.extract.detect import served_page_instead
from crawler.fetch import META_KEY, FetchMeta, Outcome
from crawler.items import AttachmentItem, ErrorItem, ReportPostItem, SeenPostItem
from crawler.platforms import AttachmentRef, ListedPost, PlatformError, PostPage, html_text
from crawler.postids import PostIds
from crawler.selection import (CHINA_TZ, is_annual_report_title, parse_year_range, report_year,
                               year_from_title)
from crawler.session import ArchiveSession



@dataclass
class SiteState:
    """What the spider has seen of one site in this run."""

    listed: set = field(default_factory=set)  # keys of the list pages requested
    # Every post id seen in a list, kept for the whole run (removed posts are marked at its
    # end): a compact set, about 10 bytes an id (crawler/postids.py).
    posts: PostIds = field(default_factory=PostIds)
    list_failures: int = 0
    # URLs of the shells read (:meth:`PlatformSpider.shell_read`; ``site_runs.shells`` counts
    # them); None: the platform serves none. A platform with shells starts it empty, so that
    # none read (a redesign) is an alarm.
    shells: set[str] | None = None


class PlatformSpider(scrapy.Spider):
    """Base spider of a disclosure platform; each site is a row of ``config/sites.toml``.

    How to add a platform (``ucap`` is the worked example):

    1. Write the platform's pure parsers in ``crawler/platforms/<platform>.py``: URLs, list
       pages, detail pages, attachment links, raising :class:`PlatformError` on a page that is
       not what the platform serves. No Scrapy there. Add saved example pages with reviewed
       expected output under ``tests/platform_examples/<platform>/``.
    2. Add the name to ``archive.sites.PLATFORMS``; sites say ``platform = "<platform>"``.
    3. Subclass ``PlatformSpider`` in ``crawler/spiders/<platform>.py`` and set ``name`` and
       ``platform`` to the platform's name (``scrapy crawl <platform> -a site=SLUG``).
    4. Write ``start_site(site)``: yield the first requests of one site (usually its entry
       URLs), made with :meth:`request` so that the site, the kind of page and the referer are
       recorded with every fetch.
    5. Write the list callbacks: for each entry of a list page build a :class:`ListedPost`
       (post id as a string, the raw entry kept whole) and ``yield from
       self.listed_post(post, response)`` when :meth:`first_sighting` says it is new; mark each
       list page with :meth:`claim_list` before requesting it, and call :meth:`list_failed`
       when a list could not be read to its end (the site's removed posts are then not marked).
    6. Write ``read_detail(response, listed)``: parse a report post's detail page into a
       :class:`PostPage` (title, body HTML, publication time, attachments, raw metadata).
       The base turns it into a :class:`ReportPostItem` and requests its attachments.
    7. Optional: ``site_state_class`` for per-site state the platform needs (a
       :class:`SiteState` subclass); ``report_year_title(listed, page)``;
       ``attachment_timeout`` when the platform's file servers are slow; a platform whose
       sites serve a shell calls :meth:`shell_read` for each one read (its state's
       ``shells`` starts as an empty set), so that a site whose shells stop being read raises an alarm.
    8. Add the platform's simulated portal (``tests/<platform>_portal/``, on the proxy and
       TLS code of ``tests/portal/server.py``) and crawl tests under each of its switches;
       the contract tests (``tests/test_spiders.py``, ``tests/test_platform_examples.py``)
       check that every platform has its spider, its hooks and its reviewed examples.
    """

    name = ""
    platform = ""  # the ``platform`` of the config rows this spider crawls
    command = "crawl"
    site_state_class = SiteState
    attachment_timeout: float | None = None  # seconds; None: DOWNLOAD_TIMEOUT

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
        spider.sites = spider.session.sites_file.select(spider.site_arg, platform=cls.platform)
        spider.configs = {site.slug: site for site in spider.sites}
        return spider

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        missing = [hook for hook in ("start_site", "read_detail")
                   if getattr(cls, hook) is getattr(PlatformSpider, hook)]
        if not cls.platform or cls.name != cls.platform or missing:
            raise TypeError(f"{cls.__name__}: a platform spider sets name = platform and "
                            f"writes start_site and read_detail (missing: {missing or 'none'})")

    # -- the hooks of a platform -------------------------------------------------------------

    def start_site(self, site):
        """The first requests of one enabled site."""
        raise NotImplementedError

    def read_detail(self, response, listed: ListedPost) -> PostPage:
        """Parse a report post's detail page; raise PlatformError (or ValueError) if it is not one."""
        raise NotImplementedError

    def report_year_title(self, listed: ListedPost, page: PostPage) -> str:
        """The title a report's year is read from first."""
        return listed.title or page.title

    # -- the shared walk -----------------------------------------------------------------------

    def run_args(self) -> dict:
        return {"sites": [s.slug for s in self.sites], "years": self.years, "revisit": self.revisit}

    def fully_listed_sites(self) -> dict[str, set[str]]:
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
            self.state[site.slug] = self.site_state_class()
            for request in self.start_site(site):
                yield request

    def request(self, site: str, url: str, callback, kind: str, referer=None,
                cb_kwargs: dict | None = None, priority: int | None = None,
                **meta) -> scrapy.Request:
        """A request of one site: its :class:`FetchMeta`, the site's http-only and robots
        rules, the page that led to it (``referer``, a response), its priority (by kind
        unless given: :data:`PRIORITY_BY_KIND`)."""
        extra = {} if priority is None else {"priority": priority}
        return site_request(self.configs[site], url, callback, self.on_error, kind, referer,
                            cb_kwargs=cb_kwargs or {}, meta=meta, **extra)

    def claim_list(self, site: str, key) -> bool:
        """True the first time a list page (any hashable key) is about to be requested."""
        state = self.state[site]
        if key in state.listed:
            return False
        state.listed.add(key)
        return True

    def list_failed(self, site: str) -> None:
        self.state[site].list_failures += 1

    def shell_read(self, site: str, url: str) -> None:
        """A shell of the site was read (a page whose configuration the walk starts from:
        gkmlpt's ``window._CONFIG``), at ``url``: the health's shape count (``site_runs``), of
        distinct URLs, as a distributed run counts them (a request run again counts once)."""
        state = self.state[site]
        if state.shells is None:
            state.shells = set()
        state.shells.add(url)

    def first_sighting(self, site: str, post_id: str) -> bool:
        """True the first time a post id shows up in any list of the site in this run."""
        posts = self.state[site].posts
        if post_id in posts:
            return False
        posts.add(post_id)
        return True

    @staticmethod
    def may_be_report(title: str, in_report_category: bool) -> bool:
        """The title test :meth:`listed_post` starts with; a list callback may ask it first
        and build the :class:`ListedPost` only when it passes."""
        return is_annual_report_title(title, in_report_category=in_report_category)

    def listed_post(self, post: ListedPost, response):
        """An entry of a list: skipped unless an annual report of the wanted years; a known
        unchanged report is touched, not fetched; otherwise its detail page is requested."""
        if not self.may_be_report(post.title, post.in_report_category):
            return
        title_year = year_from_title(post.title)
        if self.years and title_year and not self.years[0] <= title_year <= self.years[1]:
            return
        digest = post.sha256
        list_fetch_id = fetch_of(response).fetch_id
        known = self.session.known.get(post.site, {}).get(post.post_id)
        if known and known == (digest, True) and not self.revisit:
            yield SeenPostItem(post.site, post.post_id, list_fetch_id)
            return
        if not post.url:
            yield ErrorItem(post.site, response.url, "post_without_url",
                            f"post {post.post_id} has no url")
            return
        yield self.request(post.site, response.urljoin(post.url), self.parse_detail, "detail",
                           response, cb_kwargs={"listed": post, "list_fetch_id": list_fetch_id})

    def parse_detail(self, response, listed: ListedPost, list_fetch_id: int | None):
        site, fetch_id = listed.site, fetch_of(response).fetch_id
        try:
            page = self.read_detail(response, listed)
        except (ValueError, PlatformError) as exc:
            yield ErrorItem(site, response.url, "bad_detail", str(exc), fetch_id)
            return
        year, source = report_year(self.report_year_title(listed, page),
                                   html_text(page.body_html), page.published)
        if self.years and year and not self.years[0] <= year <= self.years[1]:
            return
        yield ReportPostItem(
            site=site, post_id=listed.post_id, title=listed.title or page.title, url=response.url,
            article=listed.raw, report_year=year, year_source=source,
            publish_date=_local_date(page.published), classify_id=page.classify_id,
            classify_name=page.classify_name, detail=page.detail, detail_fetch_id=fetch_id,
            list_fetch_id=list_fetch_id, article_sha256=listed.sha256, body_html=page.body_html,
            attachments=page.attachments,
        )
        for ref in page.attachments:
            yield self.attachment_request(site, ref, listed.post_id, response)

    def attachment_request(self, site: str, ref: AttachmentRef, post_id: str, referer):
        """A conditional request when an earlier download left validators (ETag,
        Last-Modified); a 304 means the archived bytes are still current."""
        timeout = {"download_timeout": self.attachment_timeout} if self.attachment_timeout else {}
        request = self.request(site, ref.url, self.parse_attachment, "attachment", referer,
                               cb_kwargs={"post_id": post_id, "ref": ref},
                               handle_httpstatus_list=[304], **timeout)
        etag, modified, sha256 = self.session.writer.validators(request.url)
        if sha256 and (etag or modified):
            fetch_of(request).previous_sha256 = sha256
            if etag:
                request.headers["If-None-Match"] = etag
            if modified:
                request.headers["If-Modified-Since"] = modified
        return request

    def parse_attachment(self, response, post_id: str, ref: AttachmentRef):
        fetch = fetch_of(response)
        site, url = fetch.site, ref.url
        if response.status == 304:
            yield AttachmentItem(site, post_id, url, "ok", fetch.fetch_id, sha256=fetch.previous_sha256)
            return
        problem = _not_a_document(response.body, ref.ext)
        if problem:
            yield AttachmentItem(site, post_id, url, problem[0], fetch.fetch_id, error=problem[1])
            return
        yield AttachmentItem(site, post_id, url, "ok", fetch.fetch_id, sha256=fetch.sha256)

    def on_error(self, failure):
        """Every failed request is a row: the outcome as the middlewares classified it."""
        request = failure.request
        fetch = fetch_of(request)
        kind, message = _failure_kind(failure, fetch)
        if fetch.kind == "list":  # the site's lists were not read to their end
            self.list_failed(fetch.site)
        if fetch.kind == "attachment":
            yield AttachmentItem(fetch.site, request.cb_kwargs["post_id"], request.cb_kwargs["ref"].url,
                                 kind, fetch.fetch_id, error=message)
        else:
            yield ErrorItem(fetch.site, request.url, kind, message, fetch.fetch_id)


# The order in which a host's queued requests go (Scrapy sends the higher first): pages that
# lead to more requests before those that lead to none, so that a host's queue is never empty
# while its lists wait on each other. The crawl lasts as long as its busiest host's queue;
# one idle moment there is time lost (docs/benchmarks.md, "A simulated province").
PRIORITY_BY_KIND = {"entry": 300, "shell": 300, "list": 200, "search": 200, "column": 200,
                    "detail": 100}
MAX_CHAIN_BONUS = 99  # a list page before others of its kind: more pages still to come after it


def site_request(config, url: str, callback, errback, kind: str, referer=None,
                 meta: dict | None = None, **kwargs) -> scrapy.Request:
    """A request of one site (any spider: platform, probe): its :class:`FetchMeta`, the
    site's http-only and robots rules, the page that led to it (``referer``) and its
    priority (:data:`PRIORITY_BY_KIND`, unless ``priority`` is given)."""
    if config.http_only and url.startswith("https://"):
        url = "http://" + url[len("https://"):]
    fetch = FetchMeta(site=config.slug, kind=kind)
    if referer is not None:
        fetch.referer_fetch_id, fetch.referer_url = fetch_of(referer).fetch_id, referer.url
    meta = {**(meta or {}), META_KEY: fetch, "dont_obey_robotstxt": not config.obey_robots}
    kwargs.setdefault("priority", PRIORITY_BY_KIND.get(kind, 0))
    return scrapy.Request(url, callback=callback, errback=errback, meta=meta, **kwargs)


def fetch_of(request_or_response) -> FetchMeta:
    request = getattr(request_or_response, "request", None) or request_or_response
    return FetchMeta.of(request)


def _failure_kind(failure, fetch: FetchMeta) -> tuple[str, str]:
    if fetch.outcome is not None and fetch.outcome.failed:
        return fetch.outcome.value, fetch.error or fetch.outcome.value
    if failure.check(HttpError):  # a response the recorder did not see
        return Outcome.HTTP_ERROR.value, f"HTTP {failure.value.response.status}"
    return Outcome.NETWORK_ERROR.value, f"{failure.type.__name__}: {failure.getErrorMessage()}"


def _not_a_document(body: bytes, ext: str) -> tuple[str, str] | None:
    """What the archive says a document may not be (``served_page_instead``): the one rule the
    extractor applies too, so an HTML .doc (Word's "save as web page") is kept."""
    if not body:
        return "empty", "attachment body is empty"
    problem = served_page_instead(body, f"attachment.{ext}") if ext else None
    return ("not_a_document", problem) if problem else None


def _local_date(timestamp) -> str | None:
    try:
        return datetime.fromtimestamp(float(timestamp), CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError, OverflowError):
        return None
