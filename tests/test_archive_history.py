"""The archive over several nights: new, changed and removed posts; an unchanged night that
downloads no attachment bytes; backfills; offline re-extraction; the provenance of a cell."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess

import pytest

from tests.crawl_support import GKARCHIVE, PORTAL_SITES, REPO, crawl
from tests.portal import Portal

NEW_REPORT_PDF = (REPO / "tests/fixtures/documents/dg-zjj-2021.pdf").read_bytes()


def rows(db, sql, *params):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def one(db, sql, *params):
    return rows(db, sql, *params)[0][0]


def run_ok(result):
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result


def attachment_of(portal, slug, year):
    report = next(r for r in portal.expected()[slug].reports if r.year == year)
    return report, (report.attachments[0] if report.attachments else None)


def test_three_nights_new_changed_removed_then_unchanged(tmp_path):
    db = tmp_path / "archive.db"
    with Portal() as portal:
        run_ok(crawl(portal.url, db, extract=True))
        blobs_first = one(db, "SELECT count(*) FROM blobs")
        changed_report, changed = attachment_of(portal, "huadu-chini", 2023)
        removed_report, _ = attachment_of(portal, "dg-fenggang", 2019)
        aid = int(changed.url.split("/")[-2])
        portal.replace_attachment_bytes(aid, (REPO / "tests/fixtures/documents/"
                                              "dg-fenggang-2021.docx").read_bytes())
        portal.remove_post(removed_report.post_id)
        new_id = portal.add_report("huadu-shiling", "狮岭镇2024年政府信息公开工作年度报告", 2024,
                                   attachments=[("狮岭镇2024年年报.pdf", NEW_REPORT_PDF)])
        second = run_ok(crawl(portal.url, db, extract=True))
        assert "huadu-shiling" in second.stdout
        third = run_ok(crawl(portal.url, db, extract=True))
    # night 2: the new post, the changed attachment as a new version beside the old
    assert rows(db, "SELECT change, run_id FROM post_versions WHERE post_id = ?", new_id) == \
        [("new", 2)]
    assert one(db, "SELECT status FROM attachments WHERE post_id = ?", new_id) == "ok"
    assert one(db, "SELECT year FROM reports WHERE site = 'huadu-shiling' AND post_id = ?",
               new_id) == 2024
    versions = rows(db, "SELECT v.sha256, v.run_id FROM attachment_versions v JOIN attachments a "
                        "ON a.id = v.attachment_id WHERE a.url = ? ORDER BY v.id", changed.url)
    assert [run for _, run in versions] == [1, 2]
    assert versions[0][0] == changed.sha256 and versions[1][0] != changed.sha256
    assert one(db, "SELECT count(*) FROM blobs WHERE sha256 = ?", changed.sha256) == 1
    assert rows(db, "SELECT change FROM post_versions WHERE post_id = ? ORDER BY id",
                changed_report.post_id) == [("new",), ("changed",)]
    # the removed post is marked, never deleted, and its report and bytes stay
    assert one(db, "SELECT removed_run FROM posts WHERE post_id = ?", removed_report.post_id) == 2
    assert one(db, "SELECT count(*) FROM reports WHERE site = 'dg-fenggang' AND year = 2019") == 1
    # night 3: nothing changed: no detail page, no attachment byte, no new blob
    assert rows(db, "SELECT DISTINCT kind FROM fetches WHERE run_id = 3 ORDER BY kind") == \
        [("column",), ("entry",), ("list",), ("robots",), ("shell",)]  # no search nightly
    assert one(db, "SELECT count(*) FROM blobs WHERE first_run = 3") == 0
    assert one(db, "SELECT count(*) FROM fetches WHERE run_id = 3 AND new_blob = 1") == 0
    assert one(db, "SELECT count(*) FROM blobs") > blobs_first
    assert "0 documents extracted" in third.stdout and "0 reports written" in third.stdout
    summaries = {run: json.loads(text) for run, text in rows(db, "SELECT id, summary FROM runs")}
    shiling, chini, fenggang = (summaries[2]["sites"][s] for s in
                                ("huadu-shiling", "huadu-chini", "dg-fenggang"))
    assert (shiling["new_reports"], shiling["changed"], shiling["unchanged"]) == (1, 0, 5)
    assert (chini["changed"], chini["unchanged"]) == (1, 3)
    assert fenggang["removed"] == 1
    assert all(s["unchanged"] == s["reports"] and s["new_reports"] == 0
               for s in summaries[3]["sites"].values())
    assert one(db, "SELECT count(*) FROM reports WHERE run_id = 3") == 0


def test_revisit_uses_validators_and_keeps_unchanged_bytes(tmp_path):
    db = tmp_path / "archive.db"
    with Portal(faults={"validators"}) as portal:
        run_ok(crawl(portal.url, db, "--site", "dg-zjj"))
        run_ok(crawl(portal.url, db, "--site", "dg-zjj", "--revisit"))
        _, att = attachment_of(portal, "dg-zjj", 2021)
        data = bytearray((REPO / "tests/fixtures/documents/dg-zjj-2021.pdf").read_bytes())
        data[-20:] = b"%% changed same size\n"[:20]
        portal.replace_attachment_bytes(int(att.url.split("/")[-2]), bytes(data))
        run_ok(crawl(portal.url, db, "--site", "dg-zjj", "--revisit"))
    second = dict(rows(db, "SELECT outcome, count(*) FROM fetches WHERE run_id = 2 "
                           "AND kind = 'attachment' GROUP BY outcome"))
    assert second == {"not_modified": 3}
    assert one(db, "SELECT coalesce(sum(size), 0) FROM fetches WHERE run_id = 2 "
                   "AND kind = 'attachment'") == 0
    third = rows(db, "SELECT outcome, url FROM fetches WHERE run_id = 3 AND kind = 'attachment' "
                     "AND outcome = 'ok'")
    assert [url for _, url in third] == [att.url]
    assert one(db, "SELECT count(*) FROM attachment_versions v JOIN attachments a "
                   "ON a.id = v.attachment_id WHERE a.url = ?", att.url) == 2


def test_backfill_fetches_only_its_years_then_what_is_missing(tmp_path):
    db = tmp_path / "archive.db"
    with Portal() as portal:
        run_ok(crawl(portal.url, db, "--site", "huadu-shiling", "--years", "2020-2021",
                     extract=True))
        assert rows(db, "SELECT DISTINCT report_year FROM posts ORDER BY 1") == [(2020,), (2021,)]
        assert rows(db, "SELECT year FROM reports ORDER BY year") == [(2020,), (2021,)]
        backfill = subprocess.run(
            [*GKARCHIVE, "backfill", "--sites", str(PORTAL_SITES), "--db", str(db), "--proxy",
             portal.url, "--delay", "0", "--site", "huadu-shiling", "--years", "2019-2022",
             "--log-level", "WARNING"], cwd=REPO, capture_output=True, text=True, timeout=300)
        run_ok(backfill)
    assert rows(db, "SELECT command FROM runs ORDER BY id") == [("crawl",), ("backfill",)]
    assert rows(db, "SELECT year FROM reports ORDER BY year") == [(2019,), (2020,), (2021,), (2022,)]
    refetched = one(db, "SELECT count(*) FROM fetches f JOIN posts p ON f.id = p.detail_fetch_id "
                        "WHERE f.run_id = 2 AND p.report_year IN (2020, 2021)")
    assert refetched == 0
    no_years = subprocess.run([*GKARCHIVE, "backfill", "--db", str(db), "--sites",
                               str(PORTAL_SITES), "--proxy", "http://127.0.0.1:9"], cwd=REPO,
                              capture_output=True, text=True, timeout=60)
    assert no_years.returncode == 2 and "--year" in no_years.stderr


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    db = tmp_path_factory.mktemp("crawled") / "archive.db"
    with Portal() as portal:
        run_ok(crawl(portal.url, db, "--site", "huadu-shiling", extract=True))
    return db


def test_reextract_offline_records_new_versions_beside_the_old(crawled, tmp_path):
    db = tmp_path / "archive.db"
    shutil.copy(crawled, db)
    before = rows(db, "SELECT id, sha256, extractor_version FROM extractions ORDER BY id")
    # Offline, really: a fresh network namespace with no interfaces for the whole process tree
    # (unshare --net), and the suite's socket guard in offline mode in every Python process of
    # it, which refuses any connect or lookup (loopback too) and logs it. No silent fallback:
    # without unshare the guard alone holds, and an attempt still fails the test.
    offline = ["unshare", "--net"]
    if not shutil.which("unshare") or subprocess.run([*offline, "true"]).returncode != 0:
        offline = []
    attempts = tmp_path / "network-attempts.log"
    env = dict(os.environ, GKARCHIVE_NETGUARD_OFFLINE="1", GKARCHIVE_NETGUARD_LOG=str(attempts))
    probe = subprocess.run(
        [*offline, *GKARCHIVE[:1], "-c", "import socket\ntry: socket.getaddrinfo('localhost', 80)\n"
         "except OSError as exc: print(type(exc).__name__)"], capture_output=True, text=True,
        env=dict(env, GKARCHIVE_NETGUARD_LOG=str(tmp_path / "probe.log")), timeout=60)
    assert probe.stdout.strip() == "NetworkGuardError", probe.stderr  # the guard is on
    env_versions = ("import archive.extract as e, archive.report as r, archive.cli as c, sys;"
                    "e.EXTRACTOR_VERSION = '9.0.0'; sys.exit(c.main(sys.argv[1:]))")
    result = subprocess.run([*offline, *GKARCHIVE[:1], "-c", env_versions, "reextract", "--db",
                             str(db), "--site", "huadu-shiling", "--year", "2020"],
                            cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert not attempts.exists() or not attempts.read_text(), attempts.read_text()
    run_ok(result)
    assert "reports rewritten: 1" in result.stdout
    after = rows(db, "SELECT id, sha256, extractor_version FROM extractions ORDER BY id")
    assert after[:len(before)] == before
    new = [r for r in after if r[2] == "9.0.0"]
    assert len(new) == 2
    assert one(db, "SELECT e.extractor_version FROM reports r JOIN extractions e "
                   "ON e.id = r.extraction_id WHERE r.year = 2020") == "9.0.0"
    assert one(db, "SELECT extractor_version FROM extractions e JOIN reports r "
                   "ON e.id = r.extraction_id WHERE r.year = 2021") == before[0][2]
    assert one(db, "SELECT command FROM runs ORDER BY id DESC LIMIT 1") == "reextract"
    assert one(db, "SELECT count(*) FROM fetches WHERE run_id = 2") == 0


def test_provenance_from_a_cell_to_its_url_and_run(crawled):
    result = run_ok(subprocess.run(
        [*GKARCHIVE, "provenance", "--db", str(crawled), "--site", "huadu-shiling", "--year",
         "2020", "--key", "t3.new_received.total"], cwd=REPO, capture_output=True, text=True))
    import json

    chain = json.loads(result.stdout)
    assert chain["cell"] == {"key": "t3.new_received.total", "value": 1, "raw": "1",
                             "state": "value"}
    assert chain["fetch"]["kind"] == "attachment" and chain["fetch"]["run_id"] == 1
    assert chain["fetch"]["url"].startswith("https://www.huadu.gov.cn/gzhdslz/attachment/")
    # huadu-shiling's entry URL is the annualreport shell itself
    assert [p["kind"] for p in chain["led_by"]] == ["detail", "list", "entry"]
    assert chain["led_by"][-1]["url"] == "https://www.huadu.gov.cn/gzhdslz/gkmlpt/annualreport"
    assert chain["extraction"]["extractor_version"]
    assert chain["site_config"]["slug"] == "huadu-shiling"
    missing = subprocess.run([*GKARCHIVE, "provenance", "--db", str(crawled), "--site", "x",
                              "--year", "2020", "--key", "t9.x.y"], cwd=REPO,
                             capture_output=True, text=True)
    assert missing.returncode == 1


def test_datasette_answers_on_a_crawled_archive(crawled):
    """The canned queries over an archive that a real crawl and extraction built."""
    import asyncio

    from archive.datasette_plugin.queries import CANNED_QUERIES
    from archive.serve import make_datasette

    ds = make_datasette(crawled)
    report_id = one(crawled, "SELECT id FROM reports WHERE year = 2020")
    params = {"year": "2020", "report_id": str(report_id), "key": "t3.new_received.total",
              "q": "年报"}

    def query(name):
        wanted = {p: v for p, v in params.items() if f":{p}" in CANNED_QUERIES[name]["sql"]}
        response = asyncio.run(ds.client.get(f"/archive/{name}.json",
                                             params={"_shape": "array", **wanted}))
        assert response.status_code == 200, response.text
        return response.json()

    for name in CANNED_QUERIES:
        query(name)
    assert [r["site"] for r in query("reports_of_year")] == ["huadu-shiling"]
    t3 = query("report_t3")
    assert len(t3) == 23
    problems = {r["year"] for r in query("reports_with_problems")}
    assert 2020 in problems
    assert query("cell_provenance")


def test_an_unchanged_post_whose_attachment_is_still_pending_is_fetched_again(tmp_path):
    """Night 1: one PDF of huadu-shiling 2020 answers a 系统繁忙 page (not archived). Night 2:
    the post's list entry is unchanged, but it still lacks an attachment: the crawl fetches
    its detail page and the PDF again — and only those; the other posts are just touched."""
    db = tmp_path / "archive.db"
    with Portal(faults={"html_error_pdf"}) as busy:
        first = crawl(busy.url, db, "--site", "huadu-shiling")
        busy_url = busy.app.targets.busy_pdf_url
    assert first.returncode == 1 and "not_a_document" in first.stdout, first.stdout
    assert one(db, "SELECT status FROM attachments WHERE url = ?", busy_url) == "not_a_document"
    with Portal() as plain:
        report, _ = attachment_of(plain, "huadu-shiling", 2020)
        pdf = next(a for a in report.attachments if a.url == busy_url)
        run_ok(crawl(plain.url, db, "--site", "huadu-shiling"))
    assert rows(db, "SELECT url FROM fetches WHERE run_id = 2 AND kind = 'detail'") == \
        [(report.detail_url,)]
    assert rows(db, "SELECT url FROM fetches WHERE run_id = 2 AND kind = 'attachment' "
                    "AND url = ?", busy_url) == [(busy_url,)]
    assert rows(db, "SELECT status, sha256 FROM attachments WHERE url = ?", busy_url) == \
        [("ok", pdf.sha256)]
    assert one(db, "SELECT count(*) FROM attachments WHERE status != 'ok'") == 0
    assert one(db, "SELECT count(*) FROM posts WHERE last_run = 2") == 5
