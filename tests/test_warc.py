"""``gkarchive export warc``: a small real archive written with ArchiveWriter, exported, read
back with warcio, and checked with warcio's own ``check`` and ``index`` tools."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sqlite3
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.db import open_db
from archive.store import ArchiveWriter, Exchange
from archive.warc import (EMPTY_SHA256, PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED, add_export_arguments,
                          cmd_export_warc, export_warc, payload_digest, warc_date)

SHELL_URL = "http://www.huadu.gov.cn/hdslz/gkmlpt/index"
PDF_URL = "http://www.huadu.gov.cn/attachment/0/1/1234/report.pdf"
MISSING_URL = "http://www.huadu.gov.cn/hdslz/gkmlpt/content/9/9999/post_9999.html"
SHELL = "<html><head><title>花都区狮岭镇 政府信息公开</title></head><body>年报</body></html>".encode()
SHELL_V2 = SHELL.replace(b"</body>", b"<p>2024</p></body>")
PDF = b"%PDF-1.7\n" + random.Random(5).randbytes(300_000)
WARCIO = Path(sys.executable).with_name("warcio")
REQUEST_HEADERS = {"User-Agent": ["gkarchive/0.1 (+https://example.org/gkarchive)"],
                   "Accept-Encoding": ["gzip, deflate"]}
GZIPPED = {"Content-Type": ["text/html; charset=utf-8"], "Content-Encoding": ["gzip"],
           "Transfer-Encoding": ["chunked"], "Set-Cookie": ["a=1", "b=2"]}


def exchange(run_id: int, url: str, outcome: str, status: int | None, body: bytes | None,
             at: str, headers: dict | None = None, site: str = "huadu-shiling") -> Exchange:
    return Exchange(run_id=run_id, kind="attachment" if url.endswith(".pdf") else "shell",
                    method="GET", url=url, request_headers=REQUEST_HEADERS, outcome=outcome,
                    site=site, status=status, body=body, fetched_at=at,
                    response_headers=headers if status is not None else None,
                    error="ConnectionRefusedError" if status is None else None)


@pytest.fixture
def archive(tmp_path) -> Path:
    """Two nightly runs: the second re-fetches the shell unchanged, gets a 304 for the PDF,
    and a changed page; one network error and one 404 page in the first run."""
    path = tmp_path / "archive.db"
    writer = ArchiveWriter.open(path)
    run1 = writer.start_run("crawl", {})
    writer.record_fetch(exchange(run1, SHELL_URL, "ok", 200, SHELL, "2024-03-01T02:30:01.250+00:00",
                                 dict(GZIPPED, **{"Content-Length": ["57"]})))
    writer.record_fetch(exchange(run1, PDF_URL, "network_error", None, None,
                                 "2024-03-01T02:30:02.000+00:00"))
    writer.record_fetch(exchange(run1, PDF_URL, "ok", 200, PDF, "2024-03-01T02:30:05.000+00:00",
                                 {"Content-Type": ["application/pdf"],
                                  "Last-Modified": ["Fri, 01 Mar 2024 00:00:00 GMT"]}))
    writer.record_fetch(exchange(run1, MISSING_URL, "http_error", 404, b"not found",
                                 "2024-03-01T02:30:06.000+00:00", {"Content-Type": ["text/plain"]}))
    run2 = writer.start_run("crawl", {})
    writer.record_fetch(exchange(run2, SHELL_URL, "ok", 200, SHELL, "2024-03-02T02:31:00.000+00:00",
                                 GZIPPED))
    writer.record_fetch(exchange(run2, PDF_URL, "not_modified", 304, b"",
                                 "2024-03-02T02:31:04.000+00:00", {"ETag": ['"abc"']}))
    writer.record_fetch(exchange(run2, SHELL_URL + "_2", "ok", 200, SHELL_V2,
                                 "2024-03-02T02:31:09.000+00:00", GZIPPED, site="dg-fenggang"))
    writer.close()
    return path


def read_warc(path: Path) -> list:
    """(type, uri, warc headers, http headers, payload) of every record, digests checked."""
    records = []
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream, check_digests="raise"):
            payload = record.content_stream().read()
            records.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI"),
                            record.rec_headers, record.http_headers, payload))
    return records


def export(archive: Path, out: Path, **filters):
    return export_warc(open_db(archive, readonly=True), out, **filters)


def test_export_writes_request_response_pairs_and_revisits(archive, tmp_path):
    result = export(archive, tmp_path / "all.warc.gz")
    records = read_warc(tmp_path / "all.warc.gz")
    assert [(kind, uri) for kind, uri, *_ in records] == [
        ("warcinfo", None),
        ("request", SHELL_URL), ("response", SHELL_URL),
        ("request", PDF_URL), ("response", PDF_URL),
        ("request", MISSING_URL), ("response", MISSING_URL),
        ("request", SHELL_URL), ("revisit", SHELL_URL),
        ("request", PDF_URL), ("revisit", PDF_URL),
        ("request", SHELL_URL + "_2"), ("response", SHELL_URL + "_2"),
    ]
    assert (result.responses, result.identical_revisits, result.not_modified_revisits,
            result.requests, result.skipped_without_body) == (4, 1, 1, 6, 1)
    assert result.payload_bytes == len(SHELL) + len(PDF) + len(b"not found") + len(SHELL_V2)
    assert result.clean
    responses = {(uri, h.get_header("WARC-Date")): (h, http, body)
                 for kind, uri, h, http, body in records if kind == "response"}
    for uri, date, body in [(SHELL_URL, "2024-03-01T02:30:01.250000Z", SHELL),
                            (PDF_URL, "2024-03-01T02:30:05Z", PDF),
                            (SHELL_URL + "_2", "2024-03-02T02:31:09Z", SHELL_V2)]:
        warc_headers, http, payload = responses[(uri, date)]
        assert payload == body
        assert warc_headers.get_header("WARC-Payload-Digest") == payload_digest(
            hashlib.sha256(body).hexdigest())
        assert http.get_statuscode() == "200"
        assert http.get_header("Content-Length") == str(len(body))


def test_recorded_headers_are_made_true_of_the_decoded_body(archive, tmp_path):
    export(archive, tmp_path / "all.warc.gz")
    _, _, warc_headers, http, payload = read_warc(tmp_path / "all.warc.gz")[2]
    assert http.protocol == "HTTP/1.1" and http.statusline == "200 OK"
    names = [name.lower() for name, _ in http.headers]
    assert "content-encoding" not in names and "transfer-encoding" not in names
    assert http.get_header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert http.get_header("X-Archive-Orig-Content-Length") == "57"
    assert [v for n, v in http.headers if n == "Set-Cookie"] == ["a=1", "b=2"]
    assert payload == SHELL


def test_request_records_carry_the_recorded_headers_and_link_to_their_response(archive, tmp_path):
    export(archive, tmp_path / "all.warc.gz")
    records = read_warc(tmp_path / "all.warc.gz")
    for (kind, _, request, http, payload), (_, _, response, *_) in zip(records[1::2], records[2::2]):
        assert kind == "request" and payload == b""
        assert http.protocol == "GET" and http.statusline.endswith(" HTTP/1.1")
        assert http.get_header("Host") == "www.huadu.gov.cn"
        assert http.get_header("User-Agent") == REQUEST_HEADERS["User-Agent"][0]
        assert request.get_header("WARC-Concurrent-To") == response.get_header("WARC-Record-ID")
        assert response.get_header("WARC-Concurrent-To") == request.get_header("WARC-Record-ID")
        assert request.get_header("WARC-Date") == response.get_header("WARC-Date")
        assert request.get_header("WARC-Payload-Digest") == payload_digest(EMPTY_SHA256)


def test_unchanged_refetch_is_an_identical_payload_revisit_of_the_first_capture(archive, tmp_path):
    export(archive, tmp_path / "all.warc.gz")
    kind, uri, headers, http, payload = read_warc(tmp_path / "all.warc.gz")[8]
    assert (kind, uri, payload) == ("revisit", SHELL_URL, b"")
    assert headers.get_header("WARC-Profile") == PROFILE_IDENTICAL
    assert headers.get_header("WARC-Refers-To-Target-URI") == SHELL_URL
    assert headers.get_header("WARC-Refers-To-Date") == "2024-03-01T02:30:01.250000Z"
    assert headers.get_header("WARC-Date") == "2024-03-02T02:31:00Z"
    assert headers.get_header("WARC-Payload-Digest") == payload_digest(
        hashlib.sha256(SHELL).hexdigest())
    assert http.get_statuscode() == "200"


def test_not_modified_is_a_server_not_modified_revisit(archive, tmp_path):
    export(archive, tmp_path / "all.warc.gz")
    kind, uri, headers, http, payload = read_warc(tmp_path / "all.warc.gz")[10]
    assert (kind, uri, payload) == ("revisit", PDF_URL, b"")
    assert headers.get_header("WARC-Profile") == PROFILE_NOT_MODIFIED
    assert headers.get_header("WARC-Refers-To-Date") == "2024-03-01T02:30:05Z"
    assert http.get_statuscode() == "304" and http.get_header("ETag") == '"abc"'


def test_a_run_alone_has_its_first_capture_in_full(archive, tmp_path):
    result = export(archive, tmp_path / "run2.warc.gz", run=2)
    records = read_warc(tmp_path / "run2.warc.gz")
    assert [kind for kind, *_ in records] == ["warcinfo", "request", "response", "request",
                                              "revisit", "request", "response"]
    assert records[2][4] == SHELL
    assert (result.responses, result.identical_revisits, result.skipped_without_body) == (2, 0, 0)
    assert b"run 2" in records[0][4]


def test_site_filter(archive, tmp_path):
    result = export(archive, tmp_path / "fenggang.warc.gz", site="dg-fenggang")
    assert [uri for kind, uri, *_ in read_warc(tmp_path / "fenggang.warc.gz")
            if kind == "response"] == [SHELL_URL + "_2"]
    assert result.requests == 1


def test_warcinfo_names_the_software_and_format(archive, tmp_path):
    export(archive, tmp_path / "all.warc.gz")
    kind, _, headers, _, payload = read_warc(tmp_path / "all.warc.gz")[0]
    assert headers.protocol == "WARC/1.1"
    assert headers.get_header("WARC-Filename") == "all.warc.gz"
    assert b"software: gkarchive/0.1.0 (warcio/" in payload
    assert b"format: WARC File Format 1.1" in payload


def test_every_record_is_its_own_gzip_member(archive, tmp_path):
    export(archive, tmp_path / "all.warc.gz")
    with gzip.open(tmp_path / "all.warc.gz") as stream:
        assert stream.read().count(b"WARC/1.1\r\n") == 13
    offsets = []
    with open(tmp_path / "all.warc.gz", "rb") as stream:
        iterator = ArchiveIterator(stream)
        for _ in iterator:
            offsets.append(iterator.get_record_offset())
    assert len(offsets) == 13 and offsets == sorted(set(offsets))


@pytest.mark.skipif(not WARCIO.exists(), reason="warcio command not installed")
def test_standard_tools_check_and_index_the_export(archive, tmp_path):
    export(archive, tmp_path / "all.warc.gz")
    check = subprocess.run([WARCIO, "check", "-v", tmp_path / "all.warc.gz"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") == 10  # 6 requests + 4 responses
    index = subprocess.run([WARCIO, "index", "-f", "warc-type,warc-target-uri,length",
                            tmp_path / "all.warc.gz"], capture_output=True, text=True, check=True)
    entries = [json.loads(line) for line in index.stdout.splitlines()]
    assert [e["warc-type"] for e in entries].count("revisit") == 2
    assert len(entries) == 13


@pytest.mark.skipif(not WARCIO.exists(), reason="warcio command not installed")
def test_a_corrupt_blob_is_reported_and_fails_warcio_check(archive, tmp_path):
    conn = sqlite3.connect(archive)
    conn.execute("UPDATE blobs SET content = ? WHERE sha256 = ?",
                 [PDF[:-1] + b"!", hashlib.sha256(PDF).hexdigest()])
    conn.commit()
    conn.close()
    result = export(archive, tmp_path / "bad.warc.gz")
    assert result.corrupt_blobs == [hashlib.sha256(PDF).hexdigest()] and not result.clean
    check = subprocess.run([WARCIO, "check", tmp_path / "bad.warc.gz"], capture_output=True)
    assert check.returncode == 1


def test_a_missing_blob_is_reported_not_written(archive, tmp_path):
    conn = sqlite3.connect(archive)  # foreign keys off: the damage verify is there to find
    conn.execute("DELETE FROM blobs WHERE sha256 = ?", [hashlib.sha256(SHELL_V2).hexdigest()])
    conn.commit()
    conn.close()
    result = export(archive, tmp_path / "gap.warc.gz")
    assert result.missing_blobs == [7] and result.responses == 3
    assert [uri for _, uri, *_ in read_warc(tmp_path / "gap.warc.gz")].count(SHELL_URL + "_2") == 0


def test_memory_stays_flat_for_a_large_body(tmp_path):
    path = tmp_path / "big.db"
    body = random.Random(1).randbytes(24 << 20)
    writer = ArchiveWriter.open(path)
    run = writer.start_run("crawl", {})
    for day in (1, 2):
        writer.record_fetch(exchange(run, PDF_URL, "ok", 200, body, f"2024-03-0{day}T02:30:00+00:00",
                                     {"Content-Type": ["application/pdf"]}))
    writer.close()
    del body
    tracemalloc.start()
    result = export(path, tmp_path / "big.warc.gz")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (result.responses, result.identical_revisits) == (1, 1)
    assert peak < 4 << 20, f"peak {peak} bytes for a 24 MiB body"


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="gkarchive")
    sub = parser.add_subparsers(dest="command", required=True)
    add_export_arguments(sub.add_parser("export", help=cmd_export_warc.__doc__.splitlines()[0]))
    args = parser.parse_args(["export", *argv])
    return cmd_export_warc(args)


def test_cli_exports_and_reports(archive, tmp_path, capsys):
    out = tmp_path / "exports" / "all.warc.gz"  # the folder is made
    assert run_cli("warc", str(out), "--db", str(archive), "--run", "1") == 0
    assert "3 responses" in capsys.readouterr().out
    assert not (out.parent / "all.warc.gz.partial").exists()
    with pytest.raises(ValueError, match="warc.gz"):
        run_cli("warc", str(tmp_path / "all.warc"), "--db", str(archive))
    assert "Example: gkarchive export warc" in cmd_export_warc.__doc__


def test_warc_date_is_utc_with_fractions():
    assert warc_date("2024-03-01T10:30:00.5+08:00") == "2024-03-01T02:30:00.500000Z"
    assert warc_date("2024-03-01T02:30:00+00:00") == "2024-03-01T02:30:00Z"

