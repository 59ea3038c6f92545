"""The archive's schema, as sqlite-utils migrations (applied in order, never edited once shipped).

Tables of the raw archive:

- ``runs``: one row per crawl/backfill/reextract invocation, with its summary.
- ``sites``: the config entry of each site as it was when last crawled.
- ``blobs``: every body ever downloaded, stored once by sha256.
- ``fetches``: every HTTP exchange (or failed attempt): URL, status, headers, time, size,
  sha256 of the body, the page that led to it, the run.
- ``posts``: every annual-report post seen, with its raw list-API article and detail page.
- ``attachments``: the documents of a post (union of ``attachment[]`` and body links).
- ``errors``: failures as data (challenge pages, HTTP errors, refused URLs, …).
"""

from __future__ import annotations

from sqlite_utils import Migrations

MIGRATIONS = Migrations("gkarchive")


@MIGRATIONS()
def m001_raw_archive(db) -> None:
    _execute_script(
        db,
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            command TEXT NOT NULL,
            args TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            finish_reason TEXT,
            crawler_version TEXT NOT NULL,
            summary TEXT
        );
        CREATE TABLE sites (
            slug TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            region TEXT NOT NULL,
            entry_urls TEXT NOT NULL,
            allowed_hosts TEXT NOT NULL,
            config TEXT NOT NULL,
            updated_run INTEGER REFERENCES runs(id)
        );
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            content BLOB NOT NULL,
            first_run INTEGER REFERENCES runs(id),
            created_at TEXT NOT NULL
        );
        CREATE TABLE fetches (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            site TEXT,
            kind TEXT NOT NULL,
            method TEXT NOT NULL,
            url TEXT NOT NULL,
            status INTEGER,
            outcome TEXT NOT NULL,
            error TEXT,
            request_headers TEXT NOT NULL,
            response_headers TEXT,
            fetched_at TEXT NOT NULL,
            elapsed_ms INTEGER,
            size INTEGER,
            sha256 TEXT REFERENCES blobs(sha256),
            referer_fetch_id INTEGER REFERENCES fetches(id),
            referer_url TEXT,
            attempt INTEGER NOT NULL DEFAULT 1,
            via_proxy INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX fetches_url ON fetches(url);
        CREATE INDEX fetches_run ON fetches(run_id);
        CREATE INDEX fetches_sha256 ON fetches(sha256);
        CREATE TABLE posts (
            site TEXT NOT NULL,
            post_id INTEGER NOT NULL,
            title TEXT NOT NULL,
            url TEXT NOT NULL,
            publish_date TEXT,
            classify_id INTEGER,
            classify_name TEXT,
            report_year INTEGER,
            year_source TEXT,
            article TEXT NOT NULL,
            detail TEXT,
            detail_fetch_id INTEGER REFERENCES fetches(id),
            list_fetch_id INTEGER REFERENCES fetches(id),
            first_run INTEGER NOT NULL REFERENCES runs(id),
            last_run INTEGER NOT NULL REFERENCES runs(id),
            PRIMARY KEY (site, post_id)
        );
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            post_id INTEGER NOT NULL,
            url TEXT NOT NULL,
            attachment_id INTEGER,
            name TEXT NOT NULL,
            ext TEXT,
            listed_in TEXT NOT NULL,
            api_entry TEXT,
            status TEXT NOT NULL,
            sha256 TEXT REFERENCES blobs(sha256),
            fetch_id INTEGER REFERENCES fetches(id),
            first_run INTEGER NOT NULL REFERENCES runs(id),
            last_run INTEGER NOT NULL REFERENCES runs(id),
            UNIQUE (site, post_id, url),
            FOREIGN KEY (site, post_id) REFERENCES posts(site, post_id)
        );
        CREATE TABLE errors (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            site TEXT,
            url TEXT,
            kind TEXT NOT NULL,
            message TEXT NOT NULL,
            fetch_id INTEGER REFERENCES fetches(id),
            at TEXT NOT NULL
        );
        CREATE INDEX errors_run ON errors(run_id);
        """
    )


def _execute_script(db, script: str) -> None:
    """Run DDL statement by statement: ``executescript`` would commit the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)
