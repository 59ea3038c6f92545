"""``/-/blob/<sha256>``: stream one archived body with its type and a safe file name.

The body is read in chunks with SQLite's incremental blob I/O, so a large PDF is never held
whole in memory. It is sent as an attachment, with ``nosniff`` and a sandboxing CSP, so an archived HTML page
can never run scripts in the archive's origin; ``?inline=1`` shows a document inline only
when its bytes are a PDF (the report page embeds it).

Example::

    >>> safe_filename('../2020年报:"终稿".pdf', "ab" * 32, "pdf")
    '2020年报_终稿_.pdf'
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from datasette.utils.asgi import Response

CHUNK = 1 << 20
MAGIC = [  # (prefix, extension, content type): the bytes decide before the listed name does
    (b"%PDF", "pdf", "application/pdf"),
    (b"\xd0\xcf\x11\xe0", None, "application/octet-stream"),  # OLE2: doc, xls, wps
    (b"PK\x03\x04", None, "application/zip"),
    (b"\x89PNG", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"{\\rtf", "rtf", "application/rtf"),
]
BY_EXT = {
    "pdf": "application/pdf", "doc": "application/msword", "wps": "application/vnd.ms-works",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip", "rar": "application/vnd.rar", "ofd": "application/ofd",
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "rtf": "application/rtf",
    "txt": "text/plain; charset=utf-8", "html": "text/html; charset=utf-8",
    "htm": "text/html; charset=utf-8", "json": "application/json",
}
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;%]+')


def content_type(head: bytes, ext: str | None) -> tuple[str, str | None]:
    """(Content-Type, extension) from the first bytes, else from the listed extension."""
    ext = (ext or "").lower().lstrip(".") or None
    for prefix, magic_ext, mime in MAGIC:
        if head.startswith(prefix):
            if magic_ext is None and ext in BY_EXT:  # an OLE2/zip container: trust the name
                return BY_EXT[ext], ext
            return mime, magic_ext or ext
    if head.lstrip()[:1] in (b"{", b"["):
        return BY_EXT["json"], "json"
    if head.lstrip()[:1] == b"<":
        return BY_EXT["html"], "html"
    return BY_EXT.get(ext, "application/octet-stream"), ext


def safe_filename(name: str | None, sha256: str, ext: str | None) -> str:
    """The listed name without path parts, control or quoting characters, with its extension."""
    name = unicodedata.normalize("NFKC", name or "")
    name = UNSAFE.sub("_", name).strip(" ._")[:120] or sha256[:16]
    if ext and not name.lower().endswith("." + ext):
        name = f"{name}.{ext}"
    return name


def content_disposition(filename: str, sha256: str, ext: str | None) -> str:
    """RFC 6266: an ASCII fallback and the UTF-8 name (``filename*``)."""
    fallback = UNSAFE.sub("_", filename.encode("ascii", "ignore").decode()).strip(" ._")
    if not fallback or fallback == ext or fallback.startswith("."):
        fallback = sha256[:16] + (f".{ext}" if ext else "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def blob_download(datasette, request):
    sha256 = request.url_vars["sha256"]
    db = datasette.get_database()
    found = (await db.execute(
        "select b.rowid, length(b.content) as size, substr(b.content, 1, 16) as head, "
        "(select name from attachments a where a.sha256 = b.sha256 order by a.id desc limit 1) "
        "as name, (select ext from attachments a where a.sha256 = b.sha256 order by a.id desc "
        "limit 1) as ext, (select source_name from reports r where r.source_sha256 = b.sha256 "
        "limit 1) as report_name from blobs b where b.sha256 = ?", [sha256])).first()
    if found is None:
        return Response.text(f"no archived body with sha256 {sha256}\n", status=404)
    mime, ext = content_type(found["head"] or b"", found["ext"])
    filename = safe_filename(found["name"] or found["report_name"], sha256, ext)
    headers = {
        "content-type": mime, "content-length": str(found["size"]),
        "content-disposition": content_disposition(filename, sha256, ext),
        "x-content-type-options": "nosniff", "content-security-policy": "sandbox",
        "cache-control": "max-age=31536000, immutable",
    }
    if request.args.get("inline") == "1" and (found["head"] or b"").startswith(b"%PDF"):
        # Shown in the report page: only bytes that are a PDF, as application/pdf with
        # nosniff, so nothing else can be rendered inline. Chromium's PDF viewer refuses a
        # sandboxed document, hence no sandbox CSP here.
        headers["content-disposition"] = "inline" + headers["content-disposition"][10:]
        del headers["content-security-policy"]
    return BlobStream(db, found["rowid"], found["size"], headers)


class BlobStream:
    """An ASGI response sending one blob in chunks (datasette's AsgiStream only sends text)."""

    def __init__(self, db, rowid: int, size: int, headers: dict[str, str]):
        self.db, self.rowid, self.size, self.headers = db, rowid, size, headers

    async def asgi_send(self, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [
            [k.encode("latin-1"), v.encode("latin-1")] for k, v in self.headers.items()]})
        for offset in range(0, self.size, CHUNK):
            chunk = await self.db.execute_fn(
                lambda conn, offset=offset: _read(conn, self.rowid, offset))
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def _read(conn, rowid: int, offset: int) -> bytes:
    with conn.blobopen("blobs", "content", rowid, readonly=True) as blob:
        blob.seek(offset)
        return blob.read(CHUNK)
