"""A distributed crawl of the simulated UCAP portal: the writer seeds the UCAP spider's own
start (the list template the archive remembers first) and a crawl worker gives the archive a
single process gives: the exact reports and attachments, the template remembered."""

from __future__ import annotations

import sqlite3
import subprocess

from tests.crawl_support import archived, expected_archive
from tests.redis_support import RedisServer, kill_tree
from tests.test_crawl_ucap import FENGGANG, UCAP_SITES
from tests.test_distributed_crawl import start_worker, writer_command
from tests.ucap_portal import UcapPortal


def test_a_ucap_crawl_on_redis_archives_what_a_single_process_does(tmp_path):
    db = tmp_path / "archive.db"
    with UcapPortal(switches={"template_xlist"}) as portal, \
            RedisServer(tmp_path / "redis") as server, open(tmp_path / "worker.log", "w") as log:
        worker = start_worker(server, log)
        try:
            for night in (1, 2):  # the second seeds with the template the first remembered
                done = subprocess.run(writer_command(portal, server, db, "--no-extract",
                                                     sites=UCAP_SITES),
                                      capture_output=True, text=True, timeout=600)
                assert done.returncode == 0, done.stderr[-3000:]
            truth = portal.expected()
        finally:
            kill_tree(worker)
    want_posts, want_attachments, want_errors = expected_archive(truth)
    got = archived(db)
    assert got.posts == want_posts
    assert got.attachments == want_attachments
    assert got.errors == want_errors == set()
    with sqlite3.connect(db) as conn:
        templates = conn.execute("SELECT template FROM list_templates WHERE site = ?",
                                 [FENGGANG]).fetchall()
        second_lists = [url for (url,) in conn.execute(
            "SELECT url FROM fetches WHERE kind = 'list' AND run_id = 2 AND site = ?",
            [FENGGANG])]
    assert templates == [("xlist",)]
    assert second_lists and all("/xlist" in url for url in second_lists), second_lists
