"""``gkarchive reextract``: extraction and parsing rerun over stored blobs, offline.

Example::

    >>> print(run_reextract("data/archive.db", sites=["huadu-shiling"], years="2020"))
    run 9 (reextract): 2 documents extracted (2 ok), reports rewritten: 1
"""

from __future__ import annotations

from pathlib import Path

from archive.lock import run_lock
from archive.reports import build_reports, versions
from archive.store import ArchiveWriter
from crawler.selection import parse_year_range


def _older_than(version: str, bound: str) -> bool:
    def parts(v: str) -> tuple[int, ...]:
        return tuple(int(p) for p in v.split(".") if p.isdigit())

    return parts(version) < parts(bound)


def stale_sha256s(db, bound: str) -> set[str]:
    """Blobs whose newest extraction was made by an extractor older than ``bound``."""
    newest: dict[str, str] = {}
    for sha, version in db.execute("SELECT sha256, extractor_version FROM extractions"):
        if sha not in newest or _older_than(newest[sha], version):
            newest[sha] = version
    return {sha for sha, version in newest.items() if _older_than(version, bound)}


def run_reextract(db_path: str | Path, *, sites=None, years=None, since_version=None,
                  missing: bool = False, redis_url: str | None = None) -> str:
    """Re-read stored documents of the selection and rewrite their reports; returns a summary."""
    year_range = parse_year_range(years)
    if not Path(db_path).exists():
        raise ValueError(f"{db_path}: no such archive")
    with run_lock(Path(db_path)):
        writer = ArchiveWriter.open(db_path)
        args = {"sites": sites, "years": year_range, "since_version": since_version,
                "missing": missing,
                "versions": versions()}
        run_id = writer.start_run("reextract", args)
        try:
            only = stale_sha256s(writer.db, since_version) if since_version else None
            built = build_reports(db_path, run_id, sites=sites, years=year_range,
                                  force=only is None and not missing, only_sha256=only,
                                  redis_url=redis_url)
        except BaseException:
            writer.finish_run(run_id, "failed", "exception", {})
            raise
        summary = vars(built)
        writer.finish_run(run_id, "finished", "finished", summary)
        writer.close()
    statuses = ", ".join(f"{n} {k}" for k, n in sorted(built.by_status.items())) or "none"
    return (f"run {run_id} (reextract): {built.extracted} documents extracted ({statuses}), "
            f"reports rewritten: {built.reports}")
