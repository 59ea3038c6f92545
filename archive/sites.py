"""The sites to crawl: ``config/sites.toml``, loaded into typed, validated records.

Each ``[sites.<slug>]`` table is one site; its ``platform`` (``gkmlpt`` by default, see
``PLATFORMS``) says which spider crawls it. The slug names everything: the config key,
the ``site`` column of the archive, fixture folders and test ids. A bad entry is reported
with the file, the site and the field.

Example::

    [crawler]
    user_agent = "gkarchive/0.1 (+https://example.org/gkarchive)"

    [sites.huadu-shiling]
    name = "广州市花都区狮岭镇人民政府"
    region = "广东省广州市花都区"
    entry_urls = ["https://www.huadu.gov.cn/gzhdslz/gkmlpt/annualreport#6198"]
    allowed_hosts = ["www.huadu.gov.cn"]

    >>> config = load_sites("config/sites.toml")
    >>> config.sites["huadu-shiling"].entry_urls[0]
    >>> [s.slug for s in config.select(["dg-*"])]        # a glob
    >>> [s.slug for s in config.select(None, ["东莞市"])]  # a group
"""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatchcase
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

PLATFORMS = ("gkmlpt", "ucap")  # one spider each: crawler/spiders/<platform>.py
DEFAULT_SITES_FILE = Path(__file__).resolve().parent.parent / "config" / "sites.toml"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
DEFAULT_USER_AGENT = (
    "gkarchive/0.1 (+https://github.com/gkarchive/gkarchive; "
    "archiving government information-disclosure annual reports)"
)
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)


class SiteConfigError(ValueError):
    """A bad ``sites.toml``: the message names the file, the site and the field."""


@dataclass(frozen=True)
class SiteConfig:
    """One site as configured."""

    slug: str
    name: str
    region: str
    entry_urls: tuple[str, ...]
    allowed_hosts: tuple[str, ...]
    enabled: bool = True
    disabled_reason: str = ""
    browser_ua: bool = False  # the host resets connections for non-browser User-Agents
    http_only: bool = False  # the host fails TLS from Python: rewrite https:// to http://
    browser_challenge: bool = False  # a JavaScript challenge may be solved (engine, then browser)
    obey_robots: bool = True
    report_category: int | None = None  # annual-report category id, when no entry URL names it
    aliases: tuple[str, ...] = ()  # other names the body's reports use (shared portal columns)
    notes: str = ""
    platform: str = "gkmlpt"  # which spider crawls it: one of PLATFORMS
    group: str = ""  # the city block (东莞市, 省直 …) for --group; derived from region if unset
    sid_hint: str = ""  # window._CONFIG.SID as last seen (catalogue or probe); the shell decides

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CrawlerDefaults:
    """The ``[crawler]`` table: defaults for every site."""

    user_agent: str = DEFAULT_USER_AGENT
    download_delay: float = 2.0
    concurrent_requests_per_host: int = 1


@dataclass(frozen=True)
class SitesFile:
    path: Path
    crawler: CrawlerDefaults
    sites: dict[str, SiteConfig] = field(default_factory=dict)

    def select(self, slugs: list[str] | None, groups: list[str] | None = None,
               platform: str | None = None) -> list[SiteConfig]:
        """The sites named by ``slugs`` and ``groups`` (all enabled sites when both are empty
        or ``slugs`` is ``["all"]``), only those of ``platform`` when one is given. A slug
        names one site, enabled or not (naming a site of another platform is an error); a
        glob (``dg-*``) or a group name (``东莞市``, in ``slugs`` or ``groups``) names the
        enabled sites it matches. A name that matches nothing is an error."""
        names = [s for s in slugs or [] if s != "all"] + list(groups or [])
        if not names:
            return [s for s in self.sites.values()
                    if s.enabled and platform in (None, s.platform)]
        chosen: dict[str, SiteConfig] = {}
        unknown = []
        for name in names:
            matched = self._match(name)
            if not matched:
                unknown.append(name)
            chosen.update((site.slug, site) for site in matched)
        if unknown:
            raise SiteConfigError(
                f"{self.path}: unknown site(s) or group(s) {', '.join(unknown)}; "
                f"groups: {', '.join(sorted(self.groups()))}"
            )
        other = [s for s in names
                 if s in self.sites and platform not in (None, self.sites[s].platform)]
        if other:
            raise SiteConfigError(
                f"{self.path}: site(s) {', '.join(other)} are not {platform} sites "
                f"(platform {', '.join(sorted({self.sites[s].platform for s in other}))})")
        return [site for site in chosen.values() if platform in (None, site.platform)]

    def groups(self) -> dict[str, list[str]]:
        """Group name → slugs of its sites (enabled or not)."""
        groups: dict[str, list[str]] = {}
        for site in self.sites.values():
            groups.setdefault(site.group, []).append(site.slug)
        return groups

    def _match(self, name: str) -> list[SiteConfig]:
        if name in self.sites:
            return [self.sites[name]]
        if any(c in name for c in "*?["):
            return [s for s in self.sites.values() if s.enabled and fnmatchcase(s.slug, name)]
        return [s for s in self.sites.values() if s.enabled and s.group == name]


def load_sites(path: str | Path = DEFAULT_SITES_FILE) -> SitesFile:
    """Read and validate a sites file; raise :class:`SiteConfigError` on the first bad entry."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SiteConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SiteConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"crawler", "sites"}
    if unknown:
        raise SiteConfigError(f"{path}: unknown top-level table(s): {', '.join(sorted(unknown))}")
    crawler = _crawler_defaults(path, data.get("crawler", {}))
    sites_table = data.get("sites")
    if not isinstance(sites_table, dict) or not sites_table:
        raise SiteConfigError(f"{path}: no [sites.<slug>] tables")
    sites = {slug: _site(path, slug, entry) for slug, entry in sites_table.items()}
    return SitesFile(path=path, crawler=crawler, sites=sites)


def _crawler_defaults(path: Path, table: dict) -> CrawlerDefaults:
    allowed = {f.name: f.type for f in fields(CrawlerDefaults)}
    for key in table:
        if key not in allowed:
            raise SiteConfigError(f"{path}: [crawler]: unknown field '{key}'")
    defaults = CrawlerDefaults(**table)
    if not isinstance(defaults.download_delay, (int, float)) or defaults.download_delay < 1.0:
        raise SiteConfigError(f"{path}: [crawler]: field 'download_delay' must be >= 1.0 seconds")
    if not isinstance(defaults.user_agent, str) or "http" not in defaults.user_agent:
        raise SiteConfigError(f"{path}: [crawler]: field 'user_agent' must name a contact URL")
    return defaults


_FIELD_TYPES = {
    "name": str, "region": str, "entry_urls": list, "allowed_hosts": list, "enabled": bool,
    "disabled_reason": str, "browser_ua": bool, "http_only": bool, "browser_challenge": bool,
    "obey_robots": bool, "report_category": int, "notes": str, "aliases": list, "platform": str,
    "group": str, "sid_hint": str,
}
_REQUIRED = ("name", "region", "entry_urls", "allowed_hosts")


def _site(path: Path, slug: str, entry: object) -> SiteConfig:
    def bad(field_name: str, message: str) -> SiteConfigError:
        return SiteConfigError(f"{path}: site '{slug}': field '{field_name}': {message}")

    if not SLUG_RE.match(slug):
        raise SiteConfigError(f"{path}: site '{slug}': the slug must be lowercase words joined by '-'")
    if not isinstance(entry, dict):
        raise SiteConfigError(f"{path}: site '{slug}': must be a table")
    for key, value in entry.items():
        expected = _FIELD_TYPES.get(key)
        if expected is None:
            raise bad(key, "unknown field")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise bad(key, f"must be {expected.__name__}, got {type(value).__name__}")
    for key in _REQUIRED:
        if key not in entry or not entry[key]:
            raise bad(key, "required")
    hosts = tuple(entry["allowed_hosts"])
    for host in hosts:
        if not isinstance(host, str) or not HOST_RE.match(host):
            raise bad("allowed_hosts", f"{host!r} is not a host name")
    for url in entry["entry_urls"]:
        _check_entry_url(url, hosts, bad)
    if entry.get("platform", "gkmlpt") not in PLATFORMS:
        raise bad("platform", f"{entry['platform']!r} is not one of {', '.join(PLATFORMS)}")
    if entry.get("platform") == "ucap":
        _check_ucap_entry_urls(entry["entry_urls"], bad)
    if entry.get("enabled", True) is False and not entry.get("disabled_reason"):
        raise bad("disabled_reason", "a disabled site must say why")
    aliases = tuple(entry.get("aliases", ()))
    if not all(isinstance(a, str) and a.strip() for a in aliases):
        raise bad("aliases", "must be a list of non-empty names")
    if entry.get("sid_hint") and not str(entry["sid_hint"]).isdigit():
        raise bad("sid_hint", f"{entry['sid_hint']!r} is not digits")
    values = {k: v for k, v in entry.items()
              if k not in ("entry_urls", "allowed_hosts", "aliases")}
    values["group"] = values.get("group") or group_of_region(entry["region"])
    if not values["group"]:
        raise bad("group", f"required: region {entry['region']!r} names no city")
    return SiteConfig(slug=slug, entry_urls=tuple(entry["entry_urls"]), allowed_hosts=hosts,
                      aliases=aliases, **values)


PROVINCE_GROUP = "省直"
_CITY_RE = re.compile(r"^[^省]{2,3}省([^省市]{1,4}?市)")


def group_of_region(region: str) -> str:
    """The city block of a region: 广东省东莞市凤岗镇 → 东莞市, 江西省赣州市… → 赣州市;
    广东省 alone → 省直."""
    match = _CITY_RE.match(region)
    if match:
        return match.group(1)
    return PROVINCE_GROUP if region.strip() == "广东省" else ""


def _check_entry_url(url: object, hosts: tuple[str, ...], bad) -> None:
    if not isinstance(url, str):
        raise bad("entry_urls", f"{url!r} is not a string")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad("entry_urls", f"{url} is not an http(s) URL")
    if parts.hostname not in hosts:
        raise bad("entry_urls", f"{url}: host {parts.hostname} is not in allowed_hosts")
    if "/gkmlpt/" not in parts.path and parts.fragment:
        raise bad("entry_urls", f"{url}: a category fragment needs a /gkmlpt/ URL")


def _check_ucap_entry_urls(urls: list[str], bad) -> None:
    """A UCAP entry is a column: its folder, one of its list pages, or a unit shell."""
    from crawler.platforms import PlatformError
    from crawler.platforms.ucap import column_of

    for url in urls:
        try:
            column_of(url)
        except PlatformError as exc:
            raise bad("entry_urls", str(exc)) from None
