"""The ground truth: which reports and errors the crawler must archive under the switches.

Example::

    truth = expected_sites(sites, switches, targets)
    [r.year for r in truth["dg-fenggang"].reports]       # [2019, 2020, 2021, 2022, 2023]
    truth["dg-zjj"].errors                                 # () unless challenge is on
"""

from __future__ import annotations

from urllib.parse import urldefrag

from .faults import JS_CHALLENGE_HOST
from .hostile import HOSTILE_REDIRECT_YEAR, HOSTILE_SITE, hostile_errors
from .injection import FaultTargets
from .model import (ErrorKind, ExpectedAttachment, ExpectedError, ExpectedReport,
                    ExpectedSite, ExpectedUnassigned, Post, Site)
from .sites import SHORT_NAMES
from .variants import FAILING_LIST

CHALLENGE_SWITCHES = frozenset({"challenge", "challenge_521"})


def expected_report(site: Site, post: Post, busy_url: str | None,
                    bomb_url: str | None = None) -> ExpectedReport:
    """A report with every attachment named by its body or its ``attachment[]`` (the union),
    except the one served as an HTML error page and the gzip bomb."""
    attachments = tuple(
        ExpectedAttachment(name=a.name, url=site.attachment_url(post.id, a),
                           sha256=a.sha256, size=len(a.data))
        for a in post.attachments if site.attachment_url(post.id, a) not in (busy_url, bomb_url))
    return ExpectedReport(post_id=post.id, title=post.title, year=post.report_year or 0,
                          detail_url=site.detail_url(post), attachments=attachments)


def expected_site(site: Site, switches: frozenset[str], targets: FaultTargets,
                  solves_js: bool = True) -> ExpectedSite:
    """Ground truth of one site; ``solves_js``: whether the crawler runs JavaScript
    challenges in a browser (without, a ``js_challenge`` host yields only its challenge)."""
    js_blocked = "js_challenge" in switches and site.host == JS_CHALLENGE_HOST and not solves_js
    if (site.host == "zjj.dg.gov.cn" and switches & CHALLENGE_SWITCHES) or js_blocked:
        # the error is at each URL requested: the entry URL without its #category fragment,
        # and the site's portal report column (an entry URL too) where it has one
        urls = (urldefrag(site.entry_url)[0],) + (
            (f"{site.scheme}://{site.host}{site.report_column}",) if site.report_column else ())
        return ExpectedSite(site.slug, reports=(),
                            errors=tuple(ExpectedError(url, ErrorKind.CHALLENGE) for url in urls))
    busy = targets.busy_pdf_url if "html_error_pdf" in switches else None
    bomb = targets.bomb_url if "gzip_bomb" in switches else None
    redirected = "hostile_links" in switches and site.slug == HOSTILE_SITE
    reports = tuple(expected_report(site, p, busy, bomb)
                    for p in sorted(site.posts.values(), key=lambda p: p.id)
                    if p.report_year is not None
                    and not (redirected and p.report_year == HOSTILE_REDIRECT_YEAR))
    owned = {site.attachment_url(p.id, a) for p in site.posts.values() for a in p.attachments}
    errors = (ExpectedError(busy, ErrorKind.NOT_A_DOCUMENT),) if busy in owned else ()
    errors += (ExpectedError(bomb, ErrorKind.TOO_LARGE),) if bomb in owned else ()
    if "hostile_links" in switches:
        errors += hostile_errors(site)
    if "list_fails" in switches and site.slug == FAILING_LIST[0]:
        slug, classify, page = FAILING_LIST
        url = f"{site.base}/gkmlpt/api/all/{classify}?page={page}&sid={site.sid}"
        errors += (ExpectedError(url, ErrorKind.HTTP_ERROR),)
    return ExpectedSite(site.slug, reports=reports, errors=errors)


def expected_sites(sites: dict[str, Site], switches: frozenset[str], targets: FaultTargets,
                   solves_js: bool = True) -> dict[str, ExpectedSite]:
    """Ground truth of every site, keyed by slug."""
    return {slug: expected_site(site, switches, targets, solves_js)
            for slug, site in sites.items()}


def expected_unassigned(others: dict[str, Site]) -> tuple[ExpectedUnassigned, ...]:
    """Every report of a body that is no fixture site, sorted by URL."""
    found = [ExpectedUnassigned(body=SHORT_NAMES[slug], title=p.title, year=p.report_year,
                                url=site.detail_url(p))
             for slug, site in others.items() for p in site.posts.values() if p.report_year]
    return tuple(sorted(found, key=lambda u: u.url))
