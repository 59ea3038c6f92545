"""``gkarchive``: the command line over the archive library. Each command's docstring is its help.

A command imports what it needs when it runs (datasette, Scrapy, the format readers), so
``gkarchive --help`` and ``gkarchive extract FILE`` start fast: keep heavy imports inside the
``cmd_*`` functions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archive import verify, warc
from archive.serve import add_serve_arguments, cmd_serve
from archive.sites import DEFAULT_SITES_FILE, SiteConfigError
from archive.sites_cli import add_sites_commands


def cmd_crawl(args) -> int:
    """Crawl the configured sites into the archive (the nightly job; every platform, one run):
    only new or changed posts are fetched; list pages are always re-read. Exits 1 when a site
    had errors of any kind (zero reports included) or raised an alarm (went silent, changed
    shape).

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
                                     extract=not args.no_extract, browser=args.browser,
                                     settings=_scrapy_overrides(args.set), redis=args.redis),
                         command=args.command)
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
                        since_version=args.since_version, missing=args.missing,
                        redis_url=args.redis))
    return 0


def cmd_worker(args) -> int:
    """Serve distributed runs from their Redis, on any machine; never opens the archive.

    A crawl worker fetches requests of the run `gkarchive crawl --redis` seeded and sends what
    it fetched back through Redis; it serves one run after another until stopped. With
    --extract it runs extraction jobs instead (from `crawl --redis` or `reextract --redis`).

    Example: gkarchive worker --redis redis://10.0.0.5:6379/0 --proxy http://10.1.0.9:3128
    """
    if args.extract:
        from archive.distributed.extraction import run_extract_worker

        run_extract_worker(args.redis, burst=args.once)
        return 0
    from crawler.distributed.worker import run_crawl_worker

    return run_crawl_worker(args.redis, proxy=args.proxy, once=args.once,
                            log_level=args.log_level)


def _add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    _add_redis_argument(parser, required=True)
    parser.add_argument("--extract", action="store_true",
                        help="run extraction jobs instead of crawl requests")
    parser.add_argument("--proxy", metavar="URL",
                        help="send this worker's requests through this HTTP proxy "
                             "(default: the writer's --proxy)")
    parser.add_argument("--once", action="store_true",
                        help="exit after one run (crawl) or once the queue is empty (--extract)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def _add_redis_argument(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument("--redis", metavar="URL", required=required,
                        help="the run's Redis, redis://HOST:PORT/DB: work goes to "
                             "`gkarchive worker` processes there" + ("" if required else
                                                                   " (default: this machine only)"))


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
    _add_redis_argument(parser)


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
    """Read documents: their text (--text), table grids (--tables) or report records (--json).

    FILE may be a PDF, DOCX, DOC, WPS, XLS(X), HTML page, RTF, OFD, ZIP, image, or a plain-text
    extraction (.txt); give several, or folders (every file under them, in path order), to read
    them all in one process. With --json one FILE prints its record as one JSON object; several
    print one record per line (JSON Lines), in order. An unreadable file prints its typed
    status on standard error (its record, empty, is still printed) and the exit status is 1.

    Example: gkarchive extract report.pdf --json
             gkarchive extract reports/ --json > records.jsonl
    """
    import json

    from archive.extract import extract_file, render_tables, render_text
    from archive.extract.files import document_paths
    from archive.report import parse_document

    paths = document_paths(args.files)
    unreadable = 0
    for path in paths:
        doc = extract_file(path)
        if args.mode == "json":
            record = parse_document(doc, path=str(path), sha256=doc.sha256).to_json_dict()
            print(json.dumps(record, ensure_ascii=False, indent=2 if len(paths) == 1 else None),
                  flush=len(paths) > 1)
        else:
            if len(paths) > 1:
                print(f"==> {path} <==")
            print(render_tables(doc) if args.mode == "tables" else render_text(doc))
        if not doc.usable:
            unreadable += 1
            print(f"gkarchive extract: {path}: {doc.status.value}: {doc.reason}", file=sys.stderr)
    return 1 if unreadable else 0


def _add_extract_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", type=Path, nargs="+", metavar="FILE",
                        help="a document, or a folder of documents (repeatable)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--text", dest="mode", action="store_const", const="text",
                      help="print the text, page by page, with how each page was read (default)")
    mode.add_argument("--tables", dest="mode", action="store_const", const="tables",
                      help="print every table grid")
    mode.add_argument("--json", dest="mode", action="store_const", const="json",
                      help="print the report record (cells, checks, sections) as JSON; "
                           "one line per file when there are several")
    parser.set_defaults(mode="text")


def cmd_status(args) -> int:
    """Per site: the last successful run, reports per year, attachments, open failures; then
    the reports of bodies no configured site claims.

    Example: gkarchive status --db data/archive.db
    """
    from archive.db import open_db
    from archive.status import archive_status, format_status, unassigned_summary

    db = open_db(args.db, readonly=True)
    print(format_status(archive_status(db), unassigned_summary(db)))
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
    parser.add_argument("--browser", action="store_true",
                        help="solve JavaScript challenges in headless chromium on every host "
                             "(default: only on sites with browser_challenge = true)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy setting (tests and benchmarks; repeatable)")
    _add_redis_argument(parser)


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
    _add_worker_arguments(_docstring_parser(sub, "worker", cmd_worker))
    add_serve_arguments(_docstring_parser(sub, "serve", cmd_serve))
    verify.add_verify_arguments(_docstring_parser(sub, "verify", verify.cmd_verify))
    warc.add_export_arguments(_docstring_parser(sub, "export", warc.cmd_export_warc))
    add_sites_commands(sub, _docstring_parser)
    return parser


def _reported_errors() -> tuple[type[Exception], ...]:
    """Errors a command reports as a one-line message (exit 2): bad input, and the archive's
    own errors, from whichever of their modules the command loaded (one that raised has)."""
    errors: list[type[Exception]] = [SiteConfigError, ValueError, OSError]
    for module, name in (("archive.db", "ArchiveError"), ("archive.lock", "ArchiveBusy")):
        if module in sys.modules:
            errors.append(getattr(sys.modules[module], name))
    return tuple(errors)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # the reader stopped reading (`| head`): not an error of ours
        return 128 + 13  # what a shell reports for a writer ended by SIGPIPE
    except Exception as exc:  # noqa: BLE001 — re-raised unless it is a reported error
        if not isinstance(exc, _reported_errors()):
            raise
        print(f"gkarchive {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
