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
- ``unassigned_reports``: reports in a shared portal column of bodies no site claims.
- ``site_runs``: per site and run, reports and posts listed, shells read, errors, alarms (m007).
- ``probes``: every `gkarchive sites probe` of a site: its state, SID, report category (m007).
"""

from __future__ import annotations

import re

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


@MIGRATIONS()
def m002_history_and_reports(db) -> None:
    """Post and attachment history, extractions, the structured reports, views and search."""
    _execute_script(
        db,
        """
        ALTER TABLE posts ADD COLUMN article_sha256 TEXT;
        ALTER TABLE posts ADD COLUMN body_sha256 TEXT REFERENCES blobs(sha256);
        ALTER TABLE posts ADD COLUMN removed_run INTEGER REFERENCES runs(id);
        ALTER TABLE fetches ADD COLUMN new_blob INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE post_versions (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            post_id INTEGER NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            change TEXT NOT NULL,
            title TEXT NOT NULL,
            article_sha256 TEXT NOT NULL,
            article TEXT NOT NULL,
            at TEXT NOT NULL,
            FOREIGN KEY (site, post_id) REFERENCES posts(site, post_id)
        );
        CREATE INDEX post_versions_post ON post_versions(site, post_id);
        CREATE TABLE attachment_versions (
            id INTEGER PRIMARY KEY,
            attachment_id INTEGER NOT NULL REFERENCES attachments(id),
            sha256 TEXT NOT NULL REFERENCES blobs(sha256),
            fetch_id INTEGER REFERENCES fetches(id),
            run_id INTEGER NOT NULL REFERENCES runs(id),
            at TEXT NOT NULL
        );
        CREATE INDEX attachment_versions_attachment ON attachment_versions(attachment_id);
        CREATE TABLE extractions (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL REFERENCES blobs(sha256),
            name TEXT NOT NULL,
            extractor_version TEXT NOT NULL,
            parser_version TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            format TEXT,
            pages INTEGER,
            page_methods TEXT,
            text TEXT,
            tables TEXT,
            record TEXT,
            cells TEXT,
            template TEXT,
            cells_found INTEGER,
            checks_failed INTEGER,
            run_id INTEGER REFERENCES runs(id),
            created_at TEXT NOT NULL,
            UNIQUE (sha256, extractor_version, parser_version)
        );
        CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL REFERENCES sites(slug),
            year INTEGER NOT NULL,
            agency TEXT,
            title TEXT NOT NULL,
            post_id INTEGER NOT NULL,
            extraction_id INTEGER NOT NULL REFERENCES extractions(id),
            source_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
            source_name TEXT NOT NULL,
            chosen_because TEXT NOT NULL,
            template TEXT NOT NULL,
            cells_found INTEGER NOT NULL,
            cells_missing INTEGER NOT NULL,
            checks_failed INTEGER NOT NULL,
            source_anomalies INTEGER NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            updated_at TEXT NOT NULL,
            UNIQUE (site, year),
            FOREIGN KEY (site, post_id) REFERENCES posts(site, post_id)
        );
        CREATE TABLE report_cells (
            report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            table_name TEXT NOT NULL,
            row_key TEXT NOT NULL,
            col_key TEXT NOT NULL,
            value NUMERIC,
            raw TEXT,
            state TEXT NOT NULL,
            PRIMARY KEY (report_id, key)
        );
        CREATE TABLE report_checks (
            report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            rule TEXT NOT NULL,
            scope TEXT NOT NULL,
            status TEXT NOT NULL,
            severity TEXT NOT NULL,
            detail TEXT
        );
        CREATE INDEX report_checks_report ON report_checks(report_id);
        CREATE TABLE report_sections (
            report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            number TEXT NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (report_id, number)
        );
        CREATE VIRTUAL TABLE report_search USING fts5(
            title, body, site UNINDEXED, year UNINDEXED, report_id UNINDEXED,
            tokenize = 'trigram'
        );
        CREATE VIEW report_t3 AS
            SELECT report_id, row_key,
                   max(CASE col_key WHEN 'natural' THEN value END) AS natural,
                   max(CASE col_key WHEN 'commercial' THEN value END) AS commercial,
                   max(CASE col_key WHEN 'research' THEN value END) AS research,
                   max(CASE col_key WHEN 'public_interest' THEN value END) AS public_interest,
                   max(CASE col_key WHEN 'legal_service' THEN value END) AS legal_service,
                   max(CASE col_key WHEN 'org_other' THEN value END) AS org_other,
                   max(CASE col_key WHEN 'total' THEN value END) AS total
            FROM report_cells WHERE table_name = 't3' GROUP BY report_id, row_key;
        CREATE VIEW report_t4 AS
            SELECT report_id, row_key AS grp,
                   max(CASE col_key WHEN 'upheld' THEN value END) AS upheld,
                   max(CASE col_key WHEN 'corrected' THEN value END) AS corrected,
                   max(CASE col_key WHEN 'other' THEN value END) AS other,
                   max(CASE col_key WHEN 'pending' THEN value END) AS pending,
                   max(CASE col_key WHEN 'total' THEN value END) AS total
            FROM report_cells WHERE table_name = 't4' GROUP BY report_id, row_key;
        CREATE VIEW report_t2 AS
            SELECT report_id, row_key, col_key, value, raw, state
            FROM report_cells WHERE table_name = 't2'
        """,
    )


@MIGRATIONS()
def m003_short_query_search(db) -> None:
    """An index for one- and two-character Chinese queries (see ``archive.search``)."""
    from archive.search import short_tokens

    db.execute("CREATE VIRTUAL TABLE report_search_short USING fts5("
               "title, body, report_id UNINDEXED, tokenize = 'unicode61')")
    for report_id, title, body in db.execute(
            "SELECT report_id, title, body FROM report_search").fetchall():
        db.execute("INSERT INTO report_search_short (title, body, report_id) VALUES (?,?,?)",
                   [short_tokens(title), short_tokens(body), report_id])


@MIGRATIONS()
def m004_query_indexes(db) -> None:
    """Indexes for the canned queries of ``gkarchive serve`` (docs/benchmarks.md)."""
    _execute_script(
        db,
        """
        CREATE INDEX posts_first_run ON posts(first_run);
        CREATE INDEX posts_removed_run ON posts(removed_run);
        CREATE INDEX attachments_first_run ON attachments(first_run);
        CREATE INDEX attachments_sha256 ON attachments(sha256);
        CREATE INDEX post_versions_run ON post_versions(run_id);
        CREATE INDEX attachment_versions_run ON attachment_versions(run_id);
        CREATE INDEX reports_run ON reports(run_id);
        CREATE INDEX report_checks_status ON report_checks(status, report_id)
        """,
    )


@MIGRATIONS()
def m005_report_overview(db) -> None:
    """One row per report with its site's region and a status, for faceting in datasette."""
    db.execute(
        """
        CREATE VIEW report_overview AS
        SELECT r.id AS report_id, r.site, s.name AS site_name, s.region, r.year, r.agency,
               r.title, r.template,
               CASE WHEN r.template = 'unknown' OR r.cells_found = 0 THEN 'unreadable'
                    WHEN r.checks_failed > r.source_anomalies THEN 'checks_failed'
                    WHEN r.source_anomalies > 0 THEN 'source_anomaly'
                    WHEN r.cells_missing > 0 THEN 'incomplete'
                    ELSE 'ok' END AS status,
               r.cells_found, r.cells_missing, r.checks_failed, r.source_anomalies,
               r.source_name, r.source_sha256, r.chosen_because, r.run_id
        FROM reports r JOIN sites s ON s.slug = r.site
        """
    )


@MIGRATIONS()
def m006_unassigned_reports(db) -> None:
    """Reports in a shared portal column whose body no configured site claims: listed (body,
    title, year, URL) so a user sees which sites to add; nothing of theirs is downloaded."""
    _execute_script(
        db,
        """
        CREATE TABLE unassigned_reports (
            url TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            title TEXT NOT NULL,
            year INTEGER,
            column_url TEXT NOT NULL,
            seen_by_site TEXT NOT NULL,
            first_run INTEGER NOT NULL REFERENCES runs(id),
            last_run INTEGER NOT NULL REFERENCES runs(id)
        );
        CREATE INDEX unassigned_reports_body ON unassigned_reports(body)
        """,
    )


POST_ID_TABLES = ("posts", "attachments", "post_versions", "reports")


@MIGRATIONS(transactional=False)
def m009_post_ids_text(db) -> None:
    """Post ids become TEXT on every platform (UCAP's are 32-hex manuscript ids).

    Under INTEGER affinity SQLite would turn a hex id made only of digits and one ``e`` into a
    float (``'1234e567…'`` → ``inf``) and drop leading zeros; gkmlpt's decimal ids are kept as
    their text. Each table is rebuilt (SQLite cannot change a column's type) with foreign keys
    off, in one transaction; views, triggers and indexes are recreated as they were. Runs
    outside the migration's own transaction because ``PRAGMA foreign_keys`` is a no-op inside
    one; a rerun after a crash finds the columns already TEXT and does nothing.
    """
    pending = [t for t in POST_ID_TABLES if t in db.table_names()
               and db[t].columns_dict.get("post_id") is int]
    if not pending:
        return
    conn = db.conn
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            _rebuild_with_text_post_id(db, pending)
            problems = conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"m009: foreign keys broken by the rebuild: {problems[:5]}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _rebuild_with_text_post_id(db, tables: list[str]) -> None:
    schema = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                        "WHERE sql IS NOT NULL AND type IN ('view', 'trigger', 'index')").fetchall()
    # Views and triggers may name any table; indexes only those rebuilt need recreating.
    keep = [(kind, name, sql) for kind, name, table, sql in schema
            if kind in ("view", "trigger") or table in tables]
    for kind, name, _ in keep:
        db.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
    for table in tables:
        create = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                            [table]).fetchone()[0]
        text_id = re.sub(r"\bpost_id\s+INTEGER\b", "post_id TEXT", create, count=1)
        db.execute(re.sub(rf"^\s*CREATE TABLE \"?{table}\"?", f'CREATE TABLE "{table}_m009"',
                          text_id, count=1))
        columns = ", ".join(f'"{c}"' for c in db[table].columns_dict)
        db.execute(f'INSERT INTO "{table}_m009" ({columns}) SELECT {columns} FROM "{table}"')
        db.execute(f'DROP TABLE "{table}"')
        db.execute(f'ALTER TABLE "{table}_m009" RENAME TO "{table}"')
    for _, _, sql in keep:
        db.execute(sql)


@MIGRATIONS()
def m009_list_templates(db) -> None:
    """The list template each UCAP column answered with, so a nightly does not probe again."""
    db.execute(
        """
        CREATE TABLE list_templates (
            site TEXT NOT NULL,
            column_url TEXT NOT NULL,
            template TEXT NOT NULL,
            fetch_id INTEGER REFERENCES fetches(id),
            run_id INTEGER NOT NULL REFERENCES runs(id),
            at TEXT NOT NULL,
            PRIMARY KEY (site, column_url)
        )
        """
    )


CHECK_COUNT_COLUMNS = ("hard_checks_failed", "source_anomalies", "soft_checks_failed")


@MIGRATIONS()
def m008_check_counts_split(db) -> None:
    """One name, one meaning: ``checks_failed`` counted hard failures and source anomalies in
    ``extractions`` but every failed or anomalous check, soft ``W-`` warnings included, in
    ``reports``. Both tables now count the three kinds apart — ``hard_checks_failed`` (a hard
    identity failed: a possible extraction error), ``source_anomalies`` (a hard identity the
    source itself breaks) and ``soft_checks_failed`` (a ``W-`` warning failed) — recomputed
    from the stored checks, and ``checks_failed`` is gone."""
    db.execute("DROP VIEW report_overview")
    _execute_script(
        db,
        """
        ALTER TABLE extractions ADD COLUMN hard_checks_failed INTEGER;
        ALTER TABLE extractions ADD COLUMN source_anomalies INTEGER;
        ALTER TABLE extractions ADD COLUMN soft_checks_failed INTEGER;
        UPDATE extractions SET
          hard_checks_failed = (SELECT count(*) FROM json_each(record, '$.checks')
              WHERE json_extract(value, '$.rule') NOT LIKE 'W-%'
              AND json_extract(value, '$.status') = 'failed'),
          source_anomalies = (SELECT count(*) FROM json_each(record, '$.checks')
              WHERE json_extract(value, '$.rule') NOT LIKE 'W-%'
              AND json_extract(value, '$.status') = 'source_anomaly'),
          soft_checks_failed = (SELECT count(*) FROM json_each(record, '$.checks')
              WHERE json_extract(value, '$.rule') LIKE 'W-%'
              AND json_extract(value, '$.status') = 'failed')
        WHERE record IS NOT NULL AND json_valid(record);
        UPDATE extractions SET hard_checks_failed = 0, source_anomalies = 0, soft_checks_failed = 0
        WHERE hard_checks_failed IS NULL;
        ALTER TABLE extractions DROP COLUMN checks_failed;
        ALTER TABLE reports ADD COLUMN hard_checks_failed INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE reports ADD COLUMN soft_checks_failed INTEGER NOT NULL DEFAULT 0;
        UPDATE reports SET
          hard_checks_failed = (SELECT count(*) FROM report_checks k WHERE k.report_id = reports.id
              AND k.severity = 'hard' AND k.status = 'failed'),
          source_anomalies = (SELECT count(*) FROM report_checks k WHERE k.report_id = reports.id
              AND k.severity = 'hard' AND k.status = 'source_anomaly'),
          soft_checks_failed = (SELECT count(*) FROM report_checks k WHERE k.report_id = reports.id
              AND k.severity = 'soft' AND k.status = 'failed');
        ALTER TABLE reports DROP COLUMN checks_failed
        """,
    )
    db.execute(
        """
        CREATE VIEW report_overview AS
        SELECT r.id AS report_id, r.site, s.name AS site_name, s.region, r.year, r.agency,
               r.title, r.template,
               CASE WHEN r.template = 'unknown' OR r.cells_found = 0 THEN 'unreadable'
                    WHEN r.hard_checks_failed > 0 THEN 'hard_checks_failed'
                    WHEN r.source_anomalies > 0 THEN 'source_anomaly'
                    WHEN r.cells_missing > 0 THEN 'incomplete'
                    WHEN r.soft_checks_failed > 0 THEN 'soft_checks_failed'
                    ELSE 'ok' END AS status,
               r.cells_found, r.cells_missing, r.hard_checks_failed, r.source_anomalies,
               r.soft_checks_failed, r.source_name, r.source_sha256, r.chosen_because, r.run_id
        FROM reports r JOIN sites s ON s.slug = r.site
        """
    )


@MIGRATIONS()
def m007_site_health_and_probes(db) -> None:
    """Per site and run, what the crawl saw (for health and alarms); every probe of a site."""
    _execute_script(
        db,
        """
        CREATE TABLE site_runs (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            site TEXT NOT NULL,
            full_listing INTEGER NOT NULL,
            status TEXT NOT NULL,
            reports INTEGER NOT NULL,
            new_reports INTEGER NOT NULL,
            errors INTEGER NOT NULL,
            listed INTEGER,
            shells INTEGER,
            alarms TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (run_id, site)
        );
        CREATE INDEX site_runs_site ON site_runs(site, run_id);
        CREATE TABLE probes (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            site TEXT NOT NULL,
            probed_at TEXT NOT NULL,
            state TEXT NOT NULL,
            url TEXT NOT NULL,
            final_url TEXT,
            http_status INTEGER,
            sid TEXT,
            report_categories TEXT NOT NULL DEFAULT '[]',
            tree_categories INTEGER,
            search_jsonp_url TEXT,
            site_name TEXT,
            detail TEXT,
            fetch_id INTEGER REFERENCES fetches(id)
        );
        CREATE INDEX probes_site ON probes(site, id)
        """,
    )
