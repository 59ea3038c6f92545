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
from urllib.parse import urldefrag, urljoin

from lxml import html as lxml_html

from crawler.platforms import AttachmentRef, PlatformError

REPORT_CATEGORY_NAMES = ("政府信息公开年报", "政府信息公开工作年度报告", "信息公开年报",
                         "政务公开年报", "年度报告", "年报")
PAGE_SIZE = 100

_DECODER = json.JSONDecoder()
_CONFIG_RE = re.compile(r"window\._CONFIG\s*=\s*\{")
_SID_RE = re.compile(r"""\bSID\s*:\s*['"]?(\d+)""")
_APP_URL_RE = re.compile(r"""\bAPP_URL\s*:\s*['"]([^'"]+)""")


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
    tree = _json_after(text, "TREE") if re.search(r"\bTREE\s*:", text) else []
    if not isinstance(tree, list):
        raise PlatformError("TREE in window._CONFIG is not a list")
    return ShellConfig(sid=sid.group(1) if sid else None, tree=list(_flatten(tree)),
                       app_url=app_url.group(1) if app_url else None)


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
    """Annual-report categories of a TREE, found by name (links elsewhere excluded)."""
    found = []
    for category in tree:
        name = _squash(category.name)
        if category.jump_url:
            continue
        if any(wanted in name for wanted in REPORT_CATEGORY_NAMES) and "公开" in name + "年报":
            found.append(category)
    return found


def find_gkmlpt_link(page: str, base_url: str) -> str | None:
    """On a town portal root, the link into its gkmlpt catalogue (href containing /gkmlpt/)."""
    try:
        tree = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return None
    for href in tree.xpath("//a/@href"):
        if "/gkmlpt/" in href or href.rstrip("/").endswith("/gkmlpt"):
            return urljoin(base_url, href.strip())
    return None


@dataclass
class ListPage:
    total: int | None
    classify: dict
    articles: list[dict]


def parse_list_page(body: bytes | str) -> ListPage:
    """One page of ``api/all/{classify}``; raises :class:`PlatformError` on malformed JSON."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlatformError(f"list API answer is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("articles", []), list):
        raise PlatformError("list API answer has no articles list")
    articles = [a for a in data.get("articles") or [] if isinstance(a, dict) and "id" in a]
    total = data.get("total")
    return ListPage(total=total if isinstance(total, int) else None,
                    classify=data.get("classify") or {}, articles=articles)


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


def body_attachment_links(content_html: str, base_url: str) -> list[AttachmentRef]:
    """Attachment links in a post body: ``a.nfw-cms-attachment`` and links into /attachment/."""
    if not content_html.strip():
        return []
    tree = lxml_html.fromstring(f"<div>{content_html}</div>")
    refs = []
    for link in tree.xpath("//a[@href]"):
        href = link.get("href", "").strip()
        classes = link.get("class", "")
        if "nfw-cms-attachment" not in classes and "/attachment/" not in href:
            continue
        url = urljoin(base_url, href)
        text = link.text_content().strip()
        name = link.get("alt") or link.get("title") or ("" if text == "点击下载" else text)
        aid = link.get("attachment-id")
        refs.append(AttachmentRef(url=url, name=name.strip(),
                                  attachment_id=int(aid) if aid and aid.isdigit() else None,
                                  listed_in={"body"}))
    return refs


def api_attachments(article: dict, base_url: str) -> list[AttachmentRef]:
    refs = []
    for entry in article.get("attachment") or []:
        if not isinstance(entry, dict) or not entry.get("url"):
            continue
        aid = entry.get("id")
        refs.append(AttachmentRef(url=urljoin(base_url, str(entry["url"])),
                                  name=str(entry.get("name") or ""),
                                  attachment_id=int(aid) if str(aid).isdigit() else None,
                                  listed_in={"api"}, api_entry=entry))
    return refs
