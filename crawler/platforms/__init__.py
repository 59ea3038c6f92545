"""Pure parsers of the disclosure platforms, one module each (``gkmlpt``, …), and the records
every platform hands to the shared walk of :class:`crawler.spiders.base.PlatformSpider`.

Nothing here imports Scrapy or touches the network or the archive: tests call the parsers
on saved pages (``tests/platform_examples/``).

Example::

    >>> listed = ListedPost(site="dg-fenggang", post_id="4012345", title="…年度报告",
    ...                     url="http://www.dg.gov.cn/…/post_4012345.html", raw={"id": 4012345})
    >>> len(listed.sha256)
    64
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import html as lxml_html


class PlatformError(ValueError):
    """A page that does not look the way its platform serves it."""


# What a browser's URL parser (WHATWG URL Standard, basic URL parser) removes from an href:
# leading and trailing C0 controls and spaces, then every ASCII tab and newline inside.
# Other white space (U+00A0, U+3000, …) is part of the URL: browsers percent-encode it.
_C0_CONTROL_OR_SPACE = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_NOT_A_PAGE = frozenset({"javascript", "mailto"})  # schemes as urlsplit gives them: lower case


def href_value(href: str | None) -> str:
    r"""An ``href`` attribute as a browser reads it (see ``_C0_CONTROL_OR_SPACE``).

    >>> href_value(" /dgfgz/gkmlpt\n ")
    '/dgfgz/gkmlpt'
    """
    return _TAB_OR_NEWLINE.sub("", (href or "").strip(_C0_CONTROL_OR_SPACE))


def link_url(href: str | None, page_url: str) -> str | None:
    r"""The URL a link on ``page_url`` leads to, resolved as a browser does, fragment kept;
    None for a missing or empty href, a fragment of the page itself (``#top``), a script or a
    mail address (``javascript:``, ``mailto:``, in any letter case). Other schemes (``file:``,
    ``ftp:``) are URLs: the crawl's site guard refuses them and records the refusal.

    >>> link_url("\tJavaScript:void(0)", "https://h/a/")
    >>> link_url(" ../files/b.pdf ", "https://h/a/c.html")
    'https://h/files/b.pdf'
    """
    href = href_value(href)
    if not href or href.startswith("#"):
        return None
    url = urljoin(page_url, href)
    return None if urlsplit(url).scheme in _NOT_A_PAGE else url


@dataclass
class AttachmentRef:
    """One attachment of a post, named from the platform's listing or the link's text.

    The URL's basename is never a name: gkmlpt names files after the post, UCAP after a
    random hex id."""

    url: str
    name: str
    attachment_id: int | None = None
    listed_in: set[str] = field(default_factory=set)  # where it was found: {"api", "body", …}
    api_entry: dict | None = None

    @property
    def ext(self) -> str:
        path = urlsplit(self.url).path
        return path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""


def merge_attachments(*groups: list[AttachmentRef]) -> list[AttachmentRef]:
    """The union of attachment lists by URL; the first group's name wins over later ones."""
    merged: dict[str, AttachmentRef] = {}
    for ref in (r for group in groups for r in group):
        key = urldefrag(ref.url)[0]
        known = merged.get(key)
        if known is None:
            merged[key] = ref
            continue
        known.listed_in |= ref.listed_in
        known.name = known.name or ref.name
        known.attachment_id = known.attachment_id or ref.attachment_id
        known.api_entry = known.api_entry or ref.api_entry
    for ref in merged.values():
        if not ref.name:
            ref.name = f"attachment-{ref.attachment_id or 'unnamed'}" + (f".{ref.ext}" if ref.ext else "")
    return list(merged.values())


def raw_sha256(raw: dict) -> str:
    """A post's list entry, canonicalised: when it changes, the post is fetched again."""
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class ListedPost:
    """One entry of a list page, as every platform gives it to the shared walk.

    ``post_id`` is a string on every platform (gkmlpt's decimal ids, UCAP's 32-hex manuscript
    ids); ``raw`` is the entry exactly as listed, archived as the post's ``article``."""

    site: str
    post_id: str
    title: str
    url: str
    raw: dict
    in_report_category: bool = False

    @property
    def sha256(self) -> str:
        return raw_sha256(self.raw)


@dataclass
class PostPage:
    """What a platform read from a report post's detail page."""

    title: str
    body_html: str
    published: float | None  # Unix seconds of the displayed publication date
    attachments: list[AttachmentRef]
    detail: dict  # archived raw: template, metadata rows, …
    classify_id: int | None = None
    classify_name: str = ""


def html_text(content_html: str) -> str:
    """The text of an HTML fragment (a post body), for finding a report's year in it."""
    if not content_html.strip():
        return ""
    return lxml_html.fromstring(f"<div>{content_html}</div>").text_content()
