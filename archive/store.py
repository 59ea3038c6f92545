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
    sha256: str | None = None  # set by ArchiveWriter.record_fetch: the stored body's digest
    fetch_id: int | None = None  # a row id given in advance (distributed crawl workers)


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

    def mark_interrupted_runs(self) -> list[int]:
        """Runs still 'running' whose process died (SIGKILL, OOM, power loss) become
        'interrupted'; their fetches and rows stay. Only call this while holding the run lock,
        when no other run can be alive."""

        def write() -> list[int]:
            stale = [run_id for (run_id,) in self.db.execute(
                "SELECT id FROM runs WHERE status = 'running' ORDER BY id")]
            self.db.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ?, finish_reason = "
                "'process died; marked by a later run' WHERE status = 'running'", [utcnow()])
            return stale

        return unit_of_work(self.db, write)

    def upsert_sites(self, sites: list[dict], run_id: int) -> None:
        rows = [{
            "slug": s["slug"], "name": s["name"], "region": s["region"],
            "entry_urls": json.dumps(s["entry_urls"], ensure_ascii=False),
            "allowed_hosts": json.dumps(s["allowed_hosts"]),
            "config": json.dumps(s, ensure_ascii=False), "updated_run": run_id,
        } for s in sites]
        unit_of_work(self.db, lambda: self.db["sites"].upsert_all(rows, pk="slug"))

    def _put_blob(self, body: bytes, run_id: int) -> tuple[str, bool]:
        """Store a body once; return its sha256 and whether it was new."""
        digest = sha256_hex(body)
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, content, first_run, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [digest, len(body), body, run_id, utcnow()],
        )
        return digest, cursor.rowcount == 1

    def record_fetch(self, ex: Exchange) -> int:
        """Store the exchange (and its body, once by sha256); return the fetch row id."""

        def write() -> int:
            if ex.fetch_id is not None and self.db.execute(
                    "SELECT 1 FROM fetches WHERE id = ?", [ex.fetch_id]).fetchone():
                return ex.fetch_id  # replayed after a crash of the writer: stored already
            digest, new = self._put_blob(ex.body, ex.run_id) if ex.body is not None else (None, False)
            ex.sha256 = digest
            cursor = self.db.execute(
                "INSERT INTO fetches (id, run_id, site, kind, method, url, status, outcome, error, "
                "request_headers, response_headers, fetched_at, elapsed_ms, size, sha256, "
                "referer_fetch_id, referer_url, attempt, via_proxy, new_blob) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [ex.fetch_id, ex.run_id, ex.site, ex.kind, ex.method, ex.url, ex.status, ex.outcome,
                 ex.error,
                 json.dumps(ex.request_headers, ensure_ascii=False),
                 json.dumps(ex.response_headers, ensure_ascii=False)
                 if ex.response_headers is not None else None,
                 ex.fetched_at, ex.elapsed_ms, len(ex.body) if ex.body is not None else None,
                 digest, ex.referer_fetch_id, ex.referer_url, ex.attempt, int(ex.via_proxy),
                 int(new)],
            )
            return cursor.lastrowid

        return unit_of_work(self.db, write)

    def record_post(self, post: dict, body_html: str, attachments: list[dict], run_id: int) -> None:
        """Insert or refresh a report post, its body, its history and its attachment rows."""

        def write() -> None:
            known = self.db.execute(
                "SELECT first_run, article_sha256 FROM posts WHERE site = ? AND post_id = ?",
                [post["site"], post["post_id"]],
            ).fetchone()
            body = self._put_blob(body_html.encode("utf-8"), run_id)[0] if body_html else None
            row = dict(post, first_run=known[0] if known else run_id, last_run=run_id,
                       body_sha256=body, removed_run=None)
            self.db["posts"].upsert(row, pk=("site", "post_id"))
            if known is None or known[1] != post["article_sha256"]:
                self.db["post_versions"].insert({
                    "site": post["site"], "post_id": post["post_id"], "run_id": run_id,
                    "change": "new" if known is None else "changed", "title": post["title"],
                    "article_sha256": post["article_sha256"], "article": post["article"],
                    "at": utcnow()})
            for attachment in attachments:
                self._upsert_attachment(attachment, run_id)

        unit_of_work(self.db, write)

    def touch_post(self, site: str, post_id: str, list_fetch_id: int | None, run_id: int) -> None:
        """An unchanged post seen again in a list: it is still there, nothing is fetched."""
        unit_of_work(self.db, lambda: (
            self.db.execute("UPDATE posts SET last_run = ?, removed_run = NULL, "
                            "list_fetch_id = coalesce(?, list_fetch_id) "
                            "WHERE site = ? AND post_id = ?", [run_id, list_fetch_id, site, post_id]),
            self.db.execute("UPDATE attachments SET last_run = ? WHERE site = ? AND post_id = ?",
                            [run_id, site, post_id])))

    def mark_removed(self, site: str, seen: set[str], run_id: int) -> int:
        """Posts of a fully listed site that its lists no longer show: marked, never deleted."""
        def write() -> int:
            gone = [pid for (pid,) in self.db.execute(
                "SELECT post_id FROM posts WHERE site = ? AND removed_run IS NULL", [site])
                if str(pid) not in seen]
            for post_id in gone:
                self.db.execute("UPDATE posts SET removed_run = ? WHERE site = ? AND post_id = ?",
                                [run_id, site, post_id])
            return len(gone)

        return unit_of_work(self.db, write)

    def known_posts(self) -> dict[str, dict[str, tuple[str, bool]]]:
        """Per site: post id (a string on every platform) → (article sha256, every attachment
        archived)."""
        known: dict[str, dict[str, tuple[str, bool]]] = {}
        for site, post_id, sha, pending in self.db.execute(
                "SELECT p.site, p.post_id, p.article_sha256, (SELECT count(*) FROM attachments a "
                "WHERE a.site = p.site AND a.post_id = p.post_id AND a.status != 'ok') FROM posts p"):
            known.setdefault(site, {})[str(post_id)] = (sha, pending == 0)
        return known

    def list_templates(self) -> dict[tuple[str, str], str]:
        """(site, column URL) → the list template that last answered with items (UCAP)."""
        return {(site, column): template for site, column, template in self.db.execute(
            "SELECT site, column_url, template FROM list_templates")}

    def remember_list_template(self, site: str, column: str, template: str,
                               fetch_id: int | None, run_id: int) -> None:
        unit_of_work(self.db, lambda: self.db.execute(
            "INSERT INTO list_templates (site, column_url, template, fetch_id, run_id, at) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (site, column_url) DO UPDATE SET "
            "template = excluded.template, fetch_id = excluded.fetch_id, "
            "run_id = excluded.run_id, at = excluded.at",
            [site, column, template, fetch_id, run_id, utcnow()]))

    def validators(self, url: str) -> tuple[str | None, str | None, str | None]:
        """ETag, Last-Modified and body sha256 of the latest successful fetch of ``url``."""
        row = self.db.execute(
            "SELECT response_headers, sha256 FROM fetches WHERE url = ? AND outcome = 'ok' "
            "AND sha256 IS NOT NULL ORDER BY id DESC LIMIT 1", [url]).fetchone()
        if not row:
            return None, None, None
        headers = {k.lower(): v for k, v in json.loads(row[0] or "{}").items()}
        first = lambda name: (headers.get(name) or [None])[0]  # noqa: E731
        return first("etag"), first("last-modified"), row[1]

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

    def record_attachment_result(self, site: str, post_id: str, url: str, status: str,
                                 fetch_id: int | None, sha256: str | None, run_id: int) -> None:
        """The outcome of one download; a new sha256 is a new version beside the old."""

        def write() -> None:
            row = self.db.execute(
                "SELECT id, sha256 FROM attachments WHERE site = ? AND post_id = ? AND url = ?",
                [site, post_id, url]).fetchone()
            if row is None:
                return
            self.db.execute(
                "UPDATE attachments SET status = ?, fetch_id = coalesce(?, fetch_id), "
                "sha256 = coalesce(?, sha256), last_run = ? WHERE id = ?",
                [status, fetch_id, sha256, run_id, row[0]])
            if sha256 and sha256 != row[1]:
                self.db["attachment_versions"].insert({
                    "attachment_id": row[0], "sha256": sha256, "fetch_id": fetch_id,
                    "run_id": run_id, "at": utcnow()})

        unit_of_work(self.db, write)

    def record_unassigned(self, report: dict, run_id: int) -> None:
        """A report of a body no configured site claims (``url``, ``body``, ``title``,
        ``year``, ``column_url``, ``seen_by_site``): listed once per URL, never downloaded."""
        def write() -> None:
            known = self.db.execute("SELECT first_run FROM unassigned_reports WHERE url = ?",
                                    [report["url"]]).fetchone()
            row = dict(report, first_run=known[0] if known else run_id, last_run=run_id)
            self.db["unassigned_reports"].upsert(row, pk="url")

        unit_of_work(self.db, write)

    def known_unassigned(self) -> dict[str, str]:
        """URL → body of every report already listed as unassigned."""
        return dict(self.db.execute("SELECT url, body FROM unassigned_reports"))

    def record_error(self, run_id: int, site: str | None, url: str, kind: str, message: str,
                     fetch_id: int | None = None) -> None:
        unit_of_work(self.db, lambda: self.db.execute(
            "INSERT INTO errors (run_id, site, url, kind, message, fetch_id, at) "
            "VALUES (?,?,?,?,?,?,?)",
            [run_id, site, url, kind, message, fetch_id, utcnow()],
        ))
