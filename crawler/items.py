"""Typed items every platform spider yields; the archive pipeline stores them.

Every HTTP exchange is recorded by :class:`crawler.middlewares.FetchRecorderMiddleware`
(its row id travels in the request's :class:`crawler.fetch.FetchMeta`); these items refer to
those rows. Post ids are strings on every platform (gkmlpt ``"4012345"``, UCAP 32 hex digits).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.platforms import AttachmentRef


@dataclass
class ReportPostItem:
    """An annual-report post: its raw list entry and what its detail page said."""

    site: str
    post_id: str
    title: str
    url: str
    article: dict
    report_year: int | None
    year_source: str
    publish_date: str | None
    classify_id: int | None
    classify_name: str
    detail: dict
    detail_fetch_id: int | None
    list_fetch_id: int | None
    article_sha256: str = ""
    body_html: str = ""
    attachments: list[AttachmentRef] = field(default_factory=list)


@dataclass
class SeenPostItem:
    """A known report post whose list entry is unchanged: nothing fetched, still present."""

    site: str
    post_id: str
    list_fetch_id: int | None


@dataclass
class AttachmentItem:
    """The outcome of downloading one attachment of a report post."""

    site: str
    post_id: str
    url: str
    status: str  # "ok", or the error kind ("challenge", "not_a_document", "http_error", …)
    fetch_id: int | None
    sha256: str | None = None
    error: str = ""


@dataclass
class ErrorItem:
    """A failure worth a row: the crawl goes on, the archive remembers."""

    site: str | None
    url: str
    kind: str
    message: str
    fetch_id: int | None = None
