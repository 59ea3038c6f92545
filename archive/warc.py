"""``gkarchive export warc``: the archived HTTP exchanges as a WARC 1.1 file, replayable anywhere.

One gzip member per record, in fetch order, after a ``warcinfo`` record:

- a fetch with a body → a ``request`` record (method, URL, the recorded request headers) and a
  ``response`` record (status line, the recorded response headers, the body from its blob),
  linked both ways by ``WARC-Concurrent-To``; ``WARC-Date`` is the fetch's ``fetched_at``.
  The archive keeps bodies *decoded* (the recorder sits after Scrapy's decompression), so
  ``Content-Encoding`` and ``Transfer-Encoding`` are dropped (kept as ``X-Archive-Orig-…``,
  the pywb convention) and ``Content-Length`` is the stored body's length;
- a later fetch of the same URL with the same body (an unchanged nightly re-fetch) → a
  ``revisit`` record with the identical-payload-digest profile, pointing at the first capture
  in this file, instead of the body again;
- a ``not_modified`` fetch (HTTP 304) → a ``revisit`` with the server-not-modified profile,
  referring to the URL's last earlier ``ok`` capture in the archive (maybe in an older export);
- a failed attempt without a response (network error, refused URL) → nothing.

``WARC-Payload-Digest`` is ``sha256:`` + base32 of the blob's key, so the export streams: rows
are iterated, each blob is read once in chunks through SQLite's incremental blob I/O and hashed
on the way through, and a blob whose content no longer matches its key is reported.

Example::

    >>> result = export_warc(open_db("data/archive.db", readonly=True), Path("out.warc.gz"))
    >>> print(format_export(result))
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import os
from importlib.metadata import version
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archive import __version__

PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# The stored body is decoded and whole: these would make a replayer decode it again.
DECODED_AWAY = ("content-encoding", "transfer-encoding")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
CHUNK_SIZE = 1 << 20

_EXCHANGES = """
SELECT f.id, f.url, f.method, f.status, f.outcome, f.request_headers, f.response_headers,
       f.fetched_at, f.sha256, b.rowid,
       first_value(f.fetched_at) OVER same_body, first_value(f.id) OVER same_body,
       CASE WHEN f.outcome = 'not_modified' THEN
         (SELECT p.fetched_at FROM fetches p WHERE p.url = f.url AND p.id < f.id
            AND p.outcome = 'ok' AND p.sha256 IS NOT NULL ORDER BY p.id DESC LIMIT 1) END
FROM fetches f LEFT JOIN blobs b ON b.sha256 = f.sha256
WHERE (f.sha256 IS NOT NULL OR f.outcome = 'not_modified') {where}
WINDOW same_body AS (PARTITION BY f.url, f.sha256, f.outcome = 'not_modified' ORDER BY f.id)
ORDER BY f.id
"""


@dataclass(frozen=True)
class Capture:
    """One archived exchange as the export sees it."""

    fetch_id: int
    url: str
    method: str
    status: int | None
    outcome: str
    request_headers: dict[str, list[str]]
    response_headers: dict[str, list[str]]
    fetched_at: str
    sha256: str | None
    blob_rowid: int | None  # None: the fetch names a blob that is missing
    first_fetched_at: str  # of the first capture of this URL with this body, in this export
    first_fetch_id: int
    previous_ok_at: str | None  # of the last earlier ok capture of this URL (for a 304)

    @property
    def is_repeat(self) -> bool:
        return self.first_fetch_id != self.fetch_id


@dataclass
class ExportResult:
    """What ``export_warc`` wrote, and the exchanges it could not write whole."""

    path: Path
    responses: int = 0
    identical_revisits: int = 0
    not_modified_revisits: int = 0
    requests: int = 0
    payload_bytes: int = 0
    skipped_without_body: int = 0
    missing_blobs: list[int] = field(default_factory=list)  # fetch ids
    corrupt_blobs: list[str] = field(default_factory=list)  # sha256 keys whose content differs

    @property
    def clean(self) -> bool:
        return not (self.missing_blobs or self.corrupt_blobs)


class _StreamingWARCWriter(WARCWriter):
    """warcio's writer, but never a second pass over a body: payload digests are supplied
    from the blob keys and the (optional) block digest is left out."""

    def ensure_digest(self, record, block=True, payload=True):
        super().ensure_digest(record, block=False, payload=payload)


class _HashingReader:
    """A blob handle that hashes what warcio reads from it."""

    def __init__(self, blob):
        self.blob = blob
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.blob.read(size)
        self.digest.update(chunk)
        return chunk


def export_warc(db, out: Path, *, run: int | None = None, site: str | None = None) -> ExportResult:
    """Write the exchanges of ``db`` (optionally of one run and/or one site) to ``out``.

    ``out`` is written as ``out.partial`` and renamed when complete (removed on failure).

    >>> export_warc(db, Path("huadu.warc.gz"), site="huadu-shiling").responses
    42
    """
    out = Path(out)
    if not out.name.endswith(".warc.gz"):
        raise ValueError(f"{out}: a WARC export is named *.warc.gz")
    where, params = _filters(run, site)
    result = ExportResult(path=out)
    result.skipped_without_body = db.conn.execute(
        "SELECT count(*) FROM fetches f WHERE f.sha256 IS NULL AND f.outcome <> 'not_modified' "
        + where, params).fetchone()[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        with open(partial, "wb") as stream:
            writer = _StreamingWARCWriter(stream, gzip=True, warc_version="1.1")
            writer.write_record(_warcinfo(writer, out.name, run, site))
            for row in db.conn.execute(_EXCHANGES.format(where=where), params):
                _write_capture(writer, db.conn, _capture(row), result)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out)
    return result


def _filters(run: int | None, site: str | None) -> tuple[str, list]:
    where, params = "", []
    if run is not None:
        where, params = where + " AND f.run_id = ?", params + [run]
    if site is not None:
        where, params = where + " AND f.site = ?", params + [site]
    return where, params


def _capture(row: tuple) -> Capture:
    (fetch_id, url, method, status, outcome, request_headers, response_headers, fetched_at,
     sha256, blob_rowid, first_fetched_at, first_fetch_id, previous_ok_at) = row
    return Capture(fetch_id, url, method, status, outcome, json.loads(request_headers or "{}"),
                   json.loads(response_headers or "{}"), fetched_at, sha256, blob_rowid,
                   first_fetched_at, first_fetch_id, previous_ok_at)


def _write_capture(writer, conn, capture: Capture, result: ExportResult) -> None:
    """The request record, then the response or revisit record, linked to each other."""
    if capture.outcome == "not_modified":
        response = _not_modified_revisit(writer, capture)
        result.not_modified_revisits += 1
    elif capture.blob_rowid is None:
        result.missing_blobs.append(capture.fetch_id)
        return
    elif capture.is_repeat:
        response = _identical_revisit(writer, capture)
        result.identical_revisits += 1
    else:
        _write_response(writer, conn, capture, result)
        return
    _write_pair(writer, _request(writer, capture), response)
    result.requests += 1


def _write_response(writer, conn, capture: Capture, result: ExportResult) -> None:
    with conn.blobopen("blobs", "content", capture.blob_rowid, readonly=True) as blob:
        size = len(blob)
        body = _HashingReader(blob)
        response = writer.create_warc_record(
            capture.url, "response", payload=body, length=size,
            http_headers=_response_headers(capture, size),
            warc_headers_dict=_warc_headers(capture, "response", capture.sha256))
        _write_pair(writer, _request(writer, capture), response)
    if body.digest.hexdigest() != capture.sha256:
        result.corrupt_blobs.append(capture.sha256)
    result.responses += 1
    result.requests += 1
    result.payload_bytes += size


def _write_pair(writer, request, response) -> None:
    request.rec_headers.add_header("WARC-Concurrent-To",
                                   response.rec_headers.get_header("WARC-Record-ID"))
    response.rec_headers.add_header("WARC-Concurrent-To",
                                    request.rec_headers.get_header("WARC-Record-ID"))
    writer.write_record(request)
    writer.write_record(response)


def _identical_revisit(writer, capture: Capture):
    headers = _warc_headers(capture, "revisit", capture.sha256)
    headers.update({"WARC-Profile": PROFILE_IDENTICAL,
                    "WARC-Refers-To-Target-URI": capture.url,
                    "WARC-Refers-To-Date": warc_date(capture.first_fetched_at)})
    return writer.create_warc_record(capture.url, "revisit", warc_headers_dict=headers,
                                     http_headers=_response_headers(capture, None))


def _not_modified_revisit(writer, capture: Capture):
    headers = _warc_headers(capture, "revisit", None)
    headers["WARC-Profile"] = PROFILE_NOT_MODIFIED
    if capture.previous_ok_at:
        headers["WARC-Refers-To-Target-URI"] = capture.url
        headers["WARC-Refers-To-Date"] = warc_date(capture.previous_ok_at)
    return writer.create_warc_record(capture.url, "revisit", warc_headers_dict=headers,
                                     http_headers=_response_headers(capture, None))


def _request(writer, capture: Capture):
    parts = urlsplit(capture.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = _header_list(capture.request_headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    return writer.create_warc_record(
        capture.url, "request",
        http_headers=StatusAndHeaders(f"{capture.method} {target} HTTP/1.1", headers,
                                      is_http_request=True),
        warc_headers_dict=_warc_headers(capture, "request", EMPTY_SHA256))


def _response_headers(capture: Capture, body_size: int | None) -> StatusAndHeaders:
    """The recorded headers made true of the stored body: decoded, whole, of its length.

    >>> _response_headers(capture, 5).headers  # was gzip, chunked
    [('Content-Type', 'text/html'), ('X-Archive-Orig-Content-Encoding', 'gzip'), …]
    """
    headers = []
    for name, value in _header_list(capture.response_headers):
        lowered = name.lower()
        if lowered == "content-length" and body_size is not None:
            if value.strip() != str(body_size):
                headers.append((f"X-Archive-Orig-{name}", value))
        elif lowered in DECODED_AWAY:
            headers.append((f"X-Archive-Orig-{name}", value))
        else:
            headers.append((name, value))
    if body_size is not None:
        headers.append(("Content-Length", str(body_size)))
    status = capture.status or 200
    reason = http.client.responses.get(status, "")
    return StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol="HTTP/1.1")


def _header_list(headers: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, values in headers.items() for value in values]


def _warc_headers(capture: Capture, record_type: str, payload_sha256: str | None) -> dict[str, str]:
    """The usual order for people reading records: type, id, date, target, digest."""
    headers = {"WARC-Type": record_type, "WARC-Record-ID": StatusAndHeadersParser.make_warc_id(),
               "WARC-Date": warc_date(capture.fetched_at), "WARC-Target-URI": capture.url}
    if payload_sha256:
        headers["WARC-Payload-Digest"] = payload_digest(payload_sha256)
    return headers


def payload_digest(sha256_hex: str) -> str:
    """A sha256 hex key as a WARC digest (labelled, base32 as in WARC practice).

    >>> payload_digest(EMPTY_SHA256)
    'sha256:4OYMIQUY7QOBJGX36TEJS35ZEQT24QPEMSNZGTFESWMRW6CSXBKQ===='
    """
    return "sha256:" + base64.b32encode(bytes.fromhex(sha256_hex)).decode("ascii")


def warc_date(fetched_at: str) -> str:
    """An ISO timestamp from the archive as a WARC 1.1 date (UTC, ``Z``, sub-second kept).

    >>> warc_date("2024-03-01T02:30:00.125+00:00")
    '2024-03-01T02:30:00.125000Z'
    """
    moment = datetime.fromisoformat(fetched_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return datetime_to_iso_date(moment.astimezone(timezone.utc).replace(tzinfo=None),
                                use_micros=True)


def _warcinfo(writer, filename: str, run: int | None, site: str | None):
    selection = ", ".join(part for part in (f"run {run}" if run is not None else "",
                                            f"site {site}" if site else "") if part)
    return writer.create_warcinfo_record(filename, {
        "software": f"gkarchive/{__version__} (warcio/{version('warcio')})",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                      "warc-format/warc-1.1/",
        "description": "Government information-disclosure annual reports and the gkmlpt pages "
                       "that led to them, exported from a gkarchive archive"
                       + (f" ({selection})" if selection else ""),
    })


def format_export(result: ExportResult) -> str:
    """Plain report lines of an export.

    >>> print(format_export(ExportResult(Path("x.warc.gz"))).splitlines()[0])
    x.warc.gz: 0 responses (0 bytes), 0 identical revisits, 0 not-modified revisits, 0 requests
    """
    lines = [f"{result.path}: {result.responses} responses ({result.payload_bytes} bytes), "
             f"{result.identical_revisits} identical revisits, "
             f"{result.not_modified_revisits} not-modified revisits, {result.requests} requests",
             f"skipped: {result.skipped_without_body} attempts without a response"]
    lines += [f"missing blob: fetch {fetch_id} names a blob not in the archive"
              for fetch_id in result.missing_blobs]
    lines += [f"corrupt blob: {sha256} (run gkarchive verify)" for sha256 in result.corrupt_blobs]
    return "\n".join(lines)


def cmd_export_warc(args) -> int:
    """Export the archived HTTP exchanges as a WARC 1.1 file (.warc.gz) for replay tools.

    Unchanged re-fetches become revisit records; exits 1 when a body was missing or corrupt.

    Example: gkarchive export warc exports/huadu.warc.gz --site huadu-shiling --db data/archive.db
    """
    from archive.db import open_db

    result = export_warc(open_db(args.db, readonly=True), args.out, run=args.run, site=args.site)
    print(format_export(result))
    return 0 if result.clean else 1


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("format", choices=["warc"], help="export format (only warc)")
    parser.add_argument("out", type=Path, metavar="OUT", help="the file to write, *.warc.gz")
    parser.add_argument("--db", type=Path, default=Path("data/archive.db"), metavar="PATH",
                        help="archive database (default: data/archive.db)")
    parser.add_argument("--run", type=int, metavar="N", help="only the exchanges of run N")
    parser.add_argument("--site", metavar="SLUG", help="only the exchanges of this site")
