"""The province's search service, ``http://search.gd.gov.cn/jsonp/site/{SID}``: the only way to
posts below the list window (spec: "Where annual reports actually are", 4).

``GET /jsonp/site/{SID}?page=1&pagesize=20&text=年度报告&position=title&callback=cb`` answers
``cb({"results":[…],"count":N});``. ``page`` is 1-based (0 gives no results); without a
``callback`` the answer is ``{"errcode":-1,"errmsg":"调用失败，请检查参数"}``; titles carry ``<em>``
highlights; ``pub_time`` is ``YYYY-MM-DD``; ``attachment`` is a JSON *string*; ``isgkml`` is 1
for gkmlpt posts. It searches every post of the site, whatever the list window shows; never
jump entries or posts only in a portal report column.

Example::

    status, body = search_answer(sites, "/jsonp/site/769120",
                                 {"page": "1", "text": "年度报告", "callback": "cb"})
    body[:3]        # b'cb('
"""

from __future__ import annotations

import json
import re

from .api import attachment_object
from .model import Post, Site
from .variants import styled_url

SEARCH_RE = re.compile(r"^/jsonp/site/(\d+)$")
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
FAILED = {"errcode": -1, "errmsg": "调用失败，请检查参数"}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _matches(post: Post, words: list[str], position: str) -> bool:
    haystack = _squash(post.title if position == "title" else post.title + post.body_html)
    return all(word in haystack for word in words)


def _highlight(title: str, words: list[str]) -> str:
    for word in words:
        title = title.replace(word, f"<em>{word}</em>")
    return title


def result(site: Site, post: Post, words: list[str]) -> dict:
    """One hit, with the fields the service sends."""
    attachments = [attachment_object(site, post, a) for a in post.attachments if a.in_list]
    return {"id": str(post.id), "title": _highlight(post.title, words),
            "url": styled_url(site, site.detail_url(post), post.id, True),
            "pub_time": f"{post.published:%Y-%m-%d}", "content": _highlight(post.title, words),
            "attachment": json.dumps(attachments, ensure_ascii=False), "isgkml": 1,
            "site_id": site.sid, "classify_main": post.classify, "publisher": site.name}


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def search_answer(sites: dict[str, Site], path: str, query: dict[str, str]) -> tuple[int, bytes]:
    """(status, body) of one search request."""
    match = SEARCH_RE.match(path)
    if not match:
        return 404, b'{"errcode":404,"errmsg":"not found"}'
    callback = query.get("callback", "")
    words = [_squash(query.get("text", ""))]
    if not re.fullmatch(r"[A-Za-z_$][\w$.]*", callback) or not words[0]:
        return 200, json.dumps(FAILED, ensure_ascii=False).encode()
    page = _int(query.get("page"), 1)
    size = min(max(_int(query.get("pagesize"), DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
    site = next((s for s in sites.values() if s.sid == match.group(1)), None)
    hits = [] if site is None else sorted(
        (p for p in site.posts.values() if not p.column_only and not p.jump_url
         and _matches(p, words, query.get("position", "title"))),
        key=lambda p: (p.publish_ts, p.id), reverse=True)
    shown = hits[(page - 1) * size: page * size] if page >= 1 else []
    payload = {"results": [result(site, p, words) for p in shown], "count": len(hits)}
    return 200, f"{callback}({json.dumps(payload, ensure_ascii=False)});".encode()
