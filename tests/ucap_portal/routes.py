"""Request routing of the simulated UCAP portal, on the gkmlpt portal's request, response and
server types (``tests/portal/routes.py``, ``server.py``).

Example::

    router = UcapRouter(build_sites(), frozenset({"span_time"}))
    router.route(Request("GET", "https", HOST, "/jkqxxgk/c110595/xxgk_list_nb.shtml", {}, {})).status
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import Counter

from tests.portal.model import MIME_BY_EXT
from tests.portal.routes import HTML, Request, Response, Transport, html

from . import pages
from .model import SITE_CODE, UcapSite

LIST_RE = re.compile(rf"^/{SITE_CODE}/(\w+)/([A-Za-z]\w*?)(?:_(\d+))?\.shtml$")
ROBOTS = "User-agent: *\nDisallow: /u/\nDisallow: /admin/\n"
NAV_TEMPLATE = "xxgk_list"  # answers 200 for 凤岗镇's column, with no items


class UcapRouter:
    """Maps requests for the UCAP host to responses; ``sites`` is what the server's CONNECT
    check reads (objects with a ``host``)."""

    def __init__(self, sites: dict[str, UcapSite], switches: frozenset[str],
                 lock: threading.RLock | None = None):
        self.sites = sites
        self.switches = switches
        self.lock = lock or threading.RLock()
        self.attempts: Counter[str] = Counter()

    def route(self, req: Request) -> Response:
        with self.lock:
            self.attempts[req.url] += 1
            attempt = self.attempts[req.url]
            resp = self._resolve(req)
        if resp.kind == "attachment" and resp.status == 200:
            resp = self._attachment_faults(req.url, attempt, resp)
        return resp

    def _resolve(self, req: Request) -> Response:
        path = req.path
        if path == "/robots.txt":
            return Response(200, ROBOTS.encode(), "text/plain; charset=utf-8")
        if path in (f"/{SITE_CODE}/", f"/{SITE_CODE}/index.shtml"):
            return html(200, pages.directory_page(list(self.sites.values())))
        if path.endswith("/xxgk.shtml"):
            site = next((s for s in self.sites.values() if s.column == req.query.get("code")), None)
            return html(200, pages.unit_shell(site) if site else pages.unit_shell_without_reports())
        if m := LIST_RE.match(path):
            return self._list(m.group(1), m.group(2), int(m.group(3) or 1))
        for site in self.sites.values():
            for post in site.posts.values():
                if path == site.detail_path(post):
                    return html(200, pages.detail_page(site, post), modified=post.published,
                                kind="detail")
                for file in post.files:
                    if req.url.replace("http://", "https://", 1) == site.file_url(post, file):
                        return Response(200, file.data,
                                        MIME_BY_EXT.get(file.ext, "application/octet-stream"),
                                        modified=file.modified or post.published, kind="attachment")
        return html(404, pages.error_page(404))

    def _list(self, column: str, template: str, page: int) -> Response:
        site = next((s for s in self.sites.values() if s.column == column), None)
        if site is None:
            return html(404, pages.error_page(404))
        active = site.template
        if "template_xlist" in self.switches and site.slug == "ganzhou-jkq-fenggang":
            active = "xlist"
        if template == active:
            status, text = pages.list_page(site, page, self.switches)
            return html(status, text, kind="list")
        if template == NAV_TEMPLATE and site.slug == "ganzhou-jkq-fenggang" and page == 1:
            return html(200, pages.nav_template_page(site), kind="list")
        return html(404, pages.error_page(404), kind="list")

    def _attachment_faults(self, url: str, attempt: int, resp: Response) -> Response:
        if "flaky_attachments" in self.switches and attempt == 1:
            return html(503, pages.error_page(503), kind="attachment")
        if "flaky_attachments" in self.switches and attempt == 2:
            resp.transport = Transport.RESET_MID_BODY
        if "slow_attachments" in self.switches:
            digest = int(hashlib.sha256(url.encode()).hexdigest()[:6], 16)
            time.sleep(1.0 + (digest % 1500) / 1000)
            resp.transport = Transport.DRIP if resp.transport is Transport.NORMAL else resp.transport
        return resp


class HostRouter:
    """Several routers on one server, chosen by the request's host; a host no router's sites
    name goes to the last router (the gkmlpt portal also serves hosts that are no site's:
    search.gd.gov.cn, hosts without www.), which answers 502 to what it does not know."""

    def __init__(self, *routers):
        self.routers = routers
        self.sites = {f"{n}:{slug}": site for n, r in enumerate(routers)
                      for slug, site in r.sites.items()}

    def route(self, req: Request) -> Response:
        for router in self.routers:
            if any(site.host == req.host for site in router.sites.values()):
                return router.route(req)
        return self.routers[-1].route(req)
