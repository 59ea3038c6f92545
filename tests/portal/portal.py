"""``Portal``: the simulated gkmlpt portal as an in-process server with a test API.

Example::

    with Portal(faults={"validators"}) as portal:
        proxy = portal.url                          # 'http://127.0.0.1:54321'
        truth = portal.expected()["dg-fenggang"]    # ExpectedSite
        portal.touch_post(truth.reports[0].post_id)
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from .documents import load_documents
from .faults import FaultState, validate
from .filler import ID_FAMILIES, family
from .hostile import add_hostile_links
from .injection import fault_targets
from .model import CST, Attachment, ExpectedSite, ExpectedUnassigned, Post, Site
from .routes import Router
from .server import PortalApp, ServedPortal
from .sites import build_world
from .tls import CertificateStore
from .truth import expected_sites, expected_unassigned
from .variants import apply_variants
from .waf import WafGate


class Portal(ServedPortal):
    """Serve every fixture site on ``host:port`` (0: any free port) until :meth:`stop`."""

    def __init__(self, port: int = 0, faults=(), host: str = "127.0.0.1",
                 documents: Path | None = None, hang_seconds: float = 35.0):
        self.switches = validate(faults)
        self.sites, self.others = build_world(load_documents(documents), self.switches)
        apply_variants(self.sites, self.switches)
        if "hostile_links" in self.switches:
            add_hostile_links(self.sites)
        self.lock = threading.RLock()
        state = FaultState(self.switches)
        targets = fault_targets(self.sites)
        hosts = tuple(sorted({s.host for s in self.sites.values() if s.scheme == "https"}))
        self.app = PortalApp(Router(self.sites, state, self.lock, self.others,
                                    WafGate(self.switches)),
                             state, targets, CertificateStore(hosts), hang_seconds)
        self._address = (host, port)

    def expected(self, solves_js: bool = True) -> dict[str, ExpectedSite]:
        """Ground truth per slug under the active switches (see README.md); ``solves_js``
        False: the crawler does not run JavaScript challenges (no browser)."""
        with self.lock:
            return expected_sites(self.sites, self.switches, self.app.targets, solves_js)

    def unassigned(self) -> tuple[ExpectedUnassigned, ...]:
        """Reports in shared report columns whose body is no fixture site (``portal_columns``):
        the crawler must list them as unassigned and download nothing of theirs."""
        with self.lock:
            return expected_unassigned(self.others)

    def _find(self, post_id: int) -> tuple[Site, Post]:
        for site in self.sites.values():
            if post_id in site.posts:
                return site, site.posts[post_id]
        raise KeyError(f"no post {post_id}")

    def add_report(self, slug: str, title: str, year: int,
                   attachments: list[tuple[str, bytes]] = (), body_html: str | None = None,
                   classify: int | None = None, published: datetime | None = None) -> int:
        """Publish a new report post (highest id of its family); returns its post id.

        ``attachments`` are (file name, bytes), each listed and linked from the body;
        ``published`` defaults to 10 February of ``year + 1``.
        """
        with self.lock:
            site = self.sites[slug]
            published = published or datetime(year + 1, 2, 10, 10, 0)
            kin = [s for s in (*self.sites.values(), *self.others.values())
                   if family(s) == family(site)]
            post_id = max(p.id for s in kin for p in s.posts.values()) + 17
            aid = max([a.aid for s in kin for p in s.posts.values() for a in p.attachments]
                      + [ID_FAMILIES[family(site)][2]])
            files = [Attachment(aid=aid + 3 * (n + 1), name=name, data=data,
                                ext=name.rsplit(".", 1)[-1].lower())
                     for n, (name, data) in enumerate(attachments)]
            site.posts[post_id] = Post(
                id=post_id, title=title, classify=classify or site.annual_category,
                doc_date=published.date(), published=published,
                body_html=body_html if body_html is not None else "<p>详见附件。</p>",
                attachments=files, report_year=year, publisher=site.name, genre="报告")
            return post_id

    def replace_attachment_bytes(self, aid: int, data: bytes) -> None:
        """Serve new bytes at attachment ``aid``'s unchanged URL (new Last-Modified/ETag)."""
        with self.lock:
            for site in self.sites.values():
                for post in site.posts.values():
                    for att in post.attachments:
                        if att.aid == aid:
                            att.data = data
                            att.modified = datetime.now(CST)
                            return
            raise KeyError(f"no attachment {aid}")

    def remove_post(self, post_id: int) -> None:
        """Withdraw a post: gone from lists, detail page and attachments answer 404."""
        with self.lock:
            site, _ = self._find(post_id)
            del site.posts[post_id]

    def touch_post(self, post_id: int) -> None:
        """Mark a post modified now: same content, new Last-Modified and ETag."""
        with self.lock:
            _, post = self._find(post_id)
            post.modified = datetime.now(CST)
