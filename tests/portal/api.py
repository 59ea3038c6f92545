"""The gkmlpt list API (``{P}/gkmlpt/api/all/{classify}?page=N&sid=SID``) and article objects.

Example::

    listing = list_page(site, classify=6198, page=1, switches=set())
    listing.status, listing.payload["total"]       # (200, 5)
    list_page(site, 6198, page=2, switches=set()).status   # 404: past the last page
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape as html_escape

from .model import MIME_BY_EXT, TYPE_BY_EXT, Attachment, Post, Site
from .variants import in_window, styled_url

PAGE_SIZE = 100
DUP_OVERLAP = 3  # dup_across_pages: page N+1 repeats the last posts of page N
SHORT_DROP_EVERY = 10  # short_pages: page 1 leaves out every 10th non-report post


@dataclass(frozen=True)
class Listing:
    """One list-API answer: ``status`` 200 with a payload, or 404 with none."""

    status: int
    payload: dict | None


def attachment_object(site: Site, post: Post, att: Attachment) -> dict:
    """One entry of ``attachment[]``: ``size`` is a string, ``type`` a coarse family."""
    return {"id": att.aid, "name": att.name, "type": TYPE_BY_EXT.get(att.ext, att.ext),
            "mime": MIME_BY_EXT.get(att.ext, "application/octet-stream"),
            "size": str(len(att.data)),
            "url": styled_url(site, site.attachment_url(post.id, att), post.id)}


def attachment_link(site: Site, post: Post, att: Attachment) -> str:
    """The body's ``<a class="nfw-cms-attachment">`` link to ``att`` (``empty_href``: with
    ``href=""`` or none at all, ``attachment-id`` and ``alt`` kept)."""
    name = html_escape(att.name)
    url = styled_url(site, site.attachment_url(post.id, att), post.id)
    href = {"url": f' href="{url}"', "empty": ' href=""', "none": ""}[att.href]
    return (f'<p><a class="nfw-cms-attachment" attachment-id="{att.aid}"{href} alt="{name}">'
            f'{html_escape(att.link_text) if att.link_text else name}</a></p>')


def content_html(site: Site, post: Post) -> str:
    """The body HTML: the post's own HTML plus links to the attachments the body names."""
    links = [attachment_link(site, post, a) for a in post.attachments if a.in_body]
    return post.body_html + "".join(links)


def article(site: Site, post: Post) -> dict:
    """The API article object of ``post`` (every field the real API sends); a jump entry is
    ``type: url`` with the ``url`` it points to."""
    cat = site.category(post.classify)
    portal_url = styled_url(site, site.origin + site.portal_path(post.id), post.id, True)
    url = post.jump_url or styled_url(site, site.detail_url(post), post.id, True)
    return {
        "id": post.id, "title": post.title, "type": "url" if post.jump_url else "normal",
        "url": url, "post_url": post.jump_url or portal_url, "date": post.date_ts,
        "created_at": post.published.strftime("%Y-%m-%d %H:%M:%S"),
        "create_time": post.publish_ts, "display_publish_time": post.publish_ts,
        "identifier": post.identifier or identifier(site, post),
        "document_number": post.document_number, "publisher": post.publisher or site.name,
        "keywords": post.keywords, "abstract": "", "classify_main": post.classify,
        "classify_main_name": cat.name if cat else "", "classify_genre_name": post.genre,
        "classify_theme_name": post.theme,
        "attachment": [attachment_object(site, post, a) for a in post.attachments if a.in_list],
        "relation": "[]", "is_expired": 0, "is_abolished": 0,
    }


def identifier(site: Site, post: Post) -> str:
    """索引号: ``{org code}/{year}-{serial}``, e.g. ``11440114MB2C91453G/2021-00012``."""
    return f"{site.org_code}/{post.published.year}-{post.id % 100000:05d}"


def posts_in(site: Site, classify: int) -> list[Post]:
    """Posts a category holds, newest first; 0 is the whole site, a parent its children
    (a post only in the portal's report column is in none)."""
    ids = {classify} | {c.id for c in site.categories if c.parent == classify}
    chosen = [p for p in site.posts.values()
              if (classify == 0 or p.classify in ids) and not p.column_only]
    return sorted(chosen, key=lambda p: (p.publish_ts, p.id), reverse=True)


def post_count(site: Site, classify: int) -> int:
    """``post_count`` of a TREE node (and of ``classify`` in the API)."""
    return len(posts_in(site, classify))


def _batch(posts: list[Post], page: int, switches: set[str]) -> tuple[list[Post], int, int]:
    """The posts of one page, the ``total`` to report and the page's ``offset``."""
    index = max(page, 1) - 1  # page=0 and page=1 are the same batch
    step = PAGE_SIZE - DUP_OVERLAP if "dup_across_pages" in switches else PAGE_SIZE
    start = index * step
    batch = posts[start:start + PAGE_SIZE]
    total = len(posts)
    if "short_pages" in switches:
        dropped = [p for i, p in enumerate(posts[:PAGE_SIZE])
                   if p.report_year is None and i % SHORT_DROP_EVERY == SHORT_DROP_EVERY - 1]
        total -= len(dropped) + 1  # the real host's total did not match post_count either
        if index == 0:
            batch = [p for p in batch if p not in dropped]
    return batch, total, start


def list_page(site: Site, classify: int, page: int, switches: set[str]) -> Listing:
    """One page of the list API under the active switches; 404 for an unknown category."""
    cat = site.category(classify)
    if classify != 0 and (cat is None or cat.jump_url):
        return Listing(404, None)
    posts = posts_in(site, classify)
    shown = [p for p in posts if in_window(p, switches)]
    batch, total, offset = _batch(shown, page, switches)
    if not batch and page > 1 and "no_total" in switches and "empty_page_end" not in switches:
        last = max(1, -(-len(shown) // PAGE_SIZE))  # the last page again
        batch = _batch(shown, last, switches)[0]
    if not batch and page > 1:
        if "empty_page_end" not in switches:
            return Listing(404, None)
    head = {"id": classify, "name": cat.name if cat else "全部", "parent": cat.parent if cat else 0,
            "post_count": len(posts), "theme_count": len(posts)}
    counts = {} if "no_total" in switches else {"total": total, "offset": offset}
    return Listing(200, {"classify": head, **counts,
                         "articles": [article(site, p) for p in batch]})


def encode_listing(listing: Listing) -> bytes:
    """The JSON bytes of a 200 listing (UTF-8, no ASCII escaping)."""
    return json.dumps(listing.payload, ensure_ascii=False, separators=(",", ":")).encode()
