"""Migrations over an archive written before them: m009 turns post ids into TEXT and keeps
every row, foreign key, view and index of an existing gkmlpt archive."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from archive.db import open_db
from archive.schema import MIGRATIONS, POST_ID_TABLES
from archive.store import ArchiveWriter

HEX_IDS = ("1234e567890123456789012345678901", "00000000000000000000000000000123")


def _old_archive(path) -> None:
    """An archive as the releases before m009 left it, with gkmlpt's integer post ids."""
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    db.conn.execute("PRAGMA foreign_keys = ON")
    MIGRATIONS.apply(db, stop_before="m009_post_ids_text")
    writer = ArchiveWriter(db)
    run = writer.start_run("crawl", {"sites": ["dg-fenggang"]})
    writer.upsert_sites([{"slug": "dg-fenggang", "name": "凤岗镇", "region": "广东省东莞市",
                          "entry_urls": [], "allowed_hosts": []}], run)
    for post_id in (3857175, 4021980):
        writer.record_post({"site": "dg-fenggang", "post_id": post_id, "title": f"{post_id}年度报告",
                            "url": f"http://www.dg.gov.cn/post_{post_id}.html", "article": "{}",
                            "article_sha256": f"sha-{post_id}"}, "<p>x</p>",
                           [{"site": "dg-fenggang", "post_id": post_id, "name": "a.pdf",
                             "url": f"http://www.dg.gov.cn/attachment/{post_id}.pdf",
                             "listed_in": "api", "status": "pending"}], run)
    assert db.execute("SELECT typeof(post_id) FROM posts").fetchone()[0] == "integer"
    db.conn.close()


def test_m009_turns_integer_post_ids_into_text_keeping_rows_keys_views_and_indexes(tmp_path):
    path = tmp_path / "archive.db"
    _old_archive(path)
    before = sqlite3.connect(path)
    views = {n for (n,) in before.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    indexes = {n for (n,) in before.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    before.close()
    db = open_db(path)
    for table in POST_ID_TABLES:
        assert db[table].columns_dict["post_id"] is str, table
    assert {t for (t,) in db.execute("SELECT DISTINCT typeof(post_id) FROM posts")} == {"text"}
    assert db.execute("SELECT count(*) FROM attachments a JOIN posts p USING (site, post_id)"
                      ).fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM post_versions").fetchone()[0] == 2
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'view'")} == views
    # every index is kept (later migrations may add their own tables' indexes)
    assert indexes <= {n for (n,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    # Old integer and new string parameters find the same row; known posts key by string.
    assert db.execute("SELECT title FROM posts WHERE post_id = ?", [3857175]).fetchone() == \
        db.execute("SELECT title FROM posts WHERE post_id = ?", ["3857175"]).fetchone()
    assert set(ArchiveWriter(db).known_posts()["dg-fenggang"]) == {"3857175", "4021980"}
    db.conn.close()


def test_hex_post_ids_survive_as_written(tmp_path):
    """Under the old INTEGER affinity these would have become inf and 123."""
    db = open_db(tmp_path / "archive.db")
    writer = ArchiveWriter(db)
    run = writer.start_run("crawl", {})
    writer.upsert_sites([{"slug": "ganzhou-jkq-fenggang", "name": "凤岗镇", "region": "江西省",
                          "entry_urls": [], "allowed_hosts": []}], run)
    for post_id in HEX_IDS:
        writer.record_post({"site": "ganzhou-jkq-fenggang", "post_id": post_id, "title": "t",
                            "url": "u", "article": "{}", "article_sha256": "s"}, "", [], run)
    assert {p for (p,) in db.execute("SELECT post_id FROM posts")} == set(HEX_IDS)
    assert writer.mark_removed("ganzhou-jkq-fenggang", {HEX_IDS[0]}, run) == 1
