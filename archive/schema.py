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
- ``site_runs``: per site and run, reports and posts listed, shells read, errors, alarms (m007).
- ``probes``: every `gkarchive sites probe` of a site: its state, SID, report category (m007).
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
