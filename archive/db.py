"""Opening the archive database: WAL, one writer, ``BEGIN IMMEDIATE`` units of work.

Every write goes through :func:`unit_of_work`, which holds the write lock for the whole unit
(so a crash leaves either all of a unit or none of it) and retries the unit with tenacity
when another process holds the lock (``database is locked``).

Example::

    db = open_db("data/archive.db")
    unit_of_work(db, lambda: db["sites"].upsert({"slug": "dg-fenggang"}, pk="slug"))
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable, TypeVar

import sqlite_utils
from tenacity import retry, retry_if_exception, stop_after_delay, wait_random_exponential

from archive.schema import MIGRATIONS

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000


class ArchiveError(Exception):
    """A problem with the archive file itself (not a crawl failure)."""


def open_db(path: str | Path, *, readonly: bool = False) -> sqlite_utils.Database:
    """Open (and migrate, unless read-only) the archive at ``path``."""
    path = Path(path)
    if readonly:
        if not path.exists():
            raise ArchiveError(f"{path}: no such archive")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                               check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    db = sqlite_utils.Database(conn)
    if not readonly:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            _retrying(lambda: MIGRATIONS.apply(db))
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"{path}: not a usable archive database ({exc})") from exc
    return db


def _is_locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc)
    )


_retry_locked = retry(
    retry=retry_if_exception(_is_locked),
    wait=wait_random_exponential(multiplier=0.05, max=2),
    stop=stop_after_delay(60),
    reraise=True,
)


@_retry_locked
def _retrying(fn: Callable[[], T]) -> T:
    return fn()


def unit_of_work(db: sqlite_utils.Database, fn: Callable[[], T]) -> T:
    """Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction; retry it whole while locked."""

    @_retry_locked
    def attempt() -> T:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn()
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")
        return result

    return attempt()
