"""Finding UCAP units' 年度报告 columns from a disclosure directory page, as proposed
``config/sites.toml`` rows.

From the directory (e.g. ``https://gzjkq.ganzhou.gov.cn/jkqxxgk/``) each unit link is followed
(the ``xxgk.shtml?code=…&temp=…`` shells included) to the unit's 年度报告 column, found by its
anchor text or, failing that, by the breadcrumb of the unit's own list; the column's list
template is the first of the doc's names that answers with items. The pages are read with an
injected ``fetch(url) -> (status, text)``, so the walk is tested against the simulated portal
and used by ``gkarchive sites discover`` with :func:`polite_fetcher`.

Example::

    rows = discover_ucap_units("https://gzjkq.ganzhou.gov.cn/jkqxxgk/",
                               polite_fetcher(proxy="http://127.0.0.1:8600"))
    print("\\n\\n".join(row.to_toml() for row in rows))
"""

from __future__ import annotations

import json
import re
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

from archive.sites import DEFAULT_USER_AGENT
from crawler.platforms import PlatformError, ucap

Fetch = Callable[[str], tuple[int, str]]


@dataclass(frozen=True)
class ProposedSite:
    """A config row for one unit's report column, with what it was found by."""

    slug: str
    name: str
    region: str
    entry_url: str
    allowed_hosts: tuple[str, ...]
    template: str
    unit: str
    found_by: str  # "anchor" (a 年度报告 link on the unit's page) or "breadcrumb"
    reports_listed: int  # items on the column's first page that look like reports
    notes: list[str] = field(default_factory=list)

    def to_toml(self) -> str:
        q = lambda s: json.dumps(s, ensure_ascii=False)  # noqa: E731  TOML basic strings
        return "\n".join([
            f"[sites.{self.slug}]", 'platform = "ucap"', f"name = {q(self.name)}",
            # region and group are the directory's site name: review them against the config
            f"region = {q(self.region)}", f"group = {q(self.region)}",
            f"entry_urls = [{q(self.entry_url)}]",
            f"allowed_hosts = [{', '.join(q(h) for h in self.allowed_hosts)}]",
            f"notes = {q(f'{self.unit}: list template {self.template}, found by {self.found_by}')}",
        ])


def discover_ucap_units(directory_url: str, fetch: Fetch) -> list[ProposedSite]:
    """Proposed rows for every unit of a UCAP disclosure directory that has a 年度报告 column
    (units without one are left out); raises PlatformError when the directory cannot be read."""
    status, page = fetch(directory_url)
    if status != 200:
        raise PlatformError(f"{directory_url} answered HTTP {status}")
    zone = _site_name(page)
    host = urlsplit(directory_url).hostname or ""
    proposed, seen = [], set()
    for link in ucap.page_links(page, directory_url):
        if urlsplit(link.url).hostname != host or not _is_unit_link(link.url, directory_url):
            continue
        found = _report_column(link, fetch)
        if found is None or found[0].base in seen:
            continue
        column, template, found_by, reports = found
        seen.add(column.base)
        code = column.base.rstrip("/").rsplit("/", 1)[-1]
        proposed.append(ProposedSite(
            slug=f"{host.split('.')[0]}-{code}".lower().replace("_", "-"),
            name=f"{zone}{link.text}" if zone and not link.text.startswith(zone) else link.text,
            region=zone, entry_url=column.base, allowed_hosts=(host,), template=template,
            unit=link.text, found_by=found_by, reports_listed=reports))
    return proposed


def _is_unit_link(url: str, directory_url: str) -> bool:
    """A unit's shell or directory page under the directory's site code; not a list or a post."""
    if ucap.shell_column(url):
        return True
    path, root = urlsplit(url).path, urlsplit(directory_url).path
    return path.startswith(root) and path != root and ucap.post_id_of(url) is None \
        and not ucap.LIST_FILE_RE.match(path.rsplit("/", 1)[-1])


def _report_column(link: ucap.Link, fetch: Fetch):
    """(column, template, found_by, reports listed) of a unit, or None."""
    status, page = fetch(link.url)
    if status == 200:
        for candidate in ucap.page_links(page, link.url):
            if ucap.is_report_column_name(candidate.text):
                listed = _first_listing(ucap.column_of(candidate.url), fetch)
                if listed:
                    return listed[0], listed[1], "anchor", _reports(listed[2])
    shell = ucap.shell_column(link.url)
    if shell:  # the shell's own column may be the report column: its breadcrumb says so
        listed = _first_listing(shell, fetch)
        if listed and ucap.is_report_column_name((ucap.crumb_names(listed[3]) or [""])[-1]):
            return listed[0], listed[1], "breadcrumb", _reports(listed[2])
    return None


def _first_listing(column: ucap.Column, fetch: Fetch):
    """(column, template, items, page) of the first template answering with items."""
    order = tuple(dict.fromkeys(((column.template,) if column.template else ()) + ucap.LIST_TEMPLATES))
    for template in order:
        url = ucap.list_page_url(column, template, 1)
        status, page = fetch(url)
        if status == 200:
            items = ucap.parse_list_page(page, url).items
            if items:
                return ucap.Column(column.base, template), template, items, page
    return None


def _reports(items) -> int:
    from crawler.selection import is_annual_report_title

    return sum(is_annual_report_title(item.title, in_report_category=True) for item in items)


def _site_name(page: str) -> str:
    match = re.search(r"""<meta\s+name=["']SiteName["']\s+content=["']([^"']+)""", page)
    return match.group(1).strip() if match else ""


def polite_fetcher(proxy: str | None = None, user_agent: str = DEFAULT_USER_AGENT,
                   delay: float = 1.0, timeout: float = 60.0) -> Fetch:
    """``fetch(url) -> (status, text)`` over urllib: ``delay`` seconds between requests, the
    project's User-Agent, an optional proxy; certificates are not verified (some hosts need
    legacy TLS), and a network failure is status 0 with the reason as text."""
    handlers = [urllib.request.HTTPSHandler(context=_lenient_tls())]
    if proxy:
        handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy}))
    opener = urllib.request.build_opener(*handlers)
    last = [0.0]

    def fetch(url: str) -> tuple[int, str]:
        wait = last[0] + delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        last[0] = time.monotonic()
        request = urllib.request.Request(url, headers={"User-Agent": user_agent})
        try:
            with opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as exc:
            return 0, str(exc)

    return fetch


def _lenient_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
