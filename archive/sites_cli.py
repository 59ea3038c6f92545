"""``gkarchive sites probe`` and ``gkarchive sites discover``: the commands over the site
catalogue. Each is a few lines over ``archive.probe`` or ``archive.discover``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archive.sites import DEFAULT_SITES_FILE


def cmd_sites(args) -> int:
    """The configured sites: probe their state, discover new ones (see the subcommands).

    Example: gkarchive sites probe --group 东莞市 --db data/archive.db
    """
    args.sites_parser.print_help()
    return 2


def cmd_probe(args) -> int:
    """Fetch each site's shell once, politely (one request at a time per host, hosts in
    parallel, a time budget per host), read SID, TREE, the annual-report category and
    SEARCH_JSONP_URL, and classify the site: ok, moved, gone, challenged, tls_failing,
    unreachable, no_report_category, not_gkmlpt, http_error, refused, skipped. Every probe is
    stored in the archive (table probes). Prints a summary and a proposed diff of the sites
    file, which it never rewrites. Exits 1 when a site is not ok.

    Example: gkarchive sites probe --site 'dg-*' --db data/archive.db > probe.txt
    """
    from archive.probe import ProbeOptions, config_diff, format_probe, run_probe

    summary = run_probe(ProbeOptions(sites=args.site or [], groups=args.group or [],
                                     sites_file=args.sites, db=args.db, proxy=args.proxy,
                                     delay=args.delay, timeout=args.timeout,
                                     host_budget=args.host_budget, log_level=args.log_level))
    if not summary:
        print("probe did not run to the end", file=sys.stderr)
        return 1
    print(format_probe(summary))
    diff = config_diff(args.sites, summary)
    print("\nproposed changes to the sites file (not applied):\n" + (diff or "none"))
    return 0 if set(summary["states"]) <= {"ok"} else 1


def cmd_discover(args) -> int:
    """Propose new sites from pages that list other bodies: gkmlpt guide pages, a city's list
    of departments and towns, other registered page kinds (URL arguments, fetched through the
    crawler), and the unassigned reports of shared portal report columns in the archive.
    Prints proposed sites-file tables to review; the sites file is never rewritten.

    Example: gkarchive sites discover http://www.dg.gov.cn/dgfgz/gkmlpt/guide --db data/archive.db
    """
    from archive.discover import DiscoverOptions, format_proposals, run_discover

    proposals = run_discover(DiscoverOptions(urls=args.url, sites_file=args.sites, db=args.db,
                                             proxy=args.proxy, delay=args.delay,
                                             log_level=args.log_level))
    print(format_proposals(proposals))
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sites", type=Path, default=DEFAULT_SITES_FILE, metavar="FILE",
                        help="sites file (default: config/sites.toml)")
    parser.add_argument("--db", type=Path, default=Path("data/archive.db"), metavar="PATH",
                        help="archive database (default: data/archive.db)")
    parser.add_argument("--proxy", metavar="URL", help="send every request through this HTTP proxy")
    parser.add_argument("--delay", type=float, metavar="SECONDS",
                        help="seconds between requests to one host (default: from the sites file)")
    parser.add_argument("--log-level", default="WARNING",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def add_sites_commands(sub, docstring_parser) -> None:
    """``gkarchive sites`` and its subcommands, on the top-level subparsers ``sub``."""
    sites = docstring_parser(sub, "sites", cmd_sites)
    sites.set_defaults(sites_parser=sites)
    commands = sites.add_subparsers(dest="sites_command")
    probe = docstring_parser(commands, "probe", cmd_probe)
    probe.add_argument("--site", action="append", metavar="SLUG",
                       help="a slug, a glob ('dg-*') or a group (repeatable; default: all enabled)")
    probe.add_argument("--group", action="append", metavar="GROUP", help="a group, e.g. 东莞市")
    probe.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                       help="seconds per request (default 20)")
    probe.add_argument("--host-budget", type=float, default=120.0, metavar="SECONDS",
                       help="seconds per host for all its sites (default 120)")
    _common(probe)
    discover = docstring_parser(commands, "discover", cmd_discover)
    discover.add_argument("url", nargs="*", metavar="URL",
                          help="pages to read (guide pages, lists of departments and towns …)")
    _common(discover)
