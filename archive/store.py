"""Writing the raw archive: runs, HTTP exchanges, bodies by sha256, posts, attachments, errors.

One :class:`ArchiveWriter` per process is the archive's single writer. Each method is one
unit of work (``BEGIN IMMEDIATE`` … ``COMMIT``), so a crash never leaves half a row set.

Example::

    writer = ArchiveWriter.open("data/archive.db")
    run_id = writer.start_run("crawl", {"site": ["dg-fenggang"]})
    fetch_id = writer.record_fetch(Exchange(run_id=run_id, kind="shell", url=..., ...))
    writer.finish_run(run_id, "finished", summary)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from archive import __version__
from archive.db import open_db, unit_of_work


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Exchange:
    """One HTTP exchange, or one attempt that failed before a response."""

    run_id: int
    kind: str  # portal, shell, list, detail, attachment, robots
    method: str
    url: str
    request_headers: dict[str, list[str]]
    outcome: str  # ok, http_error, challenge, network_error, refused, not_modified
    site: str | None = None
    status: int | None = None
    response_headers: dict[str, list[str]] | None = None
    body: bytes | None = None
    error: str | None = None
    elapsed_ms: int | None = None
    referer_fetch_id: int | None = None
    referer_url: str | None = None
    attempt: int = 1
    via_proxy: bool = False
    fetched_at: str = field(default_factory=utcnow)


class ArchiveWriter:
    """The single writer of one archive database."""

    def __init__(self, db):
        self.db = db

    @classmethod
    def open(cls, path: str | Path) -> "ArchiveWriter":
        return cls(open_db(path))

    def close(self) -> None:
        self.db.conn.close()

    def start_run(self, command: str, args: dict) -> int:
        def write() -> int:
            cursor = self.db.execute(
                "INSERT INTO runs (command, args, started_at, status, crawler_version) "
                "VALUES (?, ?, ?, 'running', ?)",
                [command, json.dumps(args, ensure_ascii=False), utcnow(), __version__],
            )
            return cursor.lastrowid

        return unit_of_work(self.db, write)

    def finish_run(self, run_id: int, status: str, reason: str, summary: dict) -> None:
        unit_of_work(self.db, lambda: self.db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, finish_reason = ?, summary = ? "
            "WHERE id = ?",
            [utcnow(), status, reason, json.dumps(summary, ensure_ascii=False), run_id],
        ))

    def upsert_sites(self, sites: list[dict], run_id: int) -> None:
        rows = [{
            "slug": s["slug"], "name": s["name"], "region": s["region"],
            "entry_urls": json.dumps(s["entry_urls"], ensure_ascii=False),
            "allowed_hosts": json.dumps(s["allowed_hosts"]),
            "config": json.dumps(s, ensure_ascii=False), "updated_run": run_id,
        } for s in sites]
        unit_of_work(self.db, lambda: self.db["sites"].upsert_all(rows, pk="slug"))

    def _put_blob(self, body: bytes, run_id: int) -> str:
        digest = sha256_hex(body)
        self.db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, content, first_run, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [digest, len(body), body, run_id, utcnow()],
        )
        return digest

    def record_fetch(self, ex: Exchange) -> int:
        """Store the exchange (and its body, once by sha256); return the fetch row id."""

        def write() -> int:
            digest = self._put_blob(ex.body, ex.run_id) if ex.body is not None else None
            cursor = self.db.execute(
                "INSERT INTO fetches (run_id, site, kind, method, url, status, outcome, error, "
                "request_headers, response_headers, fetched_at, elapsed_ms, size, sha256, "
                "referer_fetch_id, referer_url, attempt, via_proxy) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [ex.run_id, ex.site, ex.kind, ex.method, ex.url, ex.status, ex.outcome, ex.error,
                 json.dumps(ex.request_headers, ensure_ascii=False),
                 json.dumps(ex.response_headers, ensure_ascii=False)
                 if ex.response_headers is not None else None,
                 ex.fetched_at, ex.elapsed_ms, len(ex.body) if ex.body is not None else None,
                 digest, ex.referer_fetch_id, ex.referer_url, ex.attempt, int(ex.via_proxy)],
            )
            return cursor.lastrowid

        return unit_of_work(self.db, write)

    def record_post(self, post: dict, attachments: list[dict], run_id: int) -> None:
        """Insert or refresh a report post and the attachment rows it names."""

        def write() -> None:
            known = self.db.execute(
                "SELECT first_run FROM posts WHERE site = ? AND post_id = ?",
                [post["site"], post["post_id"]],
            ).fetchone()
            row = dict(post, first_run=known[0] if known else run_id, last_run=run_id)
            self.db["posts"].upsert(row, pk=("site", "post_id"))
            for attachment in attachments:
                self._upsert_attachment(attachment, run_id)

        unit_of_work(self.db, write)

    def _upsert_attachment(self, attachment: dict, run_id: int) -> None:
        known = self.db.execute(
            "SELECT id FROM attachments WHERE site = ? AND post_id = ? AND url = ?",
            [attachment["site"], attachment["post_id"], attachment["url"]],
        ).fetchone()
        if known:
            fields_ = {k: v for k, v in attachment.items() if k not in ("status",)}
            self.db["attachments"].update(known[0], dict(fields_, last_run=run_id))
        else:
            self.db["attachments"].insert(dict(attachment, first_run=run_id, last_run=run_id))

    def record_attachment_result(self, site: str, post_id: int, url: str, status: str,
                                 fetch_id: int | None, sha256: str | None, run_id: int) -> None:
        unit_of_work(self.db, lambda: self.db.execute(
            "UPDATE attachments SET status = ?, fetch_id = ?, "
            "sha256 = COALESCE(?, sha256), last_run = ? "
            "WHERE site = ? AND post_id = ? AND url = ?",
            [status, fetch_id, sha256, run_id, site, post_id, url],
        ))

    def record_error(self, run_id: int, site: str | None, url: str, kind: str, message: str,
                     fetch_id: int | None = None) -> None:
        unit_of_work(self.db, lambda: self.db.execute(
            "INSERT INTO errors (run_id, site, url, kind, message, fetch_id, at) "
            "VALUES (?,?,?,?,?,?,?)",
            [run_id, site, url, kind, message, fetch_id, utcnow()],
        ))

    def blob_sha256_of_fetch(self, fetch_id: int) -> str | None:
        row = self.db.execute("SELECT sha256 FROM fetches WHERE id = ?", [fetch_id]).fetchone()
        return row[0] if row else None
