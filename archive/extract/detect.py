"""Real format of an attachment from its bytes, whatever its name or MIME type claims.

Example::

    >>> detect_format(b"%PDF-1.7 ...")
    'pdf'
    >>> detect_format(b"<html><body>404</body></html>")
    'html'
    >>> declared_format("report.DOC", "")
    'doc'
"""

from __future__ import annotations

import codecs

import io
import re
import zipfile
from pathlib import PurePosixPath

import olefile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image",
    b"\xff\xd8\xff": "image",
    b"II*\x00": "image",
    b"MM\x00*": "image",
    b"GIF8": "image",
    b"BM": "image",
}
HTML_START = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|"
    rb"table|div|p|span|h[1-6]|style|script|section|article|center|font|br)[\s>/]",
    re.IGNORECASE | re.DOTALL,
)
MIME_FORMATS = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-works": "wps",
    "application/kswps": "wps",
    "text/html": "html",
    "application/rtf": "rtf",
    "text/rtf": "rtf",
    "application/ofd": "ofd",
    "application/zip": "zip",
    "text/plain": "txt",
}
# Declared formats that are never legitimately HTML or text. Word saves HTML under .doc ("save
# as web page", common on older posts) and WPS likewise, so doc and wps are not here.
BINARY_FORMATS = {"pdf", "docx", "xls", "xlsx", "ofd", "zip", "image", "rtf"}
EXT_ALIASES = {"htm": "html", "shtml": "html", "jpg": "image", "jpeg": "image", "png": "image",
               "tif": "image", "tiff": "image", "gif": "image", "bmp": "image", "text": "txt"}


def declared_format(name: str, mime: str) -> str:
    """The format the file name (preferred) or MIME type claims, or ``""``."""
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower().lstrip(".")
    if suffix:
        return EXT_ALIASES.get(suffix, suffix)
    return MIME_FORMATS.get(mime.split(";")[0].strip().lower(), "")


def page_in_place_of(fmt: str, declared: str) -> str | None:
    """Why bytes detected as ``fmt`` cannot be the ``declared`` document (an HTML or text page
    where a binary format belongs: an error or challenge page), or None. The one rule of what
    a document may be, shared by the spider (before archiving) and the extractor."""
    if fmt in ("html", "txt") and declared in BINARY_FORMATS:
        return f"named {declared} but the bytes are {fmt} (an error or challenge page?)"
    return None


def served_page_instead(data: bytes, name: str, mime: str = "") -> str | None:
    """:func:`page_in_place_of` for the bytes of a file called ``name``.

    >>> served_page_instead("<html><body>系统繁忙</body></html>".encode(), "report.pdf")
    'named pdf but the bytes are html (an error or challenge page?)'
    >>> served_page_instead(b"<html xmlns:w='urn:schemas-microsoft-com:office:word'>", "a.doc")
    """
    declared = declared_format(name, mime)
    return page_in_place_of(detect_format(data, declared), declared)


def detect_format(data: bytes, declared: str = "") -> str:
    """The format the bytes really are; ``unknown`` when nothing matches."""
    head = data[:2048]
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(OLE_MAGIC):
        return _ole_format(data, declared)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_format(data, declared)
    if head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{\\rtf"):
        return "rtf"
    for magic, fmt in IMAGE_MAGIC.items():
        if head.startswith(magic) and (magic != b"BM" or len(data) > 26):
            return fmt
    if HTML_START.match(_strip_bom(head)) or b"<html" in head.lower():
        return "html"
    if _looks_like_text(head):
        return "txt"
    return "unknown"


def _strip_bom(head: bytes) -> bytes:
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            return head[len(bom):]
    return head


def _ole_format(data: bytes, declared: str) -> str:
    """DOC, WPS or XLS: an OLE2 compound file names its main stream."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        streams = {"/".join(path).lower() for path in ole.listdir()}
        ole.close()
    except (OSError, ValueError, IndexError, TypeError, AttributeError):
        return "wps" if declared == "wps" else "doc"  # corrupt: the reader reports it
    if streams & {"workbook", "book"}:
        return "xls"
    if "worddocument" in streams:
        return "wps" if declared == "wps" else "doc"
    return "wps" if declared == "wps" or streams & {"wksstream"} else "ole"


def _zip_format(data: bytes, declared: str) -> str:
    """DOCX, XLSX, OFD or a plain ZIP, from the member names."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return declared if declared in ("docx", "xlsx", "ofd") else "zip"  # reader reports it
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "OFD.xml" in names or any(n.lower() == "ofd.xml" for n in names):
        return "ofd"
    return "zip"


def _looks_like_text(head: bytes) -> bool:
    """Plain text: decodes as UTF-8 or GB18030 with few control characters. The head may end
    inside a multi-byte character, so it is decoded incrementally (the tail may stay pending)."""
    if not head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
        return controls <= len(text) // 100
    return False
