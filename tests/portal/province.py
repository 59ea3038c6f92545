"""A simulated province: many gkmlpt sites on many hosts, on top of the fixture portal, with
per-host behaviours (gone, hanging, challenged, redirected, failing TLS), per-site redesigns
and a response latency. Used by the probe, discovery and health tests and the province bench.

``install(portal, province)`` adds the province's sites to a started-or-not ``Portal`` and
swaps in :class:`ProvinceRouter` and :class:`ProvinceCertificates`; everything else (HTTP,
CONNECT, faults, mutations) is the fixture portal's.

Example::

    province = build_province(sites=300, hosts=60, seed=1)
    province.behaviours["h07.sim.gd.gov.cn"] = Behaviour.GONE
    with install(Portal(), province) as portal:
        ...   # crawl or probe with --sites province.write_sites(tmp_path / "sites.toml")
"""

from __future__ import annotations

import enum
import functools
import gzip
import hashlib
import json
import random
import ssl
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from . import pages
from .api import PAGE_SIZE, posts_in
from .model import Attachment, Category, Escape, Post, Site
from .routes import SHELLS, Request, Response, Router, Transport, html
from .server import TEXT_TYPES
from .tls import CertificateStore

REPORT_PDF = Path(__file__).resolve().parents[1] / "fixtures" / "documents" / "dg-fenggang-2020.pdf"
FIRST_POST_ID = 20_000_000
FIRST_ATTACHMENT_ID = 5_000_000
REDESIGNED_SHELL = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>新版网站</title>"
                    "</head><body><div id='root'></div><script src='/static/app.2026.js'></script>"
                    "</body></html>")


class Behaviour(str, enum.Enum):
    """How a whole host answers, before any site on it is looked at."""

    NORMAL = "normal"
    GONE = "gone"  # 404 for every path (410 with GONE_410)
    GONE_410 = "gone_410"
    HANG = "hang"  # nothing is sent for the portal's hang_seconds, then the connection closes
    CHALLENGE = "challenge"  # 412 JavaScript challenge page on every path
    REDIRECT = "redirect"  # 301 to the same path on Province.redirects[host]
    TLS_FAIL = "tls_fail"  # CONNECT succeeds, the TLS handshake does not (no shared cipher)


@dataclass
class Province:
    """The extra sites, keyed by slug, and what their hosts and sites do."""

    sites: dict[str, Site]
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)  # host → host it moved to
    redesigned: set[str] = field(default_factory=set)  # slugs whose shells lost window._CONFIG
    emptied: set[str] = field(default_factory=set)  # slugs whose list API answers no articles
    latency: tuple[float, float] | None = None  # seconds per response, fixed per URL
    sid_hints: dict[str, str] = field(default_factory=dict)  # slug → SID the config believes
    unlisted: set[str] = field(default_factory=set)  # served, but not in the sites file
    failing_paths: set[str] = field(default_factory=set)  # "host/path": 503 on every attempt
    pages: dict[str, str] = field(default_factory=dict)  # "host/path" → HTML served with 200

    frozen: bool = False  # nothing above or in the sites changes: answers are computed once

    def hosts(self) -> list[str]:
        return sorted({s.host for s in self.sites.values()})

    def sites_toml(self, user_agent: str = "gkarchive-test/0.1 (+https://example.org/gkarchive)") -> str:
        """A sites file for the province (the crawler's view: slug, entry URL, hosts)."""
        lines = ["[crawler]", f"user_agent = {json.dumps(user_agent)}", "download_delay = 2.0",
                 "concurrent_requests_per_host = 1", ""]
        for slug, site in self.sites.items():
            if slug in self.unlisted:
                continue
            lines += [f"[sites.{slug}]", f"name = {json.dumps(site.name, ensure_ascii=False)}",
                      f'region = "广东省模拟市"', f'group = "{slug.split("-")[0]}"',
                      f"entry_urls = [{json.dumps(site.entry_url)}]",
                      f"allowed_hosts = [{json.dumps(site.host)}]"]
            if slug in self.sid_hints:
                lines.append(f"sid_hint = {json.dumps(self.sid_hints[slug])}")
            lines.append("")
        return "\n".join(lines)

    def write_sites(self, path: Path) -> Path:
        path.write_text(self.sites_toml(), encoding="utf-8")
        return path


def _categories(base: int, with_report_category: bool) -> list[Category]:
    cats = [Category(base, "政府信息公开指南"), Category(base + 1, "工作动态"),
            Category(base + 2, "通知公告")]
    if with_report_category:
        cats.append(Category(base + 3, "政府信息公开年报"))
    return cats


def list_size(rng: random.Random) -> int:
    """A realistic mix: most sites list a few hundred posts, some a few thousand."""
    return rng.choice((40, 80, 120, 150, 250, 300, 450, 600, 900, 1500, 2500))


def build_province(sites: int = 300, hosts: int = 60, seed: int = 1, reports: tuple[int, int] = (1, 4),
                   news: tuple[int, ...] | None = None, pdf: bytes | None = None,
                   big_host_share: float = 0.08) -> Province:
    """``sites`` sites on ``hosts`` hosts (``h00.sim.gd.gov.cn`` …); host 0 holds
    ``big_host_share`` of them (like www.dg.gov.cn), the rest share the remainder unevenly,
    every host at least one. Each site has
    ``reports`` (min, max) annual reports, one attachment each, and news posts (``news``
    cycles through fixed sizes, else :func:`list_size`)."""
    rng = random.Random(f"province:{seed}")
    data = pdf if pdf is not None else REPORT_PDF.read_bytes()
    host_of = _spread(sites, hosts, rng, big_host_share)
    built: dict[str, Site] = {}
    post_id, aid = FIRST_POST_ID, FIRST_ATTACHMENT_ID
    start = datetime(2024, 1, 1, 9, 0)
    for n in range(sites):
        host = f"h{host_of[n]:02d}.sim.gd.gov.cn"
        slug, base_cat = f"sim-s{n:03d}", 1000 + 10 * n
        name = f"模拟市第{n}局"
        site = Site(slug=slug, name=name, host=host, scheme="http", prefix=f"/s{n:03d}",
                    sid=str(900000 + n), entry_url=f"http://{host}/s{n:03d}/gkmlpt/index",
                    annual_category=base_cat + 3, categories=_categories(base_cat, True),
                    escape=Escape.HEX, attachments_at_root=False, portal_column=f"/s{n:03d}/zwgk/")
        count = news[n % len(news)] if news else list_size(rng)
        for k in range(rng.randint(*reports)):
            post_id, aid = post_id + 7, aid + 11
            title = f"{name}{2019 + k}年政府信息公开工作年度报告"
            when = start + timedelta(days=400 * k, minutes=n)
            att = Attachment(aid=aid, name=f"{title}.pdf", ext="pdf",
                             data=data + f"\n% {slug} {k}\n".encode())
            site.posts[post_id] = Post(id=post_id, title=title, classify=site.annual_category,
                                       doc_date=when.date(), published=when, body_html="<p>详见附件。</p>",
                                       attachments=[att], report_year=2019 + k, publisher=name,
                                       genre="报告")
        for k in range(count):
            post_id += 7
            when = start + timedelta(hours=k, minutes=n)
            site.posts[post_id] = Post(id=post_id, title=f"{name}召开第{k}次工作会议",
                                       classify=base_cat + 1, doc_date=when.date(), published=when,
                                       body_html="<p>会议。</p>", publisher=name)
        built[slug] = site
    return Province(sites=built)


def _spread(sites: int, hosts: int, rng: random.Random, share: float) -> list[int]:
    """Host index per site: host 0 gets ``share`` of the sites, every host at least one."""
    big = max(1, int(sites * share))
    order = [0] * big + list(range(1, hosts))
    order += [rng.randrange(1, hosts) for _ in range(sites - len(order))]
    return order[:sites]


def empty_site(slug: str, host: str, scheme: str = "http", prefix: str = "",
               report_category: bool = True, sid: str = "777001") -> Site:
    """A small site (three news posts, one report) for behaviour hosts in tests."""
    province = build_province(sites=1, hosts=1, reports=(1, 1), news=(3,), pdf=b"%PDF-1.4 tiny\n")
    site = next(iter(province.sites.values()))
    site.slug, site.host, site.scheme, site.prefix, site.sid = slug, host, scheme, prefix, sid
    site.entry_url = f"{scheme}://{host}{prefix}/gkmlpt/index"
    site.portal_column = f"{prefix}/zwgk/"
    if not report_category:
        site.categories = [c for c in site.categories if "年报" not in c.name]
        for post in site.posts.values():
            post.classify = site.categories[1].id
            post.report_year = None
    return site


def _latency(url: str, low: float, high: float) -> float:
    digest = int(hashlib.sha256(url.encode()).hexdigest()[:8], 16)
    return low + (high - low) * (digest % 1000) / 999


class ProvinceRouter(Router):
    """The fixture router plus the province's host behaviours, redesigns and latency."""

    def __init__(self, router: Router, province: Province, stopping):
        super().__init__(router.sites, router.faults, router.lock)
        self.province = province
        self.stopping = stopping
        self.answers: dict[tuple, Response] = {}  # a frozen province's answers, by request

    def route(self, req):
        if self.province.latency:
            self.stopping.wait(_latency(req.url, *self.province.latency))
        # A frozen province is served without fault switches (they change answers per attempt).
        if not self.province.frozen or self.faults.switches or req.host not in self._province_hosts:
            return self._answer(req)
        key = (req.scheme, req.host, req.path, tuple(sorted(req.query.items())))
        answer = self.answers.get(key)
        if answer is None:
            answer = self._answer(req)
            if answer.transport is not Transport.NORMAL:
                return answer
            if answer.body and answer.content_type.startswith(TEXT_TYPES):
                answer.gzipped = gzip.compress(answer.body, mtime=0)
            self.answers[key] = answer
        return replace(answer, headers=list(answer.headers))  # the server appends to these

    def warm(self) -> int:
        """Compute a frozen province's answers before serving: every site's robots.txt,
        entry, list pages (whole site and each category) and report detail pages (a list page
        of a 2,500-post site costs milliseconds of the portal's CPU, which a benchmark would
        otherwise take from the crawler). Returns the number of answers."""
        def get(url: str, **query: str) -> None:
            parts = urlsplit(url)
            self.route(Request("GET", parts.scheme, parts.hostname, parts.path, query, {}))

        latency, self.province.latency = self.province.latency, None
        try:
            for site in self.province.sites.values():
                get(f"{site.origin}/robots.txt")
                get(site.entry_url)
                for classify in [0] + [c.id for c in site.categories]:
                    pages = max(1, -(-len(posts_in(site, classify)) // PAGE_SIZE))
                    for page in range(1, pages + 1):
                        get(f"{site.base}/gkmlpt/api/all/{classify}", page=str(page), sid=site.sid)
                for post in site.posts.values():
                    if post.report_year is not None:
                        get(site.origin + site.detail_path(post.id))
        finally:
            self.province.latency = latency
        return len(self.answers)

    @functools.cached_property
    def _province_hosts(self) -> set[str]:
        return set(self.province.hosts())

    def _answer(self, req):
        province = self.province
        behaviour = province.behaviours.get(req.host, Behaviour.NORMAL)
        if behaviour in (Behaviour.GONE, Behaviour.GONE_410):
            status = 410 if behaviour is Behaviour.GONE_410 else 404
            return html(status, pages.error_page(status, "Not Found"))
        if behaviour is Behaviour.HANG:
            return Response(200, transport=Transport.HANG)
        if behaviour is Behaviour.CHALLENGE:
            return html(412, pages.challenge_page())
        if behaviour is Behaviour.REDIRECT:
            target = f"{req.scheme}://{province.redirects[req.host]}{req.path}"
            return Response(301, headers=[("Location", target)])
        if f"{req.host}{req.path}" in province.pages:
            return html(200, province.pages[f"{req.host}{req.path}"])
        if f"{req.host}{req.path}" in province.failing_paths:
            return html(503, pages.error_page(503, "Service Temporarily Unavailable"))
        resp = super().route(req)
        if resp.status == 200 and self._gkmlpt_rest(req, province.redesigned) in SHELLS:
            return html(200, REDESIGNED_SHELL)
        if resp.status == 200 and (self._gkmlpt_rest(req, province.emptied) or "").startswith("api/"):
            # A well-formed answer with nothing in it: the lists moved elsewhere.
            return Response(200, json.dumps({"classify": {}, "total": 0, "offset": 0,
                                             "articles": []}).encode(), "application/json", kind="api")
        return resp

    def _gkmlpt_rest(self, req, slugs: set[str]) -> str | None:
        """The path after ``{prefix}/gkmlpt/`` when ``req`` asks a gkmlpt page of one of the
        sites ``slugs``, else None."""
        for slug in slugs:
            site = self.sites.get(slug)
            if site and site.host == req.host and req.path.startswith(f"{site.prefix}/gkmlpt/"):
                return req.path[len(site.prefix) + len("/gkmlpt/"):]
        return None


class ProvinceCertificates(CertificateStore):
    """The fixture certificates, except for TLS_FAIL hosts: a server context that shares no
    cipher with any client (TLS 1.2 PSK only, no PSK callback), so every handshake fails."""

    def __init__(self, province: Province):
        super().__init__()
        self.province = province

    def context(self, host: str) -> ssl.SSLContext:
        if self.province.behaviours.get(host) is not Behaviour.TLS_FAIL:
            return super().context(host)
        super().context(host)  # writes the host's certificate and key
        failing = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        failing.maximum_version = ssl.TLSVersion.TLSv1_2
        failing.set_ciphers("PSK")
        failing.load_cert_chain(Path(self._dir.name) / f"{host}.pem")
        return failing


def empty_province() -> Province:
    """No extra sites: the fixture portal with the province's switches (redesigns, failing
    paths, latency) available."""
    return Province(sites={})


def install(portal, province: Province):
    """Add ``province`` to ``portal`` (before it starts serving); returns the portal."""
    with portal.lock:
        clash = set(province.sites) & set(portal.sites)
        if clash:
            raise ValueError(f"province slugs clash with fixture sites: {sorted(clash)}")
        portal.sites.update(province.sites)
    portal.app.router = ProvinceRouter(portal.app.router, province, portal.app.stopping)
    portal.app.certs.close()
    portal.app.certs = ProvinceCertificates(province)
    return portal
