"""Apply the per-attempt faults to a routed response (5xx, bad JSON, resets, hangs …).

Example::

    targets = fault_targets(sites)
    resp = inject(router.route(req), req.url, attempt=1, state=state, targets=targets)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import formatdate

from . import hostile, pages
from .faults import HTML_ERROR_PDF, RETRY_AFTER_DATE_SECONDS, TIMEOUT_DETAIL, FaultState
from .model import Site
from .routes import HTML, Response, Transport, html


@dataclass(frozen=True)
class FaultTargets:
    """The single URLs that ``html_error_pdf``, ``timeout``, ``hostile_links`` (its redirect)
    and ``gzip_bomb`` hit."""

    busy_pdf_url: str
    hang_url: str
    redirect_url: str
    bomb_url: str


def _report(sites: dict[str, Site], slug: str, year: int):
    site = sites[slug]
    return site, next(p for p in site.posts.values() if p.report_year == year)


def fault_targets(sites: dict[str, Site]) -> FaultTargets:
    """Resolve ``HTML_ERROR_PDF`` and ``TIMEOUT_DETAIL`` to URLs of the fixture data."""
    site, post = _report(sites, *HTML_ERROR_PDF)
    pdf = next(a for a in post.attachments if a.ext == "pdf")
    busy = site.attachment_url(post.id, pdf)
    site, post = _report(sites, *TIMEOUT_DETAIL)
    return FaultTargets(busy_pdf_url=busy, hang_url=site.detail_url(post),
                        redirect_url=hostile.redirect_url(sites), bomb_url=hostile.bomb_url(sites))


def _burst(resp: Response, state: FaultState) -> Response:
    out = html(503, pages.error_page(503, "Service Temporarily Unavailable"), kind=resp.kind)
    if "5xx_retry_after" in state:
        out.headers.append(("Retry-After", "1"))
    if "5xx_retry_after_date" in state:  # RFC 9110: an HTTP-date, whole seconds, GMT
        ahead = time.time() + RETRY_AFTER_DATE_SECONDS
        out.headers.append(("Retry-After", formatdate(ahead, usegmt=True)))
    return out


def inject(resp: Response, url: str, attempt: int, state: FaultState,
           targets: FaultTargets) -> Response:
    """``resp`` as attempt number ``attempt`` at ``url`` gets it under the active faults."""
    if resp.status != 200:
        return resp
    if resp.kind in ("api", "attachment") and attempt <= state.burst:
        return _burst(resp, state)
    later = attempt - state.burst  # attempt number after the 5xx burst
    if resp.kind == "api" and "malformed_json" in state and later == 1:
        resp.body = resp.body[: len(resp.body) // 2]
    if resp.kind == "attachment":
        return _attachment(resp, url, later, state, targets)
    if resp.kind == "detail" and "timeout" in state and url == targets.hang_url and attempt == 1:
        resp.transport = Transport.HANG
    if resp.kind == "detail" and "hostile_links" in state and url == targets.redirect_url:
        return Response(302, headers=[("Location", hostile.REDIRECT_TARGET)], kind="detail")
    return resp


def _attachment(resp: Response, url: str, later: int, state: FaultState,
                targets: FaultTargets) -> Response:
    if "html_error_pdf" in state and url == targets.busy_pdf_url:
        return Response(200, pages.busy_page().encode(), HTML, kind="attachment")
    if "gzip_bomb" in state and url == targets.bomb_url:
        return Response(200, hostile.gzip_bomb_body(), resp.content_type,
                        headers=[("Content-Encoding", "gzip")], kind="attachment")
    resets = 1 if "reset" in state else 0
    if resets and later == 1:
        resp.transport = Transport.RESET_MID_BODY
    elif "truncated" in state and later == resets + 1:
        resp.transport = Transport.TRUNCATE
    elif "slow_drip" in state:
        resp.transport = Transport.DRIP
    return resp

