"""The province's search service (``_CONFIG.SEARCH_JSONP_URL`` of every gkmlpt page,
``http://search.gd.gov.cn/jsonp/site/{SID}``): the only way to posts below the list window.

Pure functions, no Scrapy. ``page`` is 1-based (0 gives nothing); the ``callback`` is required
(without it the service answers ``{"errcode":-1,…}``); titles carry ``<em>`` highlights;
``attachment`` is a JSON *string*.

Example::

    >>> search_url("http://search.gd.gov.cn/jsonp/site/769120", "年度报告", 2)
    'http://search.gd.gov.cn/jsonp/site/769120?page=2&pagesize=50&text=%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A&position=title&callback=gkarchive'
    >>> page = parse_search_page(b'gkarchive({"results":[{"id":"7","title":"<em>年报</em>"}],"count":1});')
    >>> page.count, page.hits[0].post_id, page.hits[0].title
    (1, '7', '年报')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from crawler.platforms import PlatformError

SEARCH_TERMS = ("年度报告", "年报")  # every annual-report title holds one of them
SEARCH_HOSTS = frozenset({"search.gd.gov.cn"})  # the only hosts a search may go to
PAGE_SIZE = 50
CALLBACK = "gkarchive"
_JSONP_RE = re.compile(rb"^\s*[A-Za-z_$][\w$.]*\s*\((.*)\)\s*;?\s*$", re.DOTALL)
_TAG_RE = re.compile(r"<[^>]+>")


@dataclass
class SearchHit:
    """One result: the post id (a string), its title without highlights, its URL, the
    attachments the service lists, and the raw result as sent."""

    post_id: str
    title: str
    url: str
    pub_time: str
    attachments: list[dict] = field(default_factory=list)
    isgkml: bool = True
    raw: dict = field(default_factory=dict)


@dataclass
class SearchPage:
    hits: list[SearchHit]
    count: int | None


def search_url(jsonp_url: str, text: str, page: int, page_size: int = PAGE_SIZE) -> str:
    """One title search of ``text`` (pages are 1-based)."""
    return (f"{jsonp_url}?page={page}&pagesize={page_size}&text={quote(text)}"
            f"&position=title&callback={CALLBACK}")


def _hit(raw: dict) -> SearchHit | None:
    post_id = str(raw.get("id") or "").strip()
    url = str(raw.get("url") or "").strip()
    if not post_id.isdigit() or not url:
        return None
    try:
        attachments = json.loads(raw.get("attachment") or "[]")
    except (TypeError, json.JSONDecodeError):
        attachments = []
    return SearchHit(post_id=post_id, title=_TAG_RE.sub("", str(raw.get("title") or "")).strip(),
                     url=url, pub_time=str(raw.get("pub_time") or ""),
                     attachments=[a for a in attachments if isinstance(a, dict)]
                     if isinstance(attachments, list) else [],
                     isgkml=bool(raw.get("isgkml", 1)), raw=raw)


def parse_search_page(body: bytes) -> SearchPage:
    """One JSONP answer; :class:`PlatformError` on an error object or anything not JSONP."""
    match = _JSONP_RE.match(body)
    try:
        data = json.loads(match.group(1) if match else body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlatformError(f"search answer is not JSONP: {exc}") from None
    if not isinstance(data, dict) or "errcode" in data or not match:
        raise PlatformError(f"search service refused the query: {str(data)[:200]}")
    results = data.get("results") or []
    if not isinstance(results, list):
        raise PlatformError("search answer has no results list")
    hits = [h for h in (_hit(r) for r in results if isinstance(r, dict)) if h]
    count = data.get("count")
    return SearchPage(hits=hits, count=count if isinstance(count, int) else None)


def search_ends(page: SearchPage, page_number: int, new_hits: int,
                page_size: int = PAGE_SIZE) -> bool:
    """No more pages: an empty page, ``count`` reached, or nothing new on this one."""
    if not page.hits or not new_hits:
        return True
    return page.count is not None and page_number * page_size >= page.count
