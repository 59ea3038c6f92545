"""The ``hostile_links`` and ``gzip_bomb`` switches: what a compromised or broken portal could
serve to turn the crawler against other hosts, the local network, the filesystem or memory.

``hostile_links`` (all on dg-fenggang, so a one-site crawl sees every case):

- the 2023 report's body links an attachment on loopback, private and link-local addresses,
  ``file:``, ``ftp:``, an unknown host, and a host the portal serves for *another* site;
- the 2023 report's ``attachment[]`` also names a real attachment ``../../etc/passwd\\0.pdf``
  (served normally: the name is data, never a path);
- the 2021 report's detail page answers ``302`` to an unknown host.

``gzip_bomb``: the 2022 report's .doc is answered with 256 MiB of zeros, gzip-encoded
(about 250 KB on the wire), asked for or not.

Example::

    add_hostile_links(sites)          # Portal() does this when the switch is on
    hostile_errors(sites["dg-fenggang"], redirect_url)   # the refusals the crawler must record
"""

from __future__ import annotations

import functools
import zlib

from .model import Attachment, ErrorKind, ExpectedError, Site

HOSTILE_SITE = "dg-fenggang"
HOSTILE_BODY_YEAR = 2023  # body links to forbidden places, and the hostile file name
HOSTILE_REDIRECT_YEAR = 2021  # detail page redirects off-site
GZIP_BOMB = ("dg-fenggang", 2022)  # (slug, report year) whose .doc is the bomb
BOMB_BYTES = 256 * 1024 * 1024  # decompressed size: above Scrapy's DOWNLOAD_MAXSIZE default
HOSTILE_NAME = "../../etc/passwd\x00.pdf"
HOSTILE_NAME_BYTES = b"%PDF-1.4\n% served under a hostile file name\n%%EOF\n"
REDIRECT_TARGET = "http://evil.example.com/steal?from=gkmlpt"
# Every URL the crawler must refuse without sending a byte (the last one is a real portal host,
# allowed for huadu sites but not for dg-fenggang; nothing is served at that path).
HOSTILE_URLS = (
    "http://127.0.0.1/attachment/0/1/1/1.pdf",
    "http://[::1]/attachment/0/1/2/1.pdf",
    "http://10.0.0.1/attachment/0/1/3/1.pdf",
    "http://192.168.1.1/attachment/0/1/4/1.pdf",
    "http://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd",
    "ftp://www.dg.gov.cn/attachment/0/1/5/1.pdf",
    "http://evil.example.com/attachment/0/1/6/1.pdf",
    "https://www.huadu.gov.cn/gzhdslz/attachment/0/1/7/1.pdf",
)


def _report(site: Site, year: int):
    return next(p for p in site.posts.values() if p.report_year == year)


def add_hostile_links(sites: dict[str, Site]) -> None:
    """Add the hostile body links and the hostile-named attachment to the fixture data."""
    site = sites[HOSTILE_SITE]
    post = _report(site, HOSTILE_BODY_YEAR)
    links = "".join(f'<p><a class="nfw-cms-attachment" href="{url}" alt="附件{n}.pdf">附件{n}.pdf</a></p>'
                    for n, url in enumerate(HOSTILE_URLS, 1))
    post.body_html += links
    aid = max(a.aid for s in sites.values() for p in s.posts.values() for a in p.attachments) + 7
    # A NUL cannot travel in HTML: the name is only in attachment[] (JSON escapes it).
    post.attachments.append(Attachment(aid=aid, name=HOSTILE_NAME, ext="pdf",
                                       data=HOSTILE_NAME_BYTES, in_body=False))


def redirect_url(sites: dict[str, Site]) -> str:
    """The detail page that ``hostile_links`` turns into a redirect off-site."""
    site = sites[HOSTILE_SITE]
    return site.detail_url(_report(site, HOSTILE_REDIRECT_YEAR))


def bomb_url(sites: dict[str, Site]) -> str:
    """The attachment that ``gzip_bomb`` replaces."""
    site = sites[GZIP_BOMB[0]]
    post = _report(site, GZIP_BOMB[1])
    return site.attachment_url(post.id, next(a for a in post.attachments if a.ext == "doc"))


def hostile_errors(site: Site) -> tuple[ExpectedError, ...]:
    """The refusals ``hostile_links`` makes the crawler record for ``site``."""
    if site.slug != HOSTILE_SITE:
        return ()
    urls = (*HOSTILE_URLS, REDIRECT_TARGET)
    return tuple(ExpectedError(url, ErrorKind.REFUSED) for url in urls)


@functools.cache
def gzip_bomb_body() -> bytes:
    """``BOMB_BYTES`` zeros as one gzip member, compressed in 1 MiB steps (never whole)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1024 * 1024)
    parts = [packer.compress(chunk) for _ in range(BOMB_BYTES // len(chunk))]
    return b"".join(parts) + packer.flush()
