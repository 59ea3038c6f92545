"""Running real crawls of the simulated portal in a subprocess, and reading what they archived."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PORTAL_SITES = REPO / "tests" / "portal" / "sites.toml"
GKARCHIVE = [sys.executable, "-m", "archive.cli"]
# Politeness off and fast retries: the portal is ours and on loopback.
FAST = ["--delay", "0", "--set", "GKARCHIVE_RETRY_BASE=0.05", "--set", "GKARCHIVE_RETRY_CAP=1",
        "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "--set", "DOWNLOAD_TIMEOUT=8"]


def crawl(portal_url: str, db: Path, *args: str, extract: bool = False,
          timeout: float = 300) -> subprocess.CompletedProcess:
    """``gkarchive crawl`` of the simulated sites through the portal as proxy; extraction
    (LibreOffice, OCR: slow) only where the test needs reports."""
    command = [*GKARCHIVE, "crawl", "--sites", str(PORTAL_SITES), "--db", str(db),
               "--proxy", portal_url, "--log-level", "WARNING", *FAST, *args]
    if not extract:
        command.append("--no-extract")
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)


@dataclass(frozen=True)
class Archived:
    posts: dict[tuple[str, str], tuple[str, int]]  # (site, post_id) -> (title, year)
    attachments: dict[tuple[str, str], set[tuple[str, str, str]]]  # -> {(name, url, sha256)}
    errors: set[tuple[str, str, str]]  # (site, url, kind)
    blobs: int


def archived(db: Path) -> Archived:
    conn = sqlite3.connect(db)
    try:
        posts = {(s, p): (t, y) for s, p, t, y in
                 conn.execute("SELECT site, post_id, title, report_year FROM posts")}
        attachments: dict = {key: set() for key in posts}
        for site, post_id, name, url, sha in conn.execute(
                "SELECT site, post_id, name, url, sha256 FROM attachments WHERE status = 'ok'"):
            attachments[(site, post_id)].add((name, url, sha))
        errors = set(conn.execute("SELECT site, url, kind FROM errors"))
        blobs = conn.execute("SELECT count(*) FROM blobs").fetchone()[0]
    finally:
        conn.close()
    return Archived(posts, attachments, errors, blobs)


def expected_archive(truth: dict) -> tuple[dict, dict, set]:
    """The same shapes as :class:`Archived`, from ``Portal.expected()`` (post ids as the
    archive holds them: strings)."""
    posts, attachments, errors = {}, {}, set()
    for slug, site in truth.items():
        for report in site.reports:
            posts[(slug, str(report.post_id))] = (report.title, report.year)
            attachments[(slug, str(report.post_id))] = {(a.name, a.url, a.sha256)
                                                    for a in report.attachments}
        errors |= {(slug, e.url, e.kind.value) for e in site.errors}
    return posts, attachments, errors


def expected_listed_in(portal) -> dict[tuple[str, str], str]:
    """(site, attachment URL) → where the portal lists it (``api``, ``body`` or ``api,body``),
    read from the portal's own model: ``in_list`` (``attachment[]``) and ``in_body`` (a link)."""
    with portal.lock:
        return {(slug, site.attachment_url(post.id, att)):
                ",".join(where for where, shown in (("api", att.in_list), ("body", att.in_body))
                         if shown)
                for slug, site in portal.sites.items() for post in site.posts.values()
                if post.report_year is not None for att in post.attachments}


def archived_listed_in(db: Path) -> dict[tuple[str, str], str]:
    conn = sqlite3.connect(db)
    try:
        return {(site, url): listed for site, url, listed in
                conn.execute("SELECT site, url, listed_in FROM attachments")}
    finally:
        conn.close()
