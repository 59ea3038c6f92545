"""A crawl leaves out every post whose title only looks like a report.

The simulated dg-fenggang gets, in its annual-report category, one decoy per exclusion word of
``crawler.selection`` (the titles of ``test_selection.EXCLUDED_BY``, each excluded by that
word alone) and a 关于… notice; the crawl must archive exactly the real reports and must not
even fetch a decoy's detail page. Dropping any one word from the code lets its decoy in.
"""

from __future__ import annotations

import sqlite3

from tests.crawl_support import archived, crawl, expected_archive
from tests.portal import Portal
from tests.test_selection import EXCLUDED_BY, STARTS_WITH_GUANYU

SITE = "dg-fenggang"


def test_every_exclusion_word_keeps_its_decoy_out_of_a_crawl(tmp_path):
    db = tmp_path / "archive.db"
    with Portal() as portal:
        decoys = {}
        for title in [*EXCLUDED_BY.values(), STARTS_WITH_GUANYU]:
            post_id = portal.add_report(SITE, title, 2021)
            post = portal.sites[SITE].posts[post_id]
            post.report_year = None  # the truth: not a report
            decoys[post_id] = portal.sites[SITE].detail_url(post)
        result = crawl(portal.url, db, "--site", SITE)
        want_posts, want_attachments, _ = expected_archive({SITE: portal.expected()[SITE]})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    got = archived(db)
    assert not set(decoys) & {post_id for _, post_id in got.posts}
    assert (got.posts, got.attachments) == (want_posts, want_attachments)
    with sqlite3.connect(db) as conn:
        fetched = {url for (url,) in conn.execute("SELECT url FROM fetches WHERE kind = 'detail'")}
        listed = conn.execute("SELECT count(*) FROM fetches WHERE kind = 'list'").fetchone()[0]
    assert listed and not fetched & set(decoys.values())
