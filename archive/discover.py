"""``gkarchive sites discover``: proposed sites-file tables for bodies the config lacks, from
pages that list other bodies and from the archive's unassigned reports.

A dispatcher hands each fetched page to the first registered :class:`Discoverer` whose
``matches`` accepts it. Built in: :class:`GuidePage` (a gkmlpt ``guide``/``mguide`` page: the
body itself and the gkmlpt catalogues it links to), :class:`BodyList` (a city's list of
departments and towns: links whose text names a body) and :class:`UcapDirectory` (a UCAP
disclosure directory: each unit's 年度报告 column, as a ``platform = "ucap"`` row). Other page kinds plug in with
:func:`register` (the UCAP directory of ``ucap-platform.md`` is one)::

    class UcapDirectory:
        name = "ucap-directory"
        def matches(self, url, page): ...
        def discover(self, url, page): return [Proposal(...), ...]
    register(UcapDirectory())

``unassigned_reports`` (rows of shared portal report columns whose body no site claims,
migration m006) gives one proposal per body, without a known gkmlpt base.

Example::

    proposals = discover_pages([("http://www.zs.gov.cn/zshpz/gkmlpt/guide", html)], config)
    print(format_proposals(proposals))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

from archive.catalogue import CITY_CODES, CatalogueRow, site_from_row
from archive.sites import DEFAULT_SITES_FILE, PROVINCE_GROUP, SitesFile, load_sites

BODY_SUFFIXES = ("人民政府", "办事处", "管理委员会", "管委会", "委员会", "办公室", "局", "厅", "镇",
                 "街道", "中心", "委")
_GUIDE_NAME_RE = re.compile(r"([\u4e00-\u9fff（）()]{2,40}?)政府信息公开指南")
_SITE_NAME_RE = re.compile(r"""\bSITE_NAME\s*:\s*['"]([^'"]+)""")


@dataclass
class Proposal:
    """A body the config lacks: its name, the gkmlpt base if known, and where it was seen."""

    name: str
    base: str | None  # origin + prefix, e.g. http://www.zs.gov.cn/zshpz; None: unknown
    found_at: str  # the page (or column) it was found on
    found_by: str  # the discoverer's name
    evidence: str = ""
    entry_url: str | None = None  # the proposed entry URL, when the discoverer knows it
    rendered: str | None = None  # the whole config row, when the platform writes its own (UCAP)

    def row(self) -> CatalogueRow:
        level = next((lvl for suffix, lvl in (("镇人民政府", "镇"), ("街道办事处", "街道"),
                                               ("区人民政府", "区"), ("县人民政府", "县"))
                      if self.name.endswith(suffix)), "市直部门")
        group = next((city for city in CITY_CODES if city in self.name), PROVINCE_GROUP)
        base = self.base or f"{urlsplit(self.found_at).scheme}://{urlsplit(self.found_at).hostname}"
        return CatalogueRow(group=group, body=self.name, level=level, base=base, sid="",
                            categories_seen="", confidence="B", source=self.found_at)

    def toml(self) -> str:
        if self.rendered:
            return self.rendered + "\n"
        site = site_from_row(self.row())
        site.enabled = False
        site.notes = f"found by {self.found_by} on {self.found_at}" + \
            (f": {self.evidence}" if self.evidence else "")
        site.disabled_reason = ("proposed by gkarchive sites discover: probe it "
                                f"(gkarchive sites probe --site {site.slug}), then enable")
        if self.base is None:
            site.entry_url = self.found_at if self.found_at.endswith("/") else site.entry_url
            site.disabled_reason = "gkmlpt base unknown: " + site.disabled_reason
        return site.toml()


class Discoverer(Protocol):
    name: str

    def matches(self, url: str, page: str) -> bool: ...

    def discover(self, url: str, page: str) -> list[Proposal]: ...


def _links(url: str, page: str) -> list[tuple[str, str]]:
    try:
        tree = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    return [(urljoin(url, a.get("href", "").strip()), " ".join(a.text_content().split()))
            for a in tree.xpath("//a[@href]")]


def gkmlpt_site_base(url: str) -> str | None:
    """``http://www.zs.gov.cn/zshpz/gkmlpt/guide`` → ``http://www.zs.gov.cn/zshpz``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or "/gkmlpt" not in parts.path:
        return None
    return f"{parts.scheme}://{parts.netloc}{parts.path.split('/gkmlpt', 1)[0]}".rstrip("/")


def names_a_body(text: str) -> bool:
    return 2 < len(text) <= 30 and text.endswith(BODY_SUFFIXES) and \
        bool(re.fullmatch(r"[\u4e00-\u9fff（）()]+", text))


class GuidePage:
    """A gkmlpt 政府信息公开指南 page: its own body, and the catalogues it links to."""

    name = "gkmlpt-guide"

    def matches(self, url: str, page: str) -> bool:
        return bool(re.search(r"/gkmlpt/m?guide/?$", urlsplit(url).path)) or (
            "政府信息公开指南" in page and "/gkmlpt/" in page)

    def discover(self, url: str, page: str) -> list[Proposal]:
        found = []
        own = gkmlpt_site_base(url)
        name = _first(_SITE_NAME_RE, page) or _first(_GUIDE_NAME_RE, re.sub(r"<[^>]+>", " ", page))
        if own and name:
            found.append(Proposal(name.strip(), own, url, self.name, "the guide's own body"))
        for href, text in _links(url, page):
            base = gkmlpt_site_base(href)
            if base and base != own and names_a_body(text):
                found.append(Proposal(text, base, url, self.name, f"link to {href}"))
        return found


class BodyList:
    """A page listing a city's departments and towns: links whose text names a body."""

    name = "body-list"
    minimum = 3

    def matches(self, url: str, page: str) -> bool:
        return sum(names_a_body(text) for _, text in _links(url, page)) >= self.minimum

    def discover(self, url: str, page: str) -> list[Proposal]:
        found = []
        for href, text in _links(url, page):
            parts = urlsplit(href)
            if not names_a_body(text) or not (parts.hostname or "").endswith(".gov.cn"):
                continue
            base = gkmlpt_site_base(href)
            if base is None:
                prefix = parts.path.strip("/").split("/")[0]
                base = f"{parts.scheme}://{parts.netloc}" + (f"/{prefix}" if prefix else "")
            found.append(Proposal(text, base, url, self.name, f"link to {href}"))
        return found


class UcapDirectory:
    """A UCAP (开普云) disclosure directory (``https://gzjkq.ganzhou.gov.cn/jkqxxgk/``): every
    unit link is followed to the unit's 年度报告 column (``crawler.ucap_discovery``), which
    reads the unit pages with ``fetch(url) -> (status, text)``; each column is a ``ucap`` row."""

    name = "ucap-directory"

    def __init__(self, fetch):
        self.fetch = fetch

    def matches(self, url: str, page: str) -> bool:
        return bool(re.search(r"""<meta\s+name=["']SiteIDCode["']""", page)) and (
            "xxgk.shtml?code=" in page or "年度报告" in page)

    def discover(self, url: str, page: str) -> list[Proposal]:
        from crawler.ucap_discovery import discover_ucap_units

        fetched = {url: (200, page)}  # the directory itself was fetched by the crawler

        def fetch(target: str) -> tuple[int, str]:
            return fetched.pop(target) if target in fetched else self.fetch(target)

        return [Proposal(row.name, None, url, self.name,
                         f"{row.unit}: list template {row.template}, found by {row.found_by}",
                         entry_url=row.entry_url, rendered=row.to_toml())
                for row in discover_ucap_units(url, fetch)]


DISCOVERERS: list[Discoverer] = [GuidePage(), BodyList()]


def register(discoverer: Discoverer, first: bool = True) -> None:
    """Add a page kind; ``first``: tried before the built-in ones."""
    DISCOVERERS.insert(0, discoverer) if first else DISCOVERERS.append(discoverer)


def _first(pattern: re.Pattern, text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None


@dataclass
class PageResult:
    url: str
    kind: str | None  # the discoverer that took it; None: no page kind matched
    proposals: list[Proposal] = field(default_factory=list)


def discover_page(url: str, page: str | None, discoverers: list[Discoverer] | None = None,
                  error: str = "") -> PageResult:
    if page is None:
        return PageResult(url, f"not fetched ({error})")
    for discoverer in discoverers if discoverers is not None else DISCOVERERS:
        if discoverer.matches(url, page):
            return PageResult(url, discoverer.name, discoverer.discover(url, page))
    return PageResult(url, None)


def discover_unassigned(db) -> list[Proposal]:
    """One proposal per body of ``unassigned_reports`` (absent before migration m006)."""
    tables = set(db.table_names())
    if "unassigned_reports" not in tables:
        return []
    rows = db.execute("SELECT body, column_url, count(*), group_concat(DISTINCT year) "
                      "FROM unassigned_reports GROUP BY body, column_url ORDER BY body").fetchall()
    return [Proposal(body, None, column, "unassigned-reports", f"{n} reports (years {years})")
            for body, column, n, years in rows]


def new_proposals(proposals: list[Proposal], config: SitesFile) -> list[Proposal]:
    """Proposals for bodies the config does not have (by name or by gkmlpt base), once each."""
    names = {site.name for site in config.sites.values()}
    entries = {url for site in config.sites.values() for url in site.entry_urls}
    bases = {gkmlpt_site_base(url).split("://", 1)[1] for site in config.sites.values()
             for url in site.entry_urls if gkmlpt_site_base(url)}
    kept: dict[str, Proposal] = {}
    for proposal in proposals:
        base = proposal.base.split("://", 1)[1] if proposal.base else None
        if proposal.name in names or (base and base in bases) or proposal.entry_url in entries:
            continue
        kept.setdefault(proposal.entry_url or base or proposal.name, proposal)
    return list(kept.values())


def format_proposals(result: dict) -> str:
    lines = [f"# {page.url}: {page.kind or 'no page kind matched'}, "
             f"{len(page.proposals)} bodies" for page in result["pages"]]
    if result["unassigned"]:
        lines.append(f"# unassigned reports: {len(result['unassigned'])} bodies")
    lines.append(f"# {len(result['proposals'])} new sites proposed (review, probe, then add "
                 "to the sites file)")
    return "\n".join(lines) + "".join("\n\n" + p.toml().rstrip("\n") for p in result["proposals"])


@dataclass
class DiscoverOptions:
    urls: list[str] = field(default_factory=list)
    sites_file: Path = DEFAULT_SITES_FILE
    db: Path = Path("data/archive.db")
    proxy: str | None = None
    delay: float | None = None
    log_level: str = "WARNING"


def run_discover(options: DiscoverOptions) -> dict:
    """Fetch ``options.urls`` through the crawler, dispatch each page, read the unassigned
    reports; {"pages": [PageResult], "unassigned": [...], "proposals": [new ones]}."""
    from archive.db import open_db

    config = load_sites(options.sites_file)
    fetched = fetch_pages(options) if options.urls else []
    discoverers = [ucap_directory(options)] + DISCOVERERS
    pages = [discover_page(url, text, discoverers, error) for url, text, error in fetched]
    unassigned = discover_unassigned(open_db(options.db)) if Path(options.db).exists() else []
    every = [p for page in pages for p in page.proposals] + unassigned
    return {"pages": pages, "unassigned": unassigned, "proposals": new_proposals(every, config)}


def ucap_directory(options: DiscoverOptions) -> UcapDirectory:
    """The UCAP directory page kind, reading unit pages politely through ``options.proxy``."""
    from crawler.ucap_discovery import polite_fetcher

    delay = 1.0 if options.delay is None else options.delay
    return UcapDirectory(polite_fetcher(proxy=options.proxy, delay=delay))


def fetch_pages(options: DiscoverOptions) -> list[tuple[str, str | None, str]]:
    """(URL, text or None, error) of each page, fetched by the crawler into the archive."""
    from scrapy.crawler import CrawlerProcess

    from archive.crawl import CrawlOptions, crawl_settings
    from archive.lock import run_lock
    from crawler.probe import PageSpider

    crawl = CrawlOptions(sites_file=options.sites_file, db=options.db, proxy=options.proxy,
                         delay=options.delay, log_level=options.log_level,
                         settings={"RETRY_TIMES": 1, "EXTENSIONS": {}})
    with run_lock(options.db):
        process = CrawlerProcess(crawl_settings(crawl))
        crawler = process.create_crawler(PageSpider)
        process.crawl(crawler, urls=options.urls)
        process.start()
        return crawler.spider.pages
