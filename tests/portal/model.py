"""Typed records of the simulated gkmlpt portal: hosts, sites, categories, posts, attachments.

The fixture data (``sites.py``) builds these; the renderers (``pages.py``, ``api.py``) read
them; ``truth.py`` turns them into the ground truth the crawler must archive.

Example::

    att = Attachment(aid=1658591, name="报告.pdf", ext="pdf", data=b"%PDF-1.7 ...")
    post = Post(id=10899951, title="狮岭镇2020年政府信息公开工作年度报告", classify=6198,
                doc_date=date(2021, 1, 25), published=datetime(2021, 1, 26, 9, 12, 30),
                body_html="<p>详见附件。</p>", attachments=[att], report_year=2020)
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))  # every gkmlpt timestamp is China Standard Time

MIME_BY_EXT = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "wps": "application/kswps",
    "png": "image/png",
    "jpg": "image/jpeg",
    "zip": "application/zip",
}

# gkmlpt's coarse `type`: one family per format group (``doc`` covers .doc, .docx, .wps).
TYPE_BY_EXT = {"pdf": "pdf", "doc": "doc", "docx": "doc", "wps": "doc", "xls": "xls",
               "xlsx": "xls", "png": "img", "jpg": "img", "zip": "zip"}


class Escape(str, enum.Enum):
    """How the ``DETAIL`` object of a detail page is serialised."""

    HEX = "hex"  # \\u003C, \\u0022, \\u0026, \\/ and non-ASCII as \\uXXXX
    PLAIN = "plain"  # UTF-8 with \\" only


class ErrorKind(str, enum.Enum):
    """Why the crawler must record an error for a URL instead of archiving a document."""

    CHALLENGE = "challenge"  # a 412/521 JavaScript challenge page
    NOT_A_DOCUMENT = "not_a_document"  # an HTML error page served where a PDF belongs
    REFUSED = "refused"  # a link or redirect the site guard must not follow
    TOO_LARGE = "too_large"  # a body over DOWNLOAD_MAXSIZE (here: decompressed)
    HTTP_ERROR = "http_error"  # a page that kept failing (list_fails)


@dataclass
class Attachment:
    """One attachment file; its URL is named after the owning post, see ``Site.attachment_url``.

    ``in_list``/``in_body`` say whether the API's ``attachment[]`` and the body link it.
    """

    aid: int
    name: str
    ext: str
    data: bytes
    in_list: bool = True
    in_body: bool = True
    link_text: str | None = None  # None: the file name; e.g. "点击下载"
    href: str = "url"  # the body anchor's href: "url", "empty" (href="") or "none" (no href)
    modified: datetime | None = None  # None: the owning post's publish time

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Post:
    """One article. ``report_year`` is the truth: None for everything that is not a report."""

    id: int
    title: str
    classify: int
    doc_date: date
    published: datetime  # naive local time (UTC+8)
    body_html: str
    attachments: list[Attachment] = field(default_factory=list)
    report_year: int | None = None
    publisher: str = ""
    identifier: str = ""
    document_number: str = ""
    keywords: str = ""
    genre: str = "其他"
    theme: str = "其他"
    portal_only: bool = False  # the API `url` is the portal-template page, no gkmlpt page
    column_only: bool = False  # only in the portal's report column: no list, search or detail
    jump_url: str = ""  # non-empty: a `type: url` jump entry pointing there, not a post
    source: str = ""  # ContentSource of its pages; "" means the site's name
    modified: datetime | None = None  # aware; None: the publish time

    @property
    def last_modified(self) -> datetime:
        """When the detail page last changed (``touch_post`` moves it)."""
        return self.modified or self.published.replace(tzinfo=CST)

    @property
    def publish_ts(self) -> int:
        return int(self.published.replace(tzinfo=CST).timestamp())

    @property
    def date_ts(self) -> int:
        """Unix seconds at local midnight of the document date, as gkmlpt's ``date``."""
        return int(datetime.combine(self.doc_date, datetime.min.time(), CST).timestamp())


@dataclass
class Category:
    """A TREE node; ``jump_url`` non-empty means a link elsewhere, not a list."""

    id: int
    name: str
    parent: int = 0
    jump_url: str = ""


@dataclass
class Site:
    """One gkmlpt site on a host, e.g. ``dg-fenggang`` at ``http://www.dg.gov.cn/dgfgz/``."""

    slug: str
    name: str  # publishing agency, e.g. 东莞市凤岗镇人民政府
    host: str
    scheme: str
    prefix: str  # "" at the host root, else "/dgfgz"
    sid: str
    entry_url: str
    annual_category: int
    categories: list[Category]
    posts: dict[int, Post] = field(default_factory=dict)
    escape: Escape = Escape.HEX
    attachments_at_root: bool = True  # www.dg.gov.cn: /attachment/…; others: {prefix}/attachment/…
    portal_root: str | None = None  # e.g. "/fg/": a town portal home linking to the catalogue
    portal_column: str = "/zwgk/"  # portal-template copies: {column}content/post_{id}.html
    org_code: str = "11441900000000000X"  # 统一社会信用代码 in 索引号
    report_column: str = ""  # the portal's report column holding this site's reports, if any
    link_styles: frozenset[str] = frozenset()  # http_links, link_decor, bare_host (variants.py)

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}"

    @property
    def base(self) -> str:
        """``{P}`` of the spec: origin plus prefix."""
        return f"{self.origin}{self.prefix}"

    def detail_path(self, post_id: int, mobile: bool = False) -> str:
        page = "mpost" if mobile else "post"
        return (f"{self.prefix}/gkmlpt/content/{post_id // 10**6}/{post_id // 10**3}/"
                f"{page}_{post_id}.html")

    def portal_path(self, post_id: int) -> str:
        return f"{self.portal_column}content/post_{post_id}.html"

    def column_path(self, post_id: int) -> str:
        return f"{self.report_column}content/post_{post_id}.html"

    def detail_url(self, post: Post) -> str:
        """The URL the API's ``url`` gives and the crawler must archive as the detail page
        (for a post only in the report column: its page there)."""
        if post.column_only:
            return self.origin + self.column_path(post.id)
        path = self.portal_path(post.id) if post.portal_only else self.detail_path(post.id)
        return self.origin + path

    def attachment_path(self, post_id: int, att: Attachment) -> str:
        aid = att.aid
        root = "" if self.attachments_at_root else self.prefix
        return f"{root}/attachment/{aid // 10**6}/{aid // 10**3}/{aid}/{post_id}.{att.ext}"

    def attachment_url(self, post_id: int, att: Attachment) -> str:
        return self.origin + self.attachment_path(post_id, att)

    def category(self, cid: int) -> Category | None:
        return next((c for c in self.categories if c.id == cid), None)


@dataclass(frozen=True)
class ExpectedAttachment:
    """An attachment the crawler must archive, with the bytes' digest."""

    name: str
    url: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ExpectedReport:
    """One annual report the crawler must archive."""

    post_id: int
    title: str
    year: int
    detail_url: str
    attachments: tuple[ExpectedAttachment, ...]


@dataclass(frozen=True)
class ExpectedError:
    """A URL for which the crawler must record an error of ``kind``."""

    url: str
    kind: ErrorKind


@dataclass(frozen=True)
class ExpectedUnassigned:
    """A report in a shared portal column whose body no configured site is: the crawler must
    list it (``body`` is the short name it must mention, e.g. 炭步镇) and download nothing."""

    body: str
    title: str
    year: int
    url: str


@dataclass(frozen=True)
class ExpectedSite:
    """Ground truth for one site slug under the active switches."""

    slug: str
    reports: tuple[ExpectedReport, ...]
    errors: tuple[ExpectedError, ...]
