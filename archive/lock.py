"""The archive's run lock: crawls, backfills and re-extractions never overlap.

An fcntl lock on ``<db>.lock``: it dies with its process, so whoever holds it next marks runs
a killed process left 'running' as interrupted.

Example::

    with run_lock(Path("data/archive.db")):
        ...  # the only gkarchive run writing this archive
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from archive.store import ArchiveWriter


class ArchiveBusy(RuntimeError):
    """Another crawl, backfill or reextract holds the archive's run lock."""


@contextmanager
def run_lock(db: Path):
    """An exclusive lock beside the archive, so that runs never overlap. The lock dies with
    its process (fcntl), so whoever holds it next marks runs left 'running' as interrupted."""
    path = Path(f"{db}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ArchiveBusy(f"{db}: another gkarchive run is using this archive") from None
        handle.write(str(os.getpid()))
        handle.flush()
        if Path(db).exists():
            writer = ArchiveWriter.open(db)
            try:
                writer.mark_interrupted_runs()
            finally:
                writer.close()
        yield
