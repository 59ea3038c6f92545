"""Reliability beyond the switch matrix of ``test_crawl.py``: ``Retry-After`` is really waited
for, and a URL that fails forever costs a bounded number of attempts, then one recorded error.

(The matrix already crawls every portal switch and checks the exact archive, evidence of
the fault and at most RETRY_TIMES + 1 attempts per URL; see docs/reliability.md.)
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import datetime

import pytest

from tests.crawl_support import archived, crawl, expected_archive
from tests.portal import Portal

SITE = "dg-fenggang"
MAX_ATTEMPTS = 5  # RETRY_TIMES + 1


# switch -> the least wait its Retry-After asks for: "1" (delay-seconds), or an HTTP-date 3 s
# ahead in whole seconds (so more than 2 s by the time the crawler reads it).
RETRY_AFTER = {"5xx_retry_after": 1.0, "5xx_retry_after_date": 2.0}


@pytest.mark.parametrize("switch", sorted(RETRY_AFTER))
def test_retry_after_is_honoured_between_attempts(switch, tmp_path):
    """Every 503 says ``Retry-After`` (seconds, or an HTTP date): the next attempt at that URL
    starts at least that much later, although the crawl's own backoff (base 0.05 s) would
    retry far sooner."""
    db = tmp_path / "archive.db"
    with Portal(faults={switch}) as portal:
        result = crawl(portal.url, db, "--site", SITE)
        want_posts, want_attachments, _ = expected_archive({SITE: portal.expected()[SITE]})
    got = archived(db)
    assert (got.posts, got.attachments, got.errors) == (want_posts, want_attachments, set())
    assert result.returncode == 0, result.stderr[-3000:]
    attempts = defaultdict(list)
    with sqlite3.connect(db) as conn:
        for url, attempt, status, at, headers in conn.execute(
                "SELECT url, attempt, status, fetched_at, request_headers FROM fetches "
                "WHERE kind IN ('list', 'attachment') ORDER BY id"):
            attempts[url].append((attempt, status, datetime.fromisoformat(at)))
            # Scrapy asks for gzip on every request: "unasked" gzip can only mean a server
            # compressing a type it would not compress when asked (the gzip_unasked switch).
            assert "gzip" in json.dumps(json.loads(headers).get("Accept-Encoding"))
    served = [seq for seq in attempts.values() if seq[-1][1] == 200]
    assert len(served) >= 6  # two lists, four attachments
    for seq in served:
        assert [(a, s) for a, s, _ in seq] == [(1, 503), (2, 503), (3, 200)]
        gaps = [(later - earlier).total_seconds() for (_, _, earlier), (_, _, later)
                in zip(seq, seq[1:])]
        # fetched_at is taken when each answer is recorded; a request starts after its
        # Retry-After sleep, so each gap is at least the wait asked for.
        assert min(gaps) >= RETRY_AFTER[switch], gaps


def test_a_url_that_fails_forever_costs_bounded_attempts_and_one_error(tmp_path):
    """Every answer of the ``slow`` portal comes later than a 0.2 s DOWNLOAD_TIMEOUT, so every
    URL fails on every attempt: each is tried RETRY_TIMES + 1 times, then recorded once."""
    db = tmp_path / "archive.db"
    with Portal(faults={"slow"}) as portal:
        result = crawl(portal.url, db, "--site", SITE, "--set", "DOWNLOAD_TIMEOUT=0.2")
    assert result.returncode == 1 and "network_error" in result.stdout
    with sqlite3.connect(db) as conn:
        per_url = dict(conn.execute("SELECT url, count(*) FROM fetches GROUP BY url"))
        outcomes = {o for (o,) in conn.execute("SELECT DISTINCT outcome FROM fetches")}
        errors = conn.execute("SELECT url, kind, count(*) FROM errors GROUP BY url, kind").fetchall()
        run = conn.execute("SELECT status FROM runs").fetchone()[0]
    assert outcomes == {"network_error"} and set(per_url.values()) == {MAX_ATTEMPTS}
    assert errors == [("http://www.dg.gov.cn/fg/", "network_error", 1),  # both entry URLs
                      ("http://www.dg.gov.cn/zwgk/zfxxgkml/fgz/zfxxgkgzndbg/", "network_error", 1)]
    assert run == "finished" and archived(db).posts == {}
