"""``gkarchive verify``: is every stored byte still what the archive says it is?

Read-only checks of one archive file:

- every blob is rehashed, streamed in 1 MiB chunks through SQLite's incremental blob I/O (a
  blob can be hundreds of MB; no blob is ever loaded whole): a *mismatch* is a blob whose
  content does not hash to its ``sha256`` key or whose length is not its ``size``;
- *orphans*: blobs that nothing references;
- *dangling references*: a ``sha256`` column (``fetches``, ``attachments``, and any table a
  later migration adds with a foreign key to ``blobs``) naming a blob that is not there;
- ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check``.

The referencing columns are read from the schema's foreign keys, so new tables that point at
``blobs`` are checked without touching this module.

Example::

    >>> result = verify_archive(open_db("data/archive.db", readonly=True))
    >>> print(format_verify(result))  # "verify: clean" on the last line when all is well
"""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

CHUNK_SIZE = 1 << 20


@dataclass(frozen=True)
class BlobMismatch:
    """A blob whose content no longer matches its key or its recorded size."""

    sha256: str
    size: int
    actual_sha256: str
    actual_size: int


@dataclass(frozen=True)
class DanglingReference:
    """A row whose ``column`` names a blob that is not in ``blobs``."""

    table: str
    column: str
    rowid: int
    sha256: str


@dataclass(frozen=True)
class ForeignKeyViolation:
    """One row of ``PRAGMA foreign_key_check``."""

    table: str
    rowid: int | None
    parent: str
    fkid: int


@dataclass
class VerifyResult:
    """What ``verify_archive`` found: counts, and every problem as a record."""

    blobs_checked: int = 0
    bytes_checked: int = 0
    references: list[tuple[str, str]] = field(default_factory=list)  # (table, column) → blobs
    mismatches: list[BlobMismatch] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    dangling: list[DanglingReference] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)  # integrity_check lines other than "ok"
    foreign_keys: list[ForeignKeyViolation] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.mismatches or self.orphans or self.dangling or self.integrity
                    or self.foreign_keys)


def verify_archive(db) -> VerifyResult:
    """Run every check on the archive ``db`` (a sqlite-utils Database, ideally read-only).

    >>> verify_archive(open_db("data/archive.db", readonly=True)).clean
    True
    """
    conn = db.conn
    result = VerifyResult(references=blob_references(conn))
    result.integrity = [line for (line,) in conn.execute("PRAGMA integrity_check")
                        if line != "ok"]
    result.foreign_keys = [ForeignKeyViolation(table, rowid, parent, fkid) for
                           table, rowid, parent, fkid in conn.execute("PRAGMA foreign_key_check")]
    result.dangling = dangling_references(conn, result.references)
    result.orphans = orphan_blobs(conn, result.references)
    for rowid, sha256, size in conn.execute("SELECT rowid, sha256, size FROM blobs ORDER BY rowid"):
        actual_sha256, actual_size = rehash_blob(conn, rowid)
        result.blobs_checked += 1
        result.bytes_checked += actual_size
        if actual_sha256 != sha256 or actual_size != size:
            result.mismatches.append(BlobMismatch(sha256, size, actual_sha256, actual_size))
    return result


def blob_references(conn) -> list[tuple[str, str]]:
    """Every (table, column) with a foreign key to ``blobs``, from the schema.

    >>> blob_references(conn)
    [('attachments', 'sha256'), ('fetches', 'sha256')]
    """
    tables = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return [(table, fk[3]) for table in tables
            for fk in conn.execute(f"PRAGMA foreign_key_list({_quote(table)})")
            if fk[2] == "blobs"]


def dangling_references(conn, references: list[tuple[str, str]]) -> list[DanglingReference]:
    """Rows whose blob column names a missing blob.

    >>> dangling_references(conn, [("fetches", "sha256")])
    [DanglingReference(table='fetches', column='sha256', rowid=7, sha256='ab12…')]
    """
    found = []
    for table, column in references:
        query = (f"SELECT t.rowid, t.{_quote(column)} FROM {_quote(table)} t "
                 f"WHERE t.{_quote(column)} IS NOT NULL AND NOT EXISTS "
                 f"(SELECT 1 FROM blobs b WHERE b.sha256 = t.{_quote(column)}) ORDER BY t.rowid")
        found += [DanglingReference(table, column, rowid, sha256)
                  for rowid, sha256 in conn.execute(query)]
    return found


def orphan_blobs(conn, references: list[tuple[str, str]]) -> list[str]:
    """The sha256 of every blob no referencing column names (one set difference in SQLite).

    >>> orphan_blobs(conn, [("fetches", "sha256")])
    []
    """
    query = "SELECT sha256 FROM blobs" + "".join(
        f" EXCEPT SELECT {_quote(column)} FROM {_quote(table)}" for table, column in references)
    return [sha256 for (sha256,) in conn.execute(query + " ORDER BY 1")]


def rehash_blob(conn, rowid: int) -> tuple[str, int]:
    """sha256 hex and length of one blob's content, read in chunks, never whole.

    >>> rehash_blob(conn, 1)
    ('e3b0c442…', 0)
    """
    digest = hashlib.sha256()
    size = 0
    with conn.blobopen("blobs", "content", rowid, readonly=True) as blob:
        while chunk := blob.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def format_verify(result: VerifyResult) -> str:
    """Plain report lines: the counts, then one line per problem, then the verdict.

    >>> print(format_verify(VerifyResult()))  # doctest: +ELLIPSIS
    blobs: 0 rehashed, 0 bytes
    ...
    verify: clean
    """
    lines = [f"blobs: {result.blobs_checked} rehashed, {result.bytes_checked} bytes",
             f"references to blobs: {', '.join(f'{t}.{c}' for t, c in result.references)}",
             f"mismatched blobs: {len(result.mismatches)}",
             f"orphan blobs: {len(result.orphans)}",
             f"dangling references: {len(result.dangling)}",
             f"integrity_check: {'ok' if not result.integrity else len(result.integrity)}",
             f"foreign_key_check: {len(result.foreign_keys)} violations"]
    lines += [f"mismatch {m.sha256}: stored size {m.size}, content sha256 {m.actual_sha256} "
              f"size {m.actual_size}" for m in result.mismatches]
    lines += [f"orphan {sha256}" for sha256 in result.orphans]
    lines += [f"dangling {d.table}.{d.column} rowid {d.rowid} -> {d.sha256}"
              for d in result.dangling]
    lines += [f"integrity {line}" for line in result.integrity]
    lines += [f"foreign key {v.table} rowid {v.rowid} -> {v.parent} (fk {v.fkid})"
              for v in result.foreign_keys]
    lines.append("verify: clean" if result.clean else "verify: PROBLEMS FOUND")
    return "\n".join(lines)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def cmd_verify(args) -> int:
    """Check the archive: rehash every blob, find orphans, dangling references, SQLite damage.

    Exits 0 when clean, 1 when anything is wrong. Read-only.

    Example: gkarchive verify --db data/archive.db
    """
    from archive.db import open_db

    result = verify_archive(open_db(args.db, readonly=True))
    print(format_verify(result))
    return 0 if result.clean else 1


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=Path("data/archive.db"), metavar="PATH",
                        help="archive database (default: data/archive.db)")
