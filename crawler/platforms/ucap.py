"""What the crawler knows about the UCAP (开普云) platform: column URLs, list pages paged by
``createPageHTML``, detail pages by the union of the templates' selectors, attachments linked
relative to the page, and the disclosure directory's unit shells.

Pure functions over strings (no Scrapy). The platform spec is
``../shared/docs/ucap-platform.md``.

Example::

    >>> column_of("https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/")
    Column(base='https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/', template=None)
    >>> list_page_url(Column("https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/"), "xxgk_list", 2)
    'https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/xxgk_list_2.shtml'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urldefrag, urlsplit

from lxml import html as lxml_html

from crawler.platforms import (AttachmentRef, PlatformError, href_value, link_url,
                               merge_attachments)
from crawler.selection import CHINA_TZ

# The order the doc says to try them in; the first that answers 200 with items is kept.
LIST_TEMPLATES = ("xxgk_list", "xxgk_lists", "xxgk_list_nb", "list", "xlist", "common_list")
REPORT_COLUMN_NAMES = ("政府信息公开工作年度报告", "政府信息公开年报", "信息公开年报", "年度报告", "年报")
ATTACHMENT_EXTS = {"pdf", "doc", "docx", "wps", "xls", "xlsx", "et", "zip", "rar", "ofd", "rtf",
                   "png", "jpg", "jpeg", "tif", "tiff", "txt"}
_HEX32 = r"[0-9a-fA-F]{32}"
DETAIL_PATH_RE = re.compile(
    rf"/(?:\d{{6}}/(?P<id>{_HEX32})|\d{{4}}-\d{{2}}/\d{{1,2}}/content_(?P<old>{_HEX32}))\.s?html?$")
LIST_FILE_RE = re.compile(r"^(?P<template>[A-Za-z][\w]*?)(?:_(?P<page>\d+))?\.shtml$")
_PAGER_RE = re.compile(
    r"""createPageHTML\(\s*['"]([^'"]*)['"]\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*['"]([^'"]*)['"]"""
    r"""\s*,\s*['"]([^'"]*)['"]\s*,\s*(\d+)\s*\)""")
_GENERIC_LINK_TEXTS = {"下载", "点击下载", "附件", "附件下载", "查看", "查看附件", "点击查看"}
_DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")


@dataclass(frozen=True)
class Column:
    """A column's folder (``{origin}/{site}/{column}/``) and the list template, when known."""

    base: str
    template: str | None = None


def column_of(url: str) -> Column:
    """The column of an entry URL: its folder, a list page of it (``…/list_zw_wj_2.shtml``) or
    a unit shell (``…/xxgk.shtml?code=c110595&temp=xxgk_list``)."""
    url = urldefrag(url.strip())[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PlatformError(f"{url} is not an http(s) URL")
    shell = shell_column(url)
    if shell:
        return shell
    if post_id_of(url):
        raise PlatformError(f"{url} is a detail page, not a column")
    path = parts.path
    folder, _, last = path.rpartition("/")
    match = LIST_FILE_RE.match(last)
    if last and match and last != "xxgk.shtml":
        return Column(f"{parts.scheme}://{parts.netloc}{folder}/", match.group("template"))
    if last and "." in last:
        raise PlatformError(f"{url} is neither a column folder nor one of its list pages")
    return Column(f"{parts.scheme}://{parts.netloc}{path if path.endswith('/') else path + '/'}")


def shell_column(url: str) -> Column | None:
    """``/{site}/{dept}/xxgk.shtml?code={column}&temp={template}`` → the real list's column."""
    parts = urlsplit(url)
    if not parts.path.endswith("/xxgk.shtml"):
        return None
    query = parse_qs(parts.query)
    code = (query.get("code") or [""])[0].strip()
    if not re.fullmatch(r"[A-Za-z0-9_]+", code):
        return None
    site_code = parts.path.strip("/").split("/")[0]
    template = (query.get("temp") or [""])[0].strip() or None
    if template and not re.fullmatch(r"[A-Za-z]\w*", template):
        template = None
    return Column(f"{parts.scheme}://{parts.netloc}/{site_code}/{code}/", template)


def list_page_url(column: Column, template: str, page: int) -> str:
    """Page 1 has no suffix; page n ≥ 2 is ``{template}_{n}.shtml``."""
    return f"{column.base}{template}.shtml" if page <= 1 else f"{column.base}{template}_{page}.shtml"


@dataclass(frozen=True)
class Pager:
    """The arguments of ``createPageHTML(container, total_pages, current, prefix, suffix, records)``."""

    total_pages: int
    current_page: int
    file_prefix: str
    suffix: str
    total_records: int  # can be stale: never trusted over the items


@dataclass(frozen=True)
class ListItem:
    post_id: str
    title: str
    url: str
    date: str  # as printed
    href: str  # as written in the page

    def raw(self) -> dict:
        return {"id": self.post_id, "title": self.title, "url": self.url, "date": self.date,
                "href": self.href}


@dataclass(frozen=True)
class ListPage:
    items: list[ListItem]
    pager: Pager | None


def _parse_html(page: str):
    try:
        return lxml_html.fromstring(page or "<html></html>")
    except (ValueError, lxml_html.etree.ParserError) as exc:
        raise PlatformError(f"not an HTML page: {exc}") from None


def post_id_of(url: str) -> str | None:
    """The manuscript id (32 hex, lower-cased) of a detail URL, or None for another link."""
    match = DETAIL_PATH_RE.search(urlsplit(url).path)
    if not match:
        return None
    return (match.group("id") or match.group("old")).lower()


def parse_pager(page: str) -> Pager | None:
    match = _PAGER_RE.search(page)
    if not match:
        return None
    _, total, current, prefix, suffix, records = match.groups()
    return Pager(int(total), int(current), prefix, suffix, int(records))


def parse_list_page(page: str, page_url: str) -> ListPage:
    """The entries of a list page: every ``li`` whose first link (resolved as a browser does,
    :func:`link_url`) is a detail page of the platform (navigation links are not), in page
    order, with its printed date."""
    tree = _parse_html(page)
    items, seen = [], set()
    for li in tree.iter("li"):
        link = next((a for a in li.iter("a") if link_url(a.get("href"), page_url)), None)
        if link is None:
            continue
        href = href_value(link.get("href"))
        url = link_url(href, page_url)
        post_id = post_id_of(url)
        if post_id is None or url in seen:
            continue
        seen.add(url)
        title = (link.get("title") or link.text_content() or "").strip()
        items.append(ListItem(post_id, re.sub(r"\s+", " ", title), url, _item_date(li), href))
    return ListPage(items, parse_pager(page))


def _item_date(li) -> str:
    spans = sorted(li.iter("span"), key=lambda s: "time" not in (s.get("class") or ""))
    for span in spans:
        text = span.text_content().strip()
        if _DATE_RE.search(text):
            return text
    return ""


def normal_date(text: str) -> str | None:
    """``2024/01/18`` or ``2024-1-18 10:00`` → ``2024-01-18``."""
    match = _DATE_RE.search(text or "")
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def timestamp_of(text: str) -> float | None:
    """Unix seconds of a local (UTC+8) ``YYYY-MM-DD[ HH:MM[:SS]]``, or None."""
    match = re.search(r"((?:19|20)\d{2})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?",
                      text or "")
    if not match:
        return None
    parts = [int(g) if g else 0 for g in match.groups()]
    try:
        return datetime(*parts, tzinfo=CHINA_TZ).timestamp()
    except ValueError:
        return None


@dataclass
class Detail:
    title: str
    body_html: str
    body_selector: str  # which template's body it was: ucapcontent, #UCAP-CONTENT, …
    meta: dict[str, str]
    metadata: dict[str, str]  # the label/value rows, raw
    crumb: str
    attachments: list[AttachmentRef]

    @property
    def pub_date(self) -> str:
        return self.meta.get("PubDate", "")


_BODY_SELECTORS = (
    ("ucapcontent", "//ucapcontent"),
    ("#UCAP-CONTENT", "//*[@id='UCAP-CONTENT']"),
    ("div.article-content", "//div[contains(concat(' ',normalize-space(@class),' '),' article-content ')]"),
    ("#zoomcon", "//*[@id='zoomcon']"),
)


def parse_detail_page(page: str, page_url: str) -> Detail:
    """A detail page of any UCAP template: title, body, raw metadata, attachments."""
    tree = _parse_html(page)
    meta = {m.get("name"): (m.get("content") or "").strip() for m in tree.xpath("//meta[@name]")}
    title = meta.get("ArticleTitle") or _text(tree, "//ucaptitle") or \
        _text(tree, "//h1[contains(@class,'article-title')]")
    body, selector = None, ""
    for name, xpath in _BODY_SELECTORS:
        nodes = tree.xpath(xpath)
        if nodes:
            body, selector = nodes[0], name
            break
    if body is None or not title:
        raise PlatformError("no UCAP article (title and body) in page")
    fj_a = [n for n in tree.xpath("//div[contains(@class,'fj-a')]") if n is not body]
    in_fj_a = {link for node in fj_a for link in node.iter("a")}  # a div.fj-a inside the body
    attachments = merge_attachments(attachment_links(body, page_url, "body", in_fj_a),
                                    *[attachment_links(node, page_url, "fj-a") for node in fj_a])
    return Detail(title=title.strip(), body_html=_inner_html(body), body_selector=selector,
                  meta=meta, metadata=metadata_rows(tree),
                  crumb=_text(tree, "//div[contains(@class,'crumb')]"), attachments=attachments)


def attachment_links(node, page_url: str, where: str = "body",
                     skip: frozenset | set = frozenset()) -> list[AttachmentRef]:
    """Links (``a``) to documents inside ``node`` but not in ``skip``, resolved against the
    page; named from the link text (the basename is a random hex id). Hrefs are resolved as a
    browser does (:func:`link_url`): ``#…``, ``javascript:``, ``mailto:`` lead to no document.
    A document has an attachment extension in its path's basename (never its query's) or sits
    under ``/files/``. ``where`` goes to ``listed_in``."""
    refs = []
    for link in node.iter("a"):
        url = link_url(link.get("href"), page_url)
        if url is None or link in skip:
            continue
        name = _squash_space(link.text_content())
        if name in _GENERIC_LINK_TEXTS:
            name = ""
        ref = AttachmentRef(url=url, name=name or (link.get("title") or "").strip(),
                            listed_in={where})
        if ref.ext not in ATTACHMENT_EXTS and "/files/" not in urlsplit(url).path:
            continue
        if ref.name and ref.ext and "." not in ref.name[-6:]:
            ref.name = f"{ref.name}.{ref.ext}"  # 「下载」 style texts, names without extension
        refs.append(ref)
    return refs


def metadata_rows(tree) -> dict[str, str]:
    """Every ``label`` + value row of the metadata block (索引号, 发布机构, …), kept raw."""
    rows = {}
    for label in tree.xpath("//div[contains(@class,'meta-data')]//label"):
        key = re.sub(r"\s+", "", label.text_content()).rstrip(":：")
        holder = label.getparent()
        value = holder.text_content().replace(label.text_content(), "", 1)
        if key:
            rows[key] = _squash_space(value)
    return rows


def _squash_space(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _text(tree, xpath: str) -> str:
    nodes = tree.xpath(xpath)
    return _squash_space(nodes[0].text_content()) if nodes else ""


def _inner_html(node) -> str:
    inner = (node.text or "") + "".join(lxml_html.tostring(child, encoding="unicode")
                                        for child in node)
    return inner.strip()


# -- the disclosure directory ------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    text: str
    url: str


def page_links(page: str, page_url: str) -> list[Link]:
    """Every link of a page (:func:`link_url`, fragment removed) with its text (the
    title attribute when the text is empty)."""
    tree = _parse_html(page)
    links = []
    for a in tree.iter("a"):
        url = link_url(a.get("href"), page_url)
        if url is not None:
            text = _squash_space(a.text_content()) or (a.get("title") or "").strip()
            links.append(Link(text, urldefrag(url)[0]))
    return links


def is_report_column_name(text: str) -> bool:
    """年度报告, 政府信息公开年报, 信息公开年报, 年报 … as a column's anchor or breadcrumb."""
    name = re.sub(r"\s+", "", text or "")
    return any(name.endswith(n) for n in REPORT_COLUMN_NAMES) and len(name) <= 16


def crumb_names(page: str) -> list[str]:
    """The breadcrumb of a page, split at ``>``: ``['首页', …, '党政办公室', '年度报告']``."""
    tree = _parse_html(page)
    crumb = _text(tree, "//div[contains(@class,'crumb')]")
    crumb = re.sub(r"^.*?[:：]", "", crumb)
    return [part.strip() for part in re.split(r"[>＞»]", crumb) if part.strip()]
