"""What the crawler knows about the gkmlpt platform: URLs, the embedded config, list and detail.

Pure functions over strings (no Scrapy), so tests call them directly on saved pages.
The platform spec is ``../shared/docs/gkmlpt-platform.md``.

Example::

    >>> shell = parse_shell_config(html)          # window._CONFIG of an index page
    >>> category = find_report_category(shell.tree, fragment_id=6198)
    >>> list_api_url("https://www.huadu.gov.cn/gzhdslz/gkmlpt/", 6198, 1, shell.sid)
    'https://www.huadu.gov.cn/gzhdslz/gkmlpt/api/all/6198?page=1&sid=200123'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from lxml import html as lxml_html

from crawler.platforms import AttachmentRef, PlatformError, href_value, link_url

REPORT_CATEGORY_NAMES = ("政府信息公开年报", "政府信息公开工作年度报告", "信息公开年报",
                         "政务公开年报", "年度报告", "年报")
BARE_REPORT_CATEGORY_NAMES = ("年度报告", "年报")  # a TREE node named just this is one too
PAGE_SIZE = 100
# Attachments live at the host root here (/attachment/…), elsewhere under the site prefix.
ATTACHMENTS_AT_HOST_ROOT = frozenset({"www.dg.gov.cn"})

_DECODER = json.JSONDecoder()
_CONFIG_RE = re.compile(r"window\._CONFIG\s*=\s*\{")
_SID_RE = re.compile(r"""\bSID\s*:\s*['"]?(\d+)""")
_APP_URL_RE = re.compile(r"""\bAPP_URL\s*:\s*['"]([^'"]+)""")
_SEARCH_URL_RE = re.compile(r"""\bSEARCH_JSONP_URL\s*:\s*['"]([^'"]+)""")


@dataclass
class Category:
    id: int
    name: str
    parent: int = 0
    post_count: int | None = None
    jump_url: str = ""


@dataclass
class ShellConfig:
    """``window._CONFIG`` of a shell page."""

    sid: str | None
    tree: list[Category]
    app_url: str | None = None
    search_url: str | None = None  # SEARCH_JSONP_URL: the search service of the site


def gkmlpt_base(url: str) -> str:
    """``{origin}{prefix}/gkmlpt/`` for any URL inside a gkmlpt site."""
    url = urldefrag(url)[0]
    marker = url.find("/gkmlpt/")
    if marker < 0:
        if url.endswith("/gkmlpt"):
            return url + "/"
        raise PlatformError(f"{url} is not a gkmlpt URL")
    return url[: marker + len("/gkmlpt/")]


def fragment_category(url: str) -> int | None:
    """The category id of ``…/index#6160`` or ``…/annualreport#6198``, if any."""
    fragment = urldefrag(url)[1]
    match = re.match(r"^\s*(\d+)", fragment)
    return int(match.group(1)) if match else None


def list_api_url(base: str, classify: int, page: int, sid: str | None) -> str:
    url = f"{base}api/all/{classify}?page={page}"
    return f"{url}&sid={sid}" if sid else url


def _config_text(page: str) -> str:
    match = _CONFIG_RE.search(page)
    if not match:
        raise PlatformError("no window._CONFIG in page")
    return page[match.start():]


def _json_after(text: str, key: str) -> object:
    """Decode the JSON value that follows ``key:`` in a JS object literal."""
    match = re.search(rf"\b{key}\s*:\s*", text)
    if not match:
        raise PlatformError(f"no {key} in window._CONFIG")
    try:
        value, _ = _DECODER.raw_decode(text, match.end())
    except json.JSONDecodeError as exc:
        raise PlatformError(f"{key} in window._CONFIG is not JSON: {exc}") from None
    return value


def parse_shell_config(page: str) -> ShellConfig:
    """SID and TREE of a shell page (``index``, ``annualreport``, ``mindex``, ``policy``)."""
    text = _config_text(page)
    sid = _SID_RE.search(text)
    app_url = _APP_URL_RE.search(text)
    search_url = _SEARCH_URL_RE.search(text)
    tree = _json_after(text, "TREE") if re.search(r"\bTREE\s*:", text) else []
    if not isinstance(tree, list):
        raise PlatformError("TREE in window._CONFIG is not a list")
    return ShellConfig(sid=sid.group(1) if sid else None, tree=list(_flatten(tree)),
                       app_url=app_url.group(1) if app_url else None,
                       search_url=search_url.group(1) if search_url else None)


def _flatten(nodes: list) -> list[Category]:
    for node in nodes:
        if not isinstance(node, dict) or "id" not in node:
            continue
        yield Category(id=int(node["id"]), name=str(node.get("name", "")),
                       parent=int(node.get("parent") or 0), post_count=node.get("post_count"),
                       jump_url=str(node.get("jump_url") or ""))
        yield from _flatten(node.get("children") or [])


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def find_report_categories(tree: list[Category]) -> list[Category]:
    """Annual-report categories of a TREE, found by name (links elsewhere excluded): a name
    with 年度报告/年报 that also says 公开, or that is just 年度报告 or 年报."""
    found = []
    for category in tree:
        name = _squash(category.name)
        if category.jump_url or not any(wanted in name for wanted in REPORT_CATEGORY_NAMES):
            continue
        if "公开" in name or name in BARE_REPORT_CATEGORY_NAMES:
            found.append(category)
    return found


def find_gkmlpt_link(page: str, base_url: str) -> str | None:
    """On a town portal root, the first link into its gkmlpt catalogue: a URL, resolved as a
    browser does (:func:`link_url`), whose path has a ``/gkmlpt/`` folder or ends in ``/gkmlpt``."""
    try:
        tree = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return None
    for href in tree.xpath("//a/@href"):
        url = link_url(href, base_url)
        if url is None:
            continue
        path = urlsplit(url).path
        if "/gkmlpt/" in path or path.rstrip("/").endswith("/gkmlpt"):
            return url
    return None


@dataclass
class ListPage:
    total: int | None
    classify: dict
    articles: list[dict]
    offset: int | None = None

    def is_last(self, page: int) -> bool:
        """Paging ends on an empty page or when ``offset + len(articles) >= total`` (``offset``
        as sent, else what page ``page`` of 100 starts at); never assumes full pages."""
        if not self.articles:
            return True
        if self.total is None:
            return False
        return self.pages_after(page) == 0

    def pages_after(self, page: int) -> int | None:
        """How many pages ``total`` says are still to come after page ``page`` (None when
        there is no total)."""
        if self.total is None:
            return None
        offset = self.offset if self.offset is not None else (max(page, 1) - 1) * PAGE_SIZE
        return max(0, -(-(self.total - offset - len(self.articles)) // PAGE_SIZE))


def parse_list_page(body: bytes | str) -> ListPage:
    """One page of ``api/all/{classify}``; raises :class:`PlatformError` on malformed JSON."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlatformError(f"list API answer is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("articles", []), list):
        raise PlatformError("list API answer has no articles list")
    articles = [a for a in data.get("articles") or [] if isinstance(a, dict) and "id" in a]
    total, offset = data.get("total"), data.get("offset")
    return ListPage(total=total if isinstance(total, int) else None,
                    classify=data.get("classify") or {}, articles=articles,
                    offset=offset if isinstance(offset, int) else None)


def is_jump_entry(article: dict) -> bool:
    """A ``type: url`` entry: a link to another site (maybe another body's report), no post."""
    return str(article.get("type")).lower() == "url"  # a missing type is "none": normal


def canonical_link(url: str, page_url: str, hosts: tuple[str, ...] | set[str]) -> str:
    """A link as the site means it: no ``#<classify>`` fragment or ``jump=true``; ``http://``
    on an https page of the same host is protocol-relative (so https); a host without
    ``www.`` is the allowed ``www.`` host; the host in lower case (as browsers write it).

    >>> canonical_link("http://huadu.gov.cn/a/post_1.html?jump=true", "https://www.huadu.gov.cn/b",
    ...                {"www.huadu.gov.cn"})
    'https://www.huadu.gov.cn/a/post_1.html'
    """
    url = urldefrag(urljoin(page_url, href_value(url)))[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return url  # the site guard judges everything else as it is
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, hostport = parts.hostname, hostport.lower()  # urlsplit's hostname is lower case
    if host not in hosts and f"www.{host}" in hosts:
        host, hostport = f"www.{host}", f"www.{hostport}"
    page = urlsplit(page_url)
    scheme = parts.scheme
    if scheme == "http" and page.scheme == "https" and host == page.hostname:
        scheme = "https"
    query = "&".join(q for q in parts.query.split("&") if q and q.lower() != "jump=true")
    return urlunsplit((scheme, userinfo + at + hostport, parts.path, query, ""))


def bucket_attachment_url(base: str, attachment_id: int, post_id: int, ext: str) -> str:
    """``/attachment/{aid//10**6}/{aid//10**3}/{aid}/{post_id}.{ext}`` at the host root
    (www.dg.gov.cn) or under the site prefix (elsewhere); ``base`` is ``{P}/gkmlpt/``.

    >>> bucket_attachment_url("https://www.huadu.gov.cn/gzhdslz/gkmlpt/", 1658591, 10899951, "pdf")
    'https://www.huadu.gov.cn/gzhdslz/attachment/1/1658/1658591/10899951.pdf'
    """
    parts = urlsplit(base)
    prefix = "" if (parts.hostname or "") in ATTACHMENTS_AT_HOST_ROOT else \
        parts.path[: parts.path.find("/gkmlpt/")] if "/gkmlpt/" in parts.path else ""
    aid = attachment_id
    return (f"{parts.scheme}://{parts.netloc}{prefix}/attachment/{aid // 10**6}/{aid // 10**3}/"
            f"{aid}/{post_id}.{ext}")


@dataclass
class Detail:
    """A detail page: the DETAIL object (or what the portal template shows) and its metadata."""

    title: str
    content_html: str
    meta: dict[str, str]
    classify_table: dict[str, str]
    detail: dict | None
    template: str  # "gkmlpt" or "portal"


def parse_detail_page(page: str) -> Detail:
    """Parse a gkmlpt detail page (either DETAIL escaping) or a portal-template article page."""
    tree = lxml_html.fromstring(page)
    meta = {m.get("name"): m.get("content", "") for m in tree.xpath("//meta[@name]")}
    classify = {}
    for td in tree.xpath("//div[contains(@class,'classify')]//td"):
        label = _squash(" ".join(td.xpath("./label//text()"))).rstrip(":：")
        value = " ".join(td.xpath("./span//text()")).strip()
        if label:
            classify[label] = value
    detail = None
    if _CONFIG_RE.search(page) and re.search(r"\bDETAIL\s*:", page):
        value = _json_after(_config_text(page), "DETAIL")
        detail = value if isinstance(value, dict) else None
    if detail is not None:
        title = str(detail.get("title") or "")
        content = str(detail.get("content") or "")
        template = "gkmlpt"
    else:
        title, content, template = _portal_template(tree)
    title = title or meta.get("ArticleTitle", "") or _first_text(tree, "//h1")
    if not content:
        content = _inner_html(tree, "//div[contains(@class,'article-content')]")
    return Detail(title=title.strip(), content_html=content, meta=meta,
                  classify_table=classify, detail=detail, template=template)


def _portal_template(tree) -> tuple[str, str, str]:
    title = _first_text(tree, "//h1[contains(@class,'content-title')]")
    content = _inner_html(tree, "//div[contains(concat(' ',normalize-space(@class),' '),' content ')]")
    return title, content, "portal"


def _first_text(tree, xpath: str) -> str:
    nodes = tree.xpath(xpath)
    return nodes[0].text_content().strip() if nodes else ""


def _inner_html(tree, xpath: str) -> str:
    nodes = tree.xpath(xpath)
    if not nodes:
        return ""
    return lxml_html.tostring(nodes[0], encoding="unicode")


def body_attachment_links(content_html: str, base_url: str, post_id: int | None = None,
                          site_base: str | None = None) -> list[AttachmentRef]:
    """Attachment links in a post body: ``a.nfw-cms-attachment`` and links into /attachment/
    (hrefs resolved as a browser does, :func:`link_url`). An anchor whose href leads nowhere
    (``href=""``, none, ``#``, ``javascript:…``) keeps ``attachment-id`` and ``alt``: its URL is
    rebuilt by the bucket rule (needs ``post_id`` and ``site_base``, the ``{P}/gkmlpt/`` of the
    site)."""
    if not content_html.strip():
        return []
    tree = lxml_html.fromstring(f"<div>{content_html}</div>")
    refs = []
    for link in tree.xpath("//a[@href or @attachment-id]"):
        url = link_url(link.get("href"), base_url) or ""
        aid = link.get("attachment-id") or ""
        if "nfw-cms-attachment" not in link.get("class", "") and \
                "/attachment/" not in urlsplit(url).path:
            continue
        text = link.text_content().strip()
        name = (link.get("alt") or link.get("title") or ("" if text == "点击下载" else text)).strip()
        if not url and aid.isdigit() and post_id and site_base and "." in name:
            url = bucket_attachment_url(site_base, int(aid), post_id, name.rsplit(".", 1)[1].lower())
        if not url:
            continue
        refs.append(AttachmentRef(url=url, name=name,
                                  attachment_id=int(aid) if aid.isdigit() else None,
                                  listed_in={"body"}))
    return refs


def api_attachments(article: dict, base_url: str) -> list[AttachmentRef]:
    refs = []
    for entry in article.get("attachment") or []:
        href = href_value(str(entry.get("url") or "")) if isinstance(entry, dict) else ""
        if not href:
            continue
        aid = entry.get("id")
        refs.append(AttachmentRef(url=urljoin(base_url, href),
                                  name=str(entry.get("name") or ""),
                                  attachment_id=int(aid) if str(aid).isdigit() else None,
                                  listed_in={"api"}, api_entry=entry))
    return refs
