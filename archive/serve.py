"""Serving the archive with datasette, read-only, while a crawl may be writing to it.

Datasette opens a file it was given as mutable with ``file:…?mode=ro``: every connection is
read-only, and in WAL mode readers see each committed unit of work of a concurrent crawl
(``immutable`` would be wrong: it promises SQLite the file never changes). On top of that:
a SQL time limit, no whole-database download, and no writable canned queries.

Example::

    ds = make_datasette("data/archive.db")
    serve("data/archive.db", host="127.0.0.1", port=8001)
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # datasette is imported when a server is made, not by `gkarchive --help`
    from datasette.app import Datasette

DATABASE_NAME = "archive"
SETTINGS = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    "max_returned_rows": 2000,
    "default_page_size": 50,
    "allow_download": False,
    "default_cache_ttl": 0,
}
REQUIRED_TABLES = ("reports", "report_cells", "report_search", "blobs", "attachments")
PLUGIN_NAME = "gkarchive"


def check_archive(path: str | Path) -> Path:
    """The archive at ``path``, or :class:`ArchiveError` when it is absent or not migrated."""
    from archive.db import ArchiveError

    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"{path}: no such archive")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in conn.execute("select name from sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path}: not an archive database ({exc})") from exc
    missing = [t for t in REQUIRED_TABLES if t not in names]
    if missing:
        raise ArchiveError(f"{path}: not a current archive (no {', '.join(missing)}); "
                           "run a gkarchive command that writes to it first")
    return path


def register_plugin() -> None:
    """Register gkarchive's datasette plugin once per process."""
    from datasette.plugins import pm

    import archive.datasette_plugin

    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(archive.datasette_plugin, name=PLUGIN_NAME)


def make_datasette(path: str | Path, *, settings: dict | None = None) -> Datasette:
    """A Datasette over the archive at ``path`` (mutable, read-only connections) as ``archive``."""
    from datasette.app import Datasette
    from datasette.database import Database

    from archive.metadata import build_metadata

    path = check_archive(path)
    register_plugin()
    ds = Datasette(files=[], metadata=build_metadata(DATABASE_NAME),
                   settings={**SETTINGS, **(settings or {})})
    ds.add_database(Database(ds, str(path), is_mutable=True), name=DATABASE_NAME)
    ds.remove_database("_memory")  # added because files=[]: the archive is the only database
    return ds


def serve(path: str | Path, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run datasette on ``host:port`` until interrupted."""
    import asyncio

    import uvicorn

    ds = make_datasette(path)
    asyncio.run(ds.invoke_startup())
    print(f"gkarchive serve: {path} on http://{host}:{port}/ (read-only)", flush=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")


def cmd_serve(args) -> int:
    """Serve the archive read-only with datasette: report, body and health pages, tables,
    canned queries, search, chart.

    A crawl may write to the archive meanwhile; the pages show each committed unit of work.
    /-/report/<site>/<year> shows one report as printed, /-/body/<site> every year of a body,
    /-/health the sites' health; /-/search?q= finds 1–2 character queries too, /-/chart draws
    applications per year, /-/blob/<sha256> downloads an archived document.

    Example: gkarchive serve --db data/archive.db --port 8001
    """
    serve(args.db, host=args.host, port=args.port)
    return 0


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=Path("data/archive.db"), metavar="PATH",
                        help="archive database (default: data/archive.db)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8001, help="port (default: 8001)")


def main(argv: list[str] | None = None) -> int:
    """``python -m archive.serve``: the same as ``gkarchive serve``."""
    parser = argparse.ArgumentParser(prog="gkarchive serve", description=cmd_serve.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_serve_arguments(parser)
    args = parser.parse_args(argv)
    from archive.db import ArchiveError

    try:
        return cmd_serve(args)
    except ArchiveError as exc:
        print(f"gkarchive serve: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
