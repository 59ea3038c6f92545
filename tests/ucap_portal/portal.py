"""``UcapPortal``: the simulated UCAP portal as an in-process server with a test API, on the
gkmlpt portal's proxy, TLS and server code (``tests/portal/server.py``, ``tls.py``).

With ``gkmlpt_faults`` (a set, possibly empty) the same server also serves the simulated
gkmlpt sites, so that one ``gkarchive crawl --proxy`` walks both platforms in one run.

Example::

    with UcapPortal(switches={"span_time"}) as portal:
        portal.url                                      # 'http://127.0.0.1:PORT': the proxy
        portal.expected()["ganzhou-jkq-fenggang"]       # ExpectedSite
"""

from __future__ import annotations

import threading
from datetime import datetime

from tests.portal import ExpectedAttachment, ExpectedReport, ExpectedSite, Portal
from tests.portal.faults import FaultState
from tests.portal.server import PortalApp, ServedPortal
from tests.portal.tls import CertificateStore

from .model import HOST, SWITCHES, UcapFile, UcapPost, apply_changed, build_sites, hex_id, replace_file
from .routes import HostRouter, UcapRouter


def validate(switches) -> frozenset[str]:
    unknown = set(switches) - set(SWITCHES)
    if unknown:
        raise ValueError(f"unknown UCAP portal switches {sorted(unknown)}; known: {sorted(SWITCHES)}")
    return frozenset(switches)


def archived_name(file: UcapFile) -> str:
    """The link text, with the file's extension when the text has none (``…年度报告`` →
    ``…年度报告.docx``): the URL's basename is a random hex id, never a name."""
    return file.name if "." in file.name[-6:] else f"{file.name}.{file.ext}"


class UcapPortal(ServedPortal):
    """Serve the UCAP fixture sites (and, with ``gkmlpt_faults``, the gkmlpt ones) on
    ``host:port`` (0: any free port) until :meth:`stop`."""

    def __init__(self, port: int = 0, switches=(), host: str = "127.0.0.1",
                 gkmlpt_faults=None):
        self.switches = validate(switches)
        self.sites = build_sites()
        if "changed" in self.switches:
            apply_changed(self.sites)
        self.lock = threading.RLock()
        self.router = UcapRouter(self.sites, self.switches, self.lock)
        self.gkmlpt = Portal(faults=gkmlpt_faults) if gkmlpt_faults is not None else None
        hosts = {HOST}
        router, state, targets = self.router, FaultState(frozenset()), None
        if self.gkmlpt is not None:
            gk = self.gkmlpt.app
            router, state, targets = HostRouter(self.router, gk.router), gk.state, gk.targets
            hosts |= {s.host for s in self.gkmlpt.sites.values() if s.scheme == "https"}
            gk.certs.close()
        self.app = PortalApp(router, state, targets, CertificateStore(tuple(sorted(hosts))))
        self._address = (host, port)

    def expected(self) -> dict[str, ExpectedSite]:
        """Ground truth per slug: every report post with every attachment, no errors (and the
        gkmlpt sites' truth when those are served too)."""
        with self.lock:
            truth = {slug: ExpectedSite(slug, tuple(
                ExpectedReport(post_id=p.manuscript, title=p.title, year=p.report_year,
                               detail_url=site.detail_url(p), attachments=tuple(
                                   ExpectedAttachment(archived_name(f), site.file_url(p, f), f.sha256,
                                                      len(f.data)) for f in p.files))
                for p in site.newest_first() if p.report_year), ()) for slug, site in self.sites.items()}
        return {**(self.gkmlpt.expected() if self.gkmlpt else {}), **truth}

    def add_report(self, slug: str, title: str, year: int, attachments: list[tuple[str, bytes]],
                   published: datetime) -> str:
        """Publish a new report post with its attachments in div.fj-a; returns its id."""
        with self.lock:
            site = self.sites[slug]
            post = UcapPost(hex_id(slug, title, year), title, published, report_year=year,
                            files=[UcapFile(hex_id(slug, title, name), name, data,
                                            name.rsplit(".", 1)[1]) for name, data in attachments])
            site.posts[post.manuscript] = post
            return post.manuscript

    def replace_file(self, slug: str, url: str, data: bytes) -> None:
        """New bytes at an attachment's unchanged URL; its post is re-published."""
        with self.lock:
            site = self.sites[slug]
            post, file = next((p, f) for p in site.posts.values() for f in p.files
                              if site.file_url(p, f) == url)
            replace_file(site, post, file.hex, data)
