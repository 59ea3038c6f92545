"""``gkarchive``: the command line over the archive library. Each command's docstring is its help."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archive import verify, warc
from archive.lock import ArchiveBusy
from archive.serve import add_serve_arguments, cmd_serve
from archive.db import ArchiveError
from archive.sites import DEFAULT_SITES_FILE, SiteConfigError
from archive.sites_cli import add_sites_commands


def cmd_crawl(args) -> int:
    """Crawl gkmlpt sites into the archive (the nightly job): only new or changed posts are
    fetched; list pages are always re-read. Exits 1 when a site had errors of any kind (zero
    reports included) or raised an alarm (went silent, changed shape).

    Example: gkarchive crawl --group 东莞市 --json-summary data/last-run.json
    """
    from archive.crawl import CrawlOptions, run_crawl
    from archive.summary import format_summary

    years = args.year or args.years
    if args.command == "backfill" and not years:
        raise ValueError("backfill needs --year Y or --years Y1-Y2")
    summary = run_crawl(CrawlOptions(sites=args.site or [], groups=args.group or [],
                                     years=years, sites_file=args.sites,
                                     db=args.db, proxy=args.proxy, delay=args.delay,
                                     log_level=args.log_level, revisit=args.revisit,
                                     extract=not args.no_extract,
                                     settings=_scrapy_overrides(args.set)), command=args.command)
    if args.json_summary:
        _write_json(args.json_summary, summary or {"finished": False})
    if not summary:
        print("crawl did not run to the end", file=sys.stderr)
        return 1
    print(format_summary(summary))
    return 1 if summary["sites_with_errors"] or summary.get("alarms") else 0


def _write_json(path: Path, data: dict) -> None:
    """Write ``data`` whole or not at all (a cron job may read it at any moment)."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    partial.replace(path)


def cmd_backfill(args) -> int:
    """Backfill past years: reports of those years only, fetching what is missing or failed.

    Example: gkarchive backfill --years 2019-2021 --site dg-fenggang
    """
    return cmd_crawl(args)


def cmd_reextract(args) -> int:
    """Rerun extraction and parsing over stored bytes, offline; new results beside the old.

    By default every document of the selection is read again, even one already extracted by
    the current extractor and parser versions; --since-version VERSION re-reads only those last
    extracted by an older extractor, --missing only those never extracted by the current ones
    (e.g. after `crawl --no-extract`).

    Example: gkarchive reextract --site huadu-shiling --year 2020
    """
    from archive.reextract import run_reextract

    print(run_reextract(args.db, sites=args.site, years=args.year or args.years,
                        since_version=args.since_version, missing=args.missing))
    return 0


def _add_reextract_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", action="append", metavar="SLUG", help="only this site (repeatable)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--year", help="only reports of this year")
    group.add_argument("--years", help="only reports of these years, e.g. 2019-2021")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--since-version", metavar="VERSION",
                       help="only documents whose newest extraction is older than VERSION")
    which.add_argument("--missing", action="store_true",
                       help="only documents not yet extracted by the current versions")
    _add_db_argument(parser)


def cmd_provenance(args) -> int:
    """Show where one report cell came from: extraction, blob, fetch, the pages leading to it,
    the run and the site's config entry.

    Example: gkarchive provenance --site huadu-shiling --year 2020 --key t3.new_received.total
    """
    import json

    from archive.db import open_db
    from archive.provenance import cell_provenance

    chain = cell_provenance(open_db(args.db, readonly=True), args.site, args.year, args.key)
    if chain is None:
        print(f"gkarchive provenance: no cell {args.key} for {args.site} {args.year}", file=sys.stderr)
        return 1
    print(json.dumps(chain, ensure_ascii=False, indent=2))
    return 0


def _add_provenance_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", required=True, metavar="SLUG")
    parser.add_argument("--year", required=True, type=int)
    parser.add_argument("--key", required=True, help="a canonical key, e.g. t3.new_received.total")
    _add_db_argument(parser)


def cmd_extract(args) -> int:
    """Read one document: its text (--text), table grids (--tables) or report record (--json).

    FILE may be a PDF, DOCX, DOC, WPS, XLS(X), HTML page, RTF, OFD, ZIP, image, or a plain-text
    extraction (.txt). An unreadable file prints its typed status and exits 1.

    Example: gkarchive extract report.pdf --json
    """
    import json

    from archive.extract import extract_file, render_tables, render_text
    from archive.report import parse_document

    doc = extract_file(args.file)
    if args.mode == "text":
        print(render_text(doc))
    elif args.mode == "tables":
        print(render_tables(doc))
    else:
        record = parse_document(doc, path=str(args.file), sha256=doc.sha256)
        print(json.dumps(record.to_json_dict(), ensure_ascii=False, indent=2))
    if not doc.usable:
        print(f"gkarchive extract: {args.file}: {doc.status.value}: {doc.reason}", file=sys.stderr)
        return 1
    return 0


def _add_extract_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--text", dest="mode", action="store_const", const="text",
                      help="print the text, page by page, with how each page was read (default)")
    mode.add_argument("--tables", dest="mode", action="store_const", const="tables",
                      help="print every table grid")
    mode.add_argument("--json", dest="mode", action="store_const", const="json",
                      help="print the report record (cells, checks, sections) as JSON")
    parser.set_defaults(mode="text")


def cmd_status(args) -> int:
    """Per site: the last successful run, reports per year, attachments, open failures.

    Example: gkarchive status --db data/archive.db
    """
    from archive.db import open_db
    from archive.status import archive_status, format_status

    print(format_status(archive_status(open_db(args.db, readonly=True))))
    return 0


def _add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=Path("data/archive.db"), metavar="PATH",
                        help="archive database (default: data/archive.db)")


def _add_crawl_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", action="append", metavar="SLUG",
                        help="a site slug, a glob such as 'dg-*' or a group such as 东莞市 "
                             "(repeatable; default: all enabled)")
    parser.add_argument("--group", action="append", metavar="GROUP",
                        help="every enabled site of this group, e.g. 东莞市 or 省直 (repeatable)")
    parser.add_argument("--json-summary", type=Path, metavar="FILE",
                        help="also write the run summary (sites, errors, alarms) as JSON here")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--year", help="only reports of this year, e.g. 2020")
    group.add_argument("--years", help="only reports of these years, e.g. 2019-2021")
    parser.add_argument("--sites", type=Path, default=DEFAULT_SITES_FILE, metavar="FILE",
                        help="sites file (default: config/sites.toml)")
    _add_db_argument(parser)
    parser.add_argument("--proxy", metavar="URL",
                        help="send every request through this HTTP proxy (e.g. the simulated portal)")
    parser.add_argument("--delay", type=float, metavar="SECONDS",
                        help="seconds between requests to one host (default: from the sites file)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--revisit", action="store_true",
                        help="fetch every known post again, with conditional requests where the "
                             "server gave validators (default: only new or changed posts)")
    parser.add_argument("--no-extract", action="store_true",
                        help="archive the bytes only; extract later with `gkarchive reextract --missing`")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy setting (tests and benchmarks; repeatable)")


def _scrapy_overrides(pairs: list[str]) -> dict:
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isupper():
            raise ValueError(f"--set wants NAME=VALUE with an upper-case Scrapy setting, got {pair!r}")
        overrides[name] = value
    return overrides


def _docstring_parser(sub, name: str, func) -> argparse.ArgumentParser:
    doc = func.__doc__ or ""
    summary = " ".join(doc.strip().split("\n\n")[0].split())
    parser = sub.add_parser(name, help=summary, description=doc,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=func)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gkarchive",
        description="Archive of Chinese government information-disclosure annual reports.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_crawl_arguments(_docstring_parser(sub, "crawl", cmd_crawl))
    _add_crawl_arguments(_docstring_parser(sub, "backfill", cmd_backfill))
    _add_reextract_arguments(_docstring_parser(sub, "reextract", cmd_reextract))
    _add_extract_arguments(_docstring_parser(sub, "extract", cmd_extract))
    _add_db_argument(_docstring_parser(sub, "status", cmd_status))
    _add_provenance_arguments(_docstring_parser(sub, "provenance", cmd_provenance))
    add_serve_arguments(_docstring_parser(sub, "serve", cmd_serve))
    verify.add_verify_arguments(_docstring_parser(sub, "verify", verify.cmd_verify))
    warc.add_export_arguments(_docstring_parser(sub, "export", warc.cmd_export_warc))
    add_sites_commands(sub, _docstring_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (SiteConfigError, ArchiveError, ArchiveBusy, ValueError, OSError) as exc:
        print(f"gkarchive {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
