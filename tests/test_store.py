"""The archive writer's dedupe and nightly bookkeeping (``archive.store.ArchiveWriter``) on a
real SQLite file: bodies stored once by sha256, post versions, touched and removed posts,
what a night may skip (``known_posts``), conditional-request validators and attachment
versions. The crawl tests run the same methods end to end; these pin each rule.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from archive.store import ArchiveWriter, Exchange

SITE = "dg-fenggang"
URL = "http://www.dg.gov.cn/attachment/0/1/1/7.pdf"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def writer(tmp_path):
    w = ArchiveWriter.open(tmp_path / "archive.db")
    yield w
    w.close()


def rows(writer, sql, *params):
    return [tuple(r) for r in writer.db.execute(sql, params).fetchall()]


def fetch(writer, run, url=URL, body=b"%PDF-1", outcome="ok", headers=None, kind="attachment"):
    return writer.record_fetch(Exchange(run_id=run, kind=kind, method="GET", url=url,
                                        request_headers={}, outcome=outcome, status=200,
                                        response_headers=headers, body=body, site=SITE))


def post(post_id=1, digest="a" * 64, title="凤岗镇2021年政府信息公开工作年度报告"):
    return {"site": SITE, "post_id": str(post_id), "title": title,
            "url": f"http://www.dg.gov.cn/p/{post_id}.html", "article": "{}",
            "article_sha256": digest}


def attachment(post_id=1, url=URL, name="报告.pdf", status="pending"):
    return {"site": SITE, "post_id": str(post_id), "url": url, "name": name, "ext": "pdf",
            "listed_in": "api,body", "status": status}


def test_a_body_is_stored_once_and_each_fetch_says_whether_it_was_new(writer):
    run = writer.start_run("crawl", {})
    first = Exchange(run_id=run, kind="attachment", method="GET", url=URL, request_headers={},
                     outcome="ok", body=b"%PDF-1")
    again = Exchange(run_id=run, kind="attachment", method="GET", url=URL, request_headers={},
                     outcome="ok", body=b"%PDF-1")
    failed = Exchange(run_id=run, kind="attachment", method="GET", url=URL, request_headers={},
                      outcome="network_error")
    ids = [writer.record_fetch(e) for e in (first, again, failed)]
    assert (first.sha256, again.sha256, failed.sha256) == (sha(b"%PDF-1"), sha(b"%PDF-1"), None)
    assert rows(writer, "SELECT id, new_blob, size, sha256 FROM fetches ORDER BY id") == [
        (ids[0], 1, 6, sha(b"%PDF-1")), (ids[1], 0, 6, sha(b"%PDF-1")), (ids[2], 0, None, None)]
    assert rows(writer, "SELECT sha256, size, content, first_run FROM blobs") == \
        [(sha(b"%PDF-1"), 6, b"%PDF-1", run)]
    assert writer._put_blob(b"%PDF-1", run) == (sha(b"%PDF-1"), False)
    assert writer._put_blob(b"", run) == (sha(b""), True)


def test_post_versions_new_unchanged_changed_and_first_run_kept(writer):
    runs = [writer.start_run("crawl", {}) for _ in range(3)]
    writer.record_post(post(), "<p>正文</p>", [attachment()], runs[0])
    writer.record_post(post(title="新标题"), "<p>正文</p>", [attachment()], runs[1])  # same sha
    writer.record_post(post(digest="b" * 64), "", [attachment()], runs[2])
    assert rows(writer, "SELECT change, run_id, title, article_sha256 FROM post_versions") == [
        ("new", runs[0], "凤岗镇2021年政府信息公开工作年度报告", "a" * 64),
        ("changed", runs[2], "凤岗镇2021年政府信息公开工作年度报告", "b" * 64)]
    assert rows(writer, "SELECT first_run, last_run, title, body_sha256, removed_run FROM posts") == \
        [(runs[0], runs[2], "凤岗镇2021年政府信息公开工作年度报告", None, None)]
    assert rows(writer, "SELECT content, first_run FROM blobs") == [("<p>正文</p>".encode(), runs[0])]


def test_a_post_keeps_the_sha256_of_its_body(writer):
    run = writer.start_run("crawl", {})
    writer.record_post(post(), "<p>正文</p>", [], run)
    assert rows(writer, "SELECT body_sha256 FROM posts") == [(sha("<p>正文</p>".encode()),)]


def test_a_returning_post_is_no_longer_removed(writer):
    runs = [writer.start_run("crawl", {}) for _ in range(3)]
    writer.record_post(post(), "", [], runs[0])
    assert writer.mark_removed(SITE, set(), runs[1]) == 1
    writer.record_post(post(), "", [], runs[2])
    assert rows(writer, "SELECT removed_run, last_run FROM posts") == [(None, runs[2])]


def test_touch_keeps_a_post_and_its_attachments_current(writer):
    runs = [writer.start_run("crawl", {}) for _ in range(4)]
    list_fetch = fetch(writer, runs[0], kind="list", url="http://www.dg.gov.cn/api", body=b"[]")
    writer.record_post(dict(post(), list_fetch_id=list_fetch), "", [attachment()], runs[0])
    writer.record_post(post(post_id=2), "", [attachment(post_id=2)], runs[0])
    writer.mark_removed(SITE, {"2"}, runs[1])
    writer.touch_post(SITE, "1", None, runs[2])
    assert rows(writer, "SELECT post_id, last_run, removed_run, list_fetch_id FROM posts "
                        "ORDER BY post_id") == [("1", runs[2], None, list_fetch),
                                                ("2", runs[0], None, None)]
    later_list = fetch(writer, runs[3], kind="list", url="http://www.dg.gov.cn/api", body=b"[1]")
    writer.touch_post(SITE, "1", later_list, runs[3])
    assert rows(writer, "SELECT list_fetch_id FROM posts WHERE post_id = '1'") == [(later_list,)]
    assert rows(writer, "SELECT post_id, last_run FROM attachments ORDER BY post_id") == \
        [("1", runs[3]), ("2", runs[0])]


def test_mark_removed_marks_only_unseen_present_posts_of_that_site(writer):
    runs = [writer.start_run("crawl", {}) for _ in range(3)]
    for post_id in (1, 2, 3):
        writer.record_post(post(post_id=post_id), "", [], runs[0])
    writer.record_post(dict(post(post_id=4), site="dg-qingxi"), "", [], runs[0])
    assert writer.mark_removed(SITE, {"1"}, runs[1]) == 2
    assert writer.mark_removed(SITE, {"1"}, runs[2]) == 0  # already marked: the first run stays
    assert rows(writer, "SELECT site, post_id, removed_run FROM posts ORDER BY post_id") == [
        (SITE, "1", None), (SITE, "2", runs[1]), (SITE, "3", runs[1]), ("dg-qingxi", "4", None)]


def test_known_posts_tell_whether_every_attachment_is_archived(writer):
    run = writer.start_run("crawl", {})
    writer.record_post(post(post_id=1, digest="1" * 64), "", [attachment(1)], run)
    writer.record_post(post(post_id=2, digest="2" * 64), "",
                       [attachment(2), attachment(2, url=URL + "?b")], run)
    writer.record_post(post(post_id=3, digest="3" * 64), "", [], run)
    writer.record_post(dict(post(post_id=4, digest="4" * 64), site="dg-qingxi"), "",
                       [dict(attachment(4), site="dg-qingxi")], run)
    body = fetch(writer, run)
    writer.record_attachment_result(SITE, 1, URL, "ok", body, sha(b"%PDF-1"), run)
    writer.record_attachment_result(SITE, 2, URL, "ok", body, sha(b"%PDF-1"), run)
    writer.record_attachment_result(SITE, 2, URL + "?b", "not_a_document", None, None, run)
    writer.record_attachment_result("dg-qingxi", 4, URL, "ok", body, sha(b"%PDF-1"), run)
    assert writer.known_posts() == {
        SITE: {"1": ("1" * 64, True), "2": ("2" * 64, False), "3": ("3" * 64, True)},
        "dg-qingxi": {"4": ("4" * 64, True)}}


def test_known_posts_of_an_empty_archive(writer):
    assert writer.known_posts() == {}


def test_validators_of_the_latest_successful_fetch(writer):
    run = writer.start_run("crawl", {})
    assert writer.validators(URL) == (None, None, None)
    fetch(writer, run, body=b"v1", headers={"ETag": ['"1"'], "Last-Modified": ["Mon, 01 Jan 2024"]})
    fetch(writer, run, body=b"v2", headers={"etag": ['"2"']})
    fetch(writer, run, body=b"<html>busy", outcome="http_error", headers={"ETag": ['"x"']})
    fetch(writer, run, body=None, headers={"ETag": ['"y"']})
    assert writer.validators(URL) == ('"2"', None, sha(b"v2"))
    fetch(writer, run, body=b"v3", headers=None)
    assert writer.validators(URL) == (None, None, sha(b"v3"))
    fetch(writer, run, url=URL + "?other", body=b"v4", headers={"Last-Modified": ["Tue"]})
    assert writer.validators(URL + "?other") == (None, "Tue", sha(b"v4"))
    assert writer.validators(URL) == (None, None, sha(b"v3"))


def test_a_refreshed_attachment_row_keeps_its_status_and_first_run(writer):
    runs = [writer.start_run("crawl", {}) for _ in range(2)]
    writer.record_post(post(), "", [attachment(name="旧名.pdf")], runs[0])
    writer.record_attachment_result(SITE, 1, URL, "ok", fetch(writer, runs[0], body=b"x"),
                                    sha(b"x"), runs[0])
    writer.record_post(post(digest="b" * 64), "",
                       [attachment(name="新名.pdf", status="pending")], runs[1])
    assert rows(writer, "SELECT name, status, sha256, first_run, last_run FROM attachments") == \
        [("新名.pdf", "ok", sha(b"x"), runs[0], runs[1])]


def test_attachment_results_and_versions(writer):
    runs = [writer.start_run("crawl", {}) for _ in range(4)]
    writer.record_post(post(), "", [attachment()], runs[0])
    one = fetch(writer, runs[0], body=b"one")
    writer.record_attachment_result(SITE, 1, URL, "ok", one, sha(b"one"), runs[0])
    failed = fetch(writer, runs[1], body=None, outcome="network_error")
    writer.record_attachment_result(SITE, 1, URL, "network_error", failed, None, runs[1])
    assert rows(writer, "SELECT status, fetch_id, sha256, last_run FROM attachments") == \
        [("network_error", failed, sha(b"one"), runs[1])]
    writer.record_attachment_result(SITE, 1, URL, "ok", None, sha(b"one"), runs[2])  # a 304
    two = fetch(writer, runs[3], body=b"two")
    writer.record_attachment_result(SITE, 1, URL, "ok", two, sha(b"two"), runs[3])
    assert rows(writer, "SELECT status, fetch_id, sha256, last_run FROM attachments") == \
        [("ok", two, sha(b"two"), runs[3])]
    attachment_id = rows(writer, "SELECT id FROM attachments")[0][0]
    assert rows(writer, "SELECT attachment_id, sha256, fetch_id, run_id FROM attachment_versions "
                        "ORDER BY id") == [(attachment_id, sha(b"one"), one, runs[0]),
                                           (attachment_id, sha(b"two"), two, runs[3])]
    writer.record_attachment_result(SITE, 9, URL, "ok", two, sha(b"two"), runs[3])  # no such row
    assert rows(writer, "SELECT count(*) FROM attachments") == [(1,)]


def test_request_headers_and_exchange_fields_are_stored(writer):
    run = writer.start_run("crawl", {"site": ["凤岗"]})
    ex = Exchange(run_id=run, kind="detail", method="GET", url=URL, outcome="ok",
                  request_headers={"User-Agent": ["gkarchive"]}, site=SITE, status=200,
                  response_headers={"Content-Type": ["text/html"]}, body=b"<p>",
                  error=None, elapsed_ms=12, referer_url="http://r/", attempt=2, via_proxy=True)
    writer.record_fetch(ex)
    row = rows(writer, "SELECT run_id, site, kind, method, url, status, outcome, request_headers, "
                       "response_headers, elapsed_ms, referer_url, attempt, via_proxy FROM fetches")
    assert row == [(run, SITE, "detail", "GET", URL, 200, "ok", json.dumps({"User-Agent": ["gkarchive"]}),
                    json.dumps({"Content-Type": ["text/html"]}), 12, "http://r/", 2, 1)]


def test_a_fetch_replayed_with_its_id_is_stored_once(writer):
    """Distributed workers send a fetch with its row id; a replay after a writer crash finds it
    stored and writes nothing again (no second row, no second blob)."""
    run = writer.start_run("crawl", {})
    given = [Exchange(run_id=run, kind="list", method="GET", url=URL, request_headers={},
                      outcome="ok", body=b"[]", fetch_id=fetch_id) for fetch_id in (41, 41, 57)]
    assert [writer.record_fetch(e) for e in given] == [41, 41, 57]
    assert rows(writer, "SELECT id, new_blob, sha256 FROM fetches ORDER BY id") == [
        (41, 1, sha(b"[]")), (57, 0, sha(b"[]"))]
    assert rows(writer, "SELECT count(*) FROM blobs") == [(1,)]


def test_runs_left_running_by_a_dead_process_become_interrupted(writer):
    runs = [writer.start_run("crawl", {}) for _ in range(4)]
    writer.finish_run(runs[1], "finished", "done", {})
    assert writer.mark_interrupted_runs() == [runs[0], runs[2], runs[3]]
    assert rows(writer, "SELECT id, status, finish_reason, finished_at IS NOT NULL FROM runs "
                        "ORDER BY id") == [
        (runs[0], "interrupted", "process died; marked by a later run", 1),
        (runs[1], "finished", "done", 1),
        (runs[2], "interrupted", "process died; marked by a later run", 1),
        (runs[3], "interrupted", "process died; marked by a later run", 1)]
    assert writer.mark_interrupted_runs() == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["s1", "s2"]), st.sampled_from(["c/1/", "c/2/"]),
                          st.sampled_from(["list", "xxgk_list", "xlist"]), st.booleans()),
                max_size=8))
def test_the_last_template_each_column_answered_with_is_remembered(tmp_path_factory, nights):
    """Each night remembers the template a column answered with; the next reads the last one
    per (site, column), with the fetch and run that found it."""
    writer = ArchiveWriter.open(tmp_path_factory.mktemp("t") / "archive.db")
    model, last = {}, {}
    for site, column, template, fetched in nights:
        run = writer.start_run("crawl", {})
        fetch_id = fetch(writer, run, url=column, kind="list") if fetched else None
        writer.remember_list_template(site, column, template, fetch_id, run)
        model[(site, column)], last[(site, column)] = template, (fetch_id, run)
    assert writer.list_templates() == model
    assert {(s, c): (f, r) for s, c, f, r in rows(
        writer, "SELECT site, column_url, fetch_id, run_id FROM list_templates")} == last
    writer.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["http://h/a.html", "http://h/b.html"]),
                          st.sampled_from(["甲镇", "乙镇"]), st.sampled_from([2021, 2022, None])),
                max_size=6))
def test_unassigned_reports_are_listed_once_per_url(tmp_path_factory, sightings):
    """A report no site claims is listed once per URL: its first run kept, the rest the last
    sighting's."""
    writer = ArchiveWriter.open(tmp_path_factory.mktemp("u") / "archive.db")
    model = {}
    for url, body, year in sightings:
        run = writer.start_run("crawl", {})
        writer.record_unassigned({"url": url, "body": body, "title": f"{body}{year}年报",
                                  "year": year, "column_url": "http://h/", "seen_by_site": "s"},
                                 run)
        first = model.get(url, (None, run))[1]
        model[url] = (body, first, run, year)
    assert writer.known_unassigned() == {u: m[0] for u, m in model.items()}
    assert {r[0]: r[1:] for r in rows(writer, "SELECT url, body, first_run, last_run, year FROM "
                                              "unassigned_reports")} == model
    writer.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["Referer", "Content-Disposition", "X-Site"]),
                       st.lists(st.text("凤岗镇年报.pdf =;\"'a", min_size=1, max_size=8),
                                min_size=1, max_size=2), min_size=1))
def test_headers_are_stored_as_readable_utf8_json(tmp_path_factory, headers):
    """Headers are kept as JSON text a datasette user can search for 凤岗镇: non-ASCII
    characters as themselves, not as \\u escapes."""
    writer = ArchiveWriter.open(tmp_path_factory.mktemp("h") / "archive.db")
    run = writer.start_run("crawl", {})
    writer.record_fetch(Exchange(run_id=run, kind="attachment", method="GET", url=URL,
                                 request_headers=headers, response_headers=headers,
                                 outcome="ok", body=b"x"))
    text = json.dumps(headers, ensure_ascii=False)
    assert rows(writer, "SELECT request_headers, response_headers FROM fetches") == [(text, text)]
    writer.close()
