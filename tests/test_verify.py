"""``gkarchive verify`` on real SQLite archives damaged on purpose, and the scheduling files
(``config/gkarchive.service``, ``config/gkarchive.timer``, ``config/crontab``)."""

from __future__ import annotations

import argparse
import configparser
import hashlib
import os
import random
import shlex
import shutil
import sqlite3
import subprocess
import tracemalloc
from pathlib import Path

import pytest

from archive.cli import build_parser
from archive.db import ArchiveError, open_db
from archive.store import ArchiveWriter, Exchange
from archive.verify import (BlobMismatch, DanglingReference, add_verify_arguments, cmd_verify,
                            format_verify, verify_archive)

REPO = Path(__file__).resolve().parent.parent
PAGE = "<html><body>政府信息公开工作年度报告</body></html>".encode()
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def archive(tmp_path) -> Path:
    """A detail page and its attachment, both archived, with the post and attachment rows."""
    path = tmp_path / "archive.db"
    writer = ArchiveWriter.open(path)
    run = writer.start_run("crawl", {})
    page = writer.record_fetch(Exchange(run_id=run, kind="detail", method="GET",
                                        url="http://www.dg.gov.cn/fg/gkmlpt/content/1/1/post_1.html",
                                        request_headers={}, outcome="ok", status=200,
                                        response_headers={}, body=PAGE, site="dg-fenggang"))
    pdf = writer.record_fetch(Exchange(run_id=run, kind="attachment", method="GET",
                                       url="http://www.dg.gov.cn/attachment/1.pdf",
                                       request_headers={}, outcome="ok", status=200,
                                       response_headers={}, body=PDF, site="dg-fenggang"))
    writer.record_post({"site": "dg-fenggang", "post_id": 1, "title": "2023年度报告",
                        "url": "http://www.dg.gov.cn/fg/gkmlpt/content/1/1/post_1.html",
                        "article": "{}", "article_sha256": "0" * 64, "detail_fetch_id": page},
                       "", [{"site": "dg-fenggang", "post_id": 1, "url": "http://www.dg.gov.cn/attachment/1.pdf",
                         "name": "2023年度报告", "listed_in": "api", "status": "pending"}], run)
    writer.record_attachment_result("dg-fenggang", 1, "http://www.dg.gov.cn/attachment/1.pdf", "ok",
                                    pdf, sha(PDF), run)
    writer.close()
    return path


def damage(path: Path, *statements: tuple[str, list]) -> None:
    """Write past the archive's guards (foreign keys off), as a bad disk or a bad tool would."""
    conn = sqlite3.connect(path)
    for sql, params in statements:
        conn.execute(sql, params)
    conn.commit()
    conn.close()


def verify(path: Path):
    return verify_archive(open_db(path, readonly=True))


def test_a_sound_archive_is_clean(archive):
    result = verify(archive)
    assert result.clean
    assert (result.blobs_checked, result.bytes_checked) == (2, len(PAGE) + len(PDF))
    # Read from the schema's foreign keys: later migrations' tables are checked too.
    assert {("attachments", "sha256"), ("fetches", "sha256")} <= set(result.references)
    report = format_verify(result)
    assert report.splitlines()[0] == f"blobs: 2 rehashed, {len(PAGE) + len(PDF)} bytes"
    assert report.splitlines()[-1] == "verify: clean"


def test_changed_content_and_wrong_size_are_mismatches(archive):
    damage(archive, ("UPDATE blobs SET content = ? WHERE sha256 = ?", [PDF[:-1] + b"X", sha(PDF)]),
           ("UPDATE blobs SET size = 3 WHERE sha256 = ?", [sha(PAGE)]))
    result = verify(archive)
    assert not result.clean
    assert sorted(result.mismatches, key=lambda m: m.size) == [
        BlobMismatch(sha(PAGE), 3, sha(PAGE), len(PAGE)),
        BlobMismatch(sha(PDF), len(PDF), sha(PDF[:-1] + b"X"), len(PDF))]
    assert f"mismatch {sha(PDF)}: stored size {len(PDF)}" in format_verify(result)


def test_a_blob_nothing_references_is_an_orphan(archive):
    lost = b"a body whose fetch row was deleted"
    damage(archive, ("INSERT INTO blobs (sha256, size, content, created_at) VALUES (?, ?, ?, '')",
                     [sha(lost), len(lost), lost]))
    result = verify(archive)
    assert result.orphans == [sha(lost)] and not result.mismatches
    assert f"orphan {sha(lost)}" in format_verify(result).splitlines()


def test_a_reference_to_a_missing_blob_is_dangling(archive):
    damage(archive, ("DELETE FROM blobs WHERE sha256 = ?", [sha(PDF)]))
    result = verify(archive)
    assert {DanglingReference("attachments", "sha256", 1, sha(PDF)),
            DanglingReference("fetches", "sha256", 2, sha(PDF))} <= set(result.dangling)
    assert {d.sha256 for d in result.dangling} == {sha(PDF)} and not result.orphans
    assert {("attachments", "blobs"), ("fetches", "blobs")} <= {
        (v.table, v.parent) for v in result.foreign_keys}
    assert "dangling fetches.sha256 rowid 2 -> " + sha(PDF) in format_verify(result)


def test_a_damaged_index_fails_integrity_check(archive):
    # The index's definition no longer matches its entries: what a torn write can leave.
    damage(archive, ("PRAGMA writable_schema = ON", []),
           ("UPDATE sqlite_master SET sql = 'CREATE INDEX fetches_url ON fetches(method)' "
            "WHERE name = 'fetches_url'", []))
    result = verify(archive)
    assert result.integrity and not result.clean
    assert any("fetches_url" in line for line in result.integrity)


def test_verify_is_read_only(archive):
    before = archive.read_bytes()
    assert verify(archive).clean
    assert archive.read_bytes() == before
    with pytest.raises(ArchiveError, match="no such archive"):
        verify(archive.with_name("absent.db"))


def test_a_large_blob_is_streamed_not_loaded(tmp_path):
    path = tmp_path / "big.db"
    body = random.Random(3).randbytes(24 << 20)
    writer = ArchiveWriter.open(path)
    run = writer.start_run("crawl", {})
    writer.record_fetch(Exchange(run_id=run, kind="attachment", method="GET",
                                 url="http://www.dg.gov.cn/big.pdf", request_headers={},
                                 outcome="ok", status=200, response_headers={}, body=body))
    writer.close()
    del body
    tracemalloc.start()
    result = verify(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.clean and result.bytes_checked == 24 << 20
    assert peak < 4 << 20, f"peak {peak} bytes for a 24 MiB blob"


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="gkarchive")
    add_verify_arguments(parser)
    return cmd_verify(parser.parse_args(list(argv)))


def test_cli_exit_codes(archive, capsys):
    assert run_cli("--db", str(archive)) == 0
    assert capsys.readouterr().out.endswith("verify: clean\n")
    damage(archive, ("UPDATE blobs SET content = ? WHERE sha256 = ?", [b"x" * len(PAGE), sha(PAGE)]))
    assert run_cli("--db", str(archive)) == 1
    assert "verify: PROBLEMS FOUND" in capsys.readouterr().out
    assert cmd_verify.__doc__.strip().splitlines()[-1].strip().startswith("Example: gkarchive verify")


# --- scheduling: the unit files and the crontab run a command the CLI has ----------------------

SERVICE = REPO / "config" / "gkarchive.service"
TIMER = REPO / "config" / "gkarchive.timer"
CRONTAB = REPO / "config" / "crontab"
DEPLOYED_CLI = "/opt/gkarchive/.venv/bin/gkarchive"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read(path)
    return parser


def assert_runs_the_nightly_crawl(argv: list[str]) -> None:
    assert argv[0] == DEPLOYED_CLI
    commands = build_parser()._subparsers._group_actions[0].choices
    assert argv[1] == "crawl" and "crawl" in commands
    args = build_parser().parse_args(argv[1:])
    assert str(args.db) == "/opt/gkarchive/data/archive.db"


def test_service_runs_the_nightly_crawl_sandboxed():
    service = unit(SERVICE)["Service"]
    assert service["Type"] == "oneshot"
    assert_runs_the_nightly_crawl(shlex.split(service["ExecStart"]))
    assert service["User"] == "gkarchive" and service["WorkingDirectory"] == "/opt/gkarchive"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == "/opt/gkarchive/data"
    assert int(service["Nice"]) > 0 and service["TimeoutStartSec"]


def test_timer_is_nightly_at_half_past_two_in_china():
    timer = unit(TIMER)
    assert timer["Timer"]["OnCalendar"] == "*-*-* 02:30:00 Asia/Shanghai"
    assert timer["Timer"]["Persistent"] == "true" and timer["Timer"]["RandomizedDelaySec"]
    assert timer["Timer"]["Unit"] == SERVICE.name
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_crontab_runs_the_same_command_at_the_same_time():
    entries = [line for line in CRONTAB.read_text().splitlines()
               if line.strip() and not line.startswith("#") and "=" not in line.split()[0]]
    assert len(entries) == 1
    fields = entries[0].split(None, 6)
    assert fields[:6] == ["30", "2", "*", "*", "*", "gkarchive"]
    crawl = fields[6].split("flock -n data/crawl.cron.lock ", 1)[1].split(" >>")[0]
    assert_runs_the_nightly_crawl(shlex.split(crawl))
    assert "CRON_TZ=Asia/Shanghai" in CRONTAB.read_text()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_the_units(tmp_path):
    # verify wants ExecStart to exist: point it at this checkout's CLI instead of /opt.
    cli = REPO / ".venv" / "bin" / "gkarchive"
    if not cli.exists():
        pytest.skip("gkarchive is not installed in .venv")
    (tmp_path / SERVICE.name).write_text(SERVICE.read_text().replace(DEPLOYED_CLI, str(cli)))
    shutil.copy(TIMER, tmp_path / TIMER.name)
    verified = subprocess.run(["systemd-analyze", "verify", SERVICE.name, TIMER.name],
                              cwd=tmp_path, capture_output=True, text=True)
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
    calendar = subprocess.run(["systemd-analyze", "calendar", "*-*-* 02:30:00 Asia/Shanghai"],
                              capture_output=True, text=True, env=dict(os.environ, TZ="UTC"))
    assert "18:30:00 UTC" in calendar.stdout, calendar.stdout
