"""NFCMS, the portal CMS around gkmlpt: its report columns (for the two target hosts the main
report page: Dongguan ``/zwgk/zfxxgkml/{code}/zfxxgkgzndbg/``, Huadu's shared
``/xxgk/xxgkml/xxgknb/gzj/``) and their portal-template article pages.

A column is server-rendered: ``index.html`` (or the bare folder), then ``index_2.html``,
``index_3.html`` …; items are links to ``content/post_{id}.html`` with a date. The markup of
the list varies, so items are found by the link target alone, and the end of a column is a 404,
a page with no new post, or the page count of ``createPageHTML(pages, …)`` when present.

Example::

    >>> column_page_url("http://www.dg.gov.cn/zwgk/zfxxgkml/fgz/zfxxgkgzndbg/", 3)
    'http://www.dg.gov.cn/zwgk/zfxxgkml/fgz/zfxxgkgzndbg/index_3.html'
    >>> page = parse_column_page('<li><a href="./content/post_3804212.html">凤岗镇2018年…</a>'
    ...     '<span>2019-01-29</span></li><script>createPageHTML(2, 0, "index", "html")</script>',
    ...     "http://www.dg.gov.cn/zwgk/zfxxgkml/fgz/zfxxgkgzndbg/")
    >>> page.pages, page.items[0].post_id, page.items[0].url
    (2, '3804212', 'http://www.dg.gov.cn/zwgk/zfxxgkml/fgz/zfxxgkgzndbg/content/post_3804212.html')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urlsplit

from lxml import html as lxml_html

from crawler.platforms import link_url

_POST_RE = re.compile(r"/content/(?:\d+/\d+/)?post_(\d+)\.html$")
_PAGES_RE = re.compile(r"createPageHTML\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?(\d+)\s*,")
_DATE_RE = re.compile(r"(20\d{2}|19\d{2})-(\d{2})-(\d{2})")
_COLUMN_RE = re.compile(r"^(?P<column>.*/)(?:index(?:_\d+)?\.html?)?$")


@dataclass
class ColumnItem:
    post_id: str
    title: str
    url: str
    date: str  # YYYY-MM-DD as listed, or ""


@dataclass
class ColumnPage:
    items: list[ColumnItem]
    pages: int | None  # the page count the page script states, if any


def column_root(url: str) -> str:
    """The column folder of any list page URL (``…/gzj/index_2.html`` → ``…/gzj/``)."""
    url = urldefrag(url)[0]
    match = _COLUMN_RE.match(url)
    return match.group("column") if match else url


def column_page_url(column_url: str, page: int) -> str:
    root = column_root(column_url)
    return root + ("index.html" if page <= 1 else f"index_{page}.html")


def is_column_url(url: str) -> bool:
    """An entry URL that is a portal report column: a folder (or its index page) outside
    /gkmlpt/ whose path names a report column (…ndbg/, …nb/…)."""
    path = urlsplit(url).path
    return "/gkmlpt" not in path and bool(re.search(r"(ndbg|xxgknb|zfxxgknb)/", path))


def parse_column_page(page: str, url: str) -> ColumnPage:
    """The report links of one column list page (first link per post id), in page order."""
    try:
        tree = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return ColumnPage([], None)
    items: dict[str, ColumnItem] = {}
    for link in tree.xpath("//a[@href]"):
        target = link_url(link.get("href"), url) or ""
        match = _POST_RE.search(urldefrag(target)[0])
        if not match or match.group(1) in items:
            continue
        title = (link.get("title") or link.text_content() or "").strip()
        row = link.getparent()
        date = _DATE_RE.search(row.text_content() if row is not None else "")
        items[match.group(1)] = ColumnItem(post_id=match.group(1), title=title,
                                           url=urldefrag(target)[0],
                                           date="-".join(date.groups()) if date else "")
    pages = _PAGES_RE.search(page)
    return ColumnPage(list(items.values()), int(pages.group(1)) if pages else None)


def content_source(meta: dict[str, str], page_text: str) -> str:
    """The body that published a portal-template page: ``ContentSource``, else ``来源：…``."""
    source = (meta.get("ContentSource") or "").strip()
    if source:
        return source
    match = re.search(r"来源[:：]\s*([^\s<]{2,40})", page_text)
    return match.group(1) if match else ""
