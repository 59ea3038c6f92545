"""Request routing of the simulated portal: which page, list, file or fault answers a URL.

The router only decides; ``server.py`` writes the bytes and carries out transport faults
(resets, truncation, dripping, hanging) named by ``Response.transport``.

Example::

    router = Router(build_sites(load_documents()), FaultState(frozenset()))
    resp = router.route(Request("GET", "http", "www.dg.gov.cn", "/dgqxz/gkmlpt/index", {}, {}))
    resp.status, resp.content_type          # (200, 'text/html; charset=utf-8')
"""

from __future__ import annotations

import enum
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, urlencode

from . import pages
from .api import encode_listing, list_page
from .columns import column_response
from .faults import CHALLENGE_HOST, UA_RESET_HOST, FaultState
from .model import MIME_BY_EXT, Attachment, Escape, Post, Site
from .search import search_answer
from .variants import list_fails

HTML = "text/html; charset=utf-8"
ATTACHMENT_RE = re.compile(r"^(?P<root>.*)/attachment/(\d+)/(\d+)/(\d+)/(\d+)\.(\w+)$")
DETAIL_RE = re.compile(r"^content/(\d+)/(\d+)/(m?post)_(\d+)\.html$")
PORTAL_RE = re.compile(r"^(?P<column>/.*/)content/post_(\d+)\.html$")
SHELLS = {"index", "index/", "mindex", "mindex/", "annualreport", "policy", "search"}
BARE_HOSTS = {"dg.gov.cn": "www.dg.gov.cn", "huadu.gov.cn": "www.huadu.gov.cn"}  # same sites


class Transport(str, enum.Enum):
    """How the server delivers a response."""

    NORMAL = "normal"
    RESET = "reset"  # reset the connection before answering
    RESET_MID_BODY = "reset_mid_body"  # send headers and half the body, then reset
    TRUNCATE = "truncate"  # send headers and half the body, then close cleanly
    DRIP = "drip"  # send the body in small chunks with sleeps
    HANG = "hang"  # send nothing for a long time, then close


@dataclass
class Request:
    """One parsed request; ``host`` has no port, ``query`` holds the last value per name."""

    method: str
    scheme: str
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names

    @property
    def url(self) -> str:
        q = f"?{urlencode(self.query)}" if self.query else ""
        return f"{self.scheme}://{self.host}{self.path}{q}"


@dataclass
class Response:
    """What to answer; ``modified`` enables validators, ``kind`` names the route for faults."""

    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: list[tuple[str, str]] = field(default_factory=list)
    modified: datetime | None = None
    kind: str = "page"  # page | api | attachment | detail
    transport: Transport = Transport.NORMAL
    gzipped: bytes | None = None  # ``body`` gzip-compressed in advance (a frozen province)


def html(status: int, text: str, **kw) -> Response:
    return Response(status, text.encode(), HTML, **kw)


def not_found() -> Response:
    return html(404, pages.error_page(404, "Not Found"))


def content_disposition(post_id: int, att: Attachment) -> str:
    """``attachment; filename="{post_id}.{ext}"; filename*=UTF-8''{the display name}``."""
    return (f'attachment; filename="{post_id}.{att.ext}"; '
            f"filename*=UTF-8''{quote(att.name)}")


class Router:
    """Maps requests to responses for every fixture site; thread-safe against mutations."""

    def __init__(self, sites: dict[str, Site], faults: FaultState,
                 lock: threading.RLock | None = None, others: dict[str, Site] | None = None,
                 gate=None):
        self.sites = sites
        self.others = others or {}  # bodies only in a shared report column (portal_columns)
        self.faults = faults
        self.lock = lock or threading.RLock()
        self.gate = gate  # a waf.WafGate: the WAFs in front of some hosts

    def route(self, req: Request) -> Response:
        """The response to ``req`` before validators, compression and delays."""
        if req.host == pages.SEARCH_HOST:
            with self.lock:
                status, body = search_answer(self.sites, req.path, req.query)
            kind = "application/javascript; charset=utf-8" if body.endswith(b");") \
                else "application/json; charset=utf-8"
            return Response(status, body, kind, kind="search")
        host = BARE_HOSTS.get(req.host, req.host)
        hosted = [s for s in self.sites.values() if s.host == host]
        if not hosted:  # never forward anything to the real network
            return html(502, pages.error_page(502, "Bad Gateway"))
        if req.host == CHALLENGE_HOST and self.faults.switches & {"challenge", "challenge_521"}:
            status = 521 if "challenge_521" in self.faults else 412
            return html(status, pages.challenge_page())
        if (req.host == UA_RESET_HOST and "ua_reset" in self.faults
                and "Mozilla/" not in req.headers.get("user-agent", "")):
            return Response(0, transport=Transport.RESET)
        if self.gate and (blocked := self.gate.check(req)):
            return blocked
        with self.lock:
            return self._resolve(req, host, sorted(hosted, key=lambda s: -len(s.prefix)))

    def _resolve(self, req: Request, host: str, hosted: list[Site]) -> Response:
        path = req.path
        if path == "/robots.txt":
            return Response(200, pages.robots_txt().encode(), "text/plain; charset=utf-8")
        for site in hosted:
            if site.portal_root and path == site.portal_root:
                return html(200, pages.portal_root_page(site))
            if site.portal_root and path == site.portal_root.rstrip("/"):
                return Response(301, headers=[("Location", site.portal_root)])
        others = [s for s in self.others.values() if s.host == host]
        column = column_response(hosted + others, host, path, self.faults.switches)
        if column is not None:
            status, text = column
            return html(200, text, kind="detail") if status == 200 else not_found()
        if m := ATTACHMENT_RE.match(path):
            return self._attachment(hosted + others, m)
        if m := PORTAL_RE.match(path):
            return self._portal_page(hosted, m.group("column"), int(m.group(2)))
        for site in hosted:
            if path.startswith(f"{site.prefix}/gkmlpt/"):
                return self._gkmlpt(req, site, path[len(site.prefix) + len("/gkmlpt/"):])
        return not_found()

    def _gkmlpt(self, req: Request, site: Site, rest: str) -> Response:
        if rest in SHELLS:
            modified = max((p.last_modified for p in site.posts.values()), default=None)
            return html(200, pages.shell_page(site, rest.strip("/")), modified=modified)
        if m := re.fullmatch(r"api/all/(\d+)", rest):
            return self._list(req, site, int(m.group(1)))
        if m := DETAIL_RE.match(rest):
            post = site.posts.get(int(m.group(4)))
            folders = (int(m.group(1)), int(m.group(2)))
            if (post is None or post.portal_only or post.column_only or post.jump_url
                    or folders != (post.id // 10**6, post.id // 10**3)):
                return not_found()
            escape = self._escape(site)
            text = pages.detail_page(site, post, escape, mobile=m.group(3) == "mpost")
            return html(200, text, modified=post.last_modified, kind="detail")
        return not_found()

    def _escape(self, site: Site) -> Escape:
        if "swap_escape" not in self.faults:
            return site.escape
        return Escape.PLAIN if site.escape is Escape.HEX else Escape.HEX

    def _list(self, req: Request, site: Site, classify: int) -> Response:
        sid = req.query.get("sid")
        if sid is not None and sid != site.sid and "no_sid" not in self.faults:
            return Response(404, b'{"code":404,"msg":"site not found"}', "application/json",
                            kind="api")
        try:
            page = int(req.query.get("page", "1"))
        except ValueError:
            page = 1
        if list_fails(site, classify, page, self.faults.switches):
            return html(503, pages.error_page(503, "Service Temporarily Unavailable"), kind="api")
        listing = list_page(site, classify, page, set(self.faults.switches))
        if listing.status != 200:
            return html(404, pages.error_page(404, "Not Found"), kind="api")
        return Response(200, encode_listing(listing), "application/json", kind="api")

    def _attachment(self, hosted: list[Site], m: re.Match) -> Response:
        root, d1, d2, aid, post_id, ext = m.groups()
        for site in hosted:
            if (root == "") != site.attachments_at_root or (root and root != site.prefix):
                continue
            post = site.posts.get(int(post_id))
            att = next((a for a in post.attachments if a.aid == int(aid)), None) if post else None
            folders = (int(d1), int(d2))
            if att and att.ext == ext and folders == (att.aid // 10**6, att.aid // 10**3):
                return self._file(site, post, att)
        return not_found()

    def _file(self, site: Site, post: Post, att: Attachment) -> Response:
        resp = Response(200, att.data, MIME_BY_EXT.get(att.ext, "application/octet-stream"),
                        modified=att.modified or post.last_modified, kind="attachment")
        if "content_disposition" in self.faults:
            resp.headers.append(("Content-Disposition", content_disposition(post.id, att)))
        return resp

    def _portal_page(self, hosted: list[Site], column: str, post_id: int) -> Response:
        for site in hosted:
            post = site.posts.get(post_id)
            if site.portal_column == column and post is not None and not post.column_only \
                    and not post.jump_url:
                return html(200, pages.portal_page(site, post), modified=post.last_modified,
                            kind="detail")
        return not_found()
