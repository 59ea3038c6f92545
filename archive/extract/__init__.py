"""The extractor: bytes of any attachment in, a typed :class:`~archive.document.Document` out.

Pure (no network, no database, no Scrapy) and total: bad input never raises, it comes back
as a status with a reason. The real format is read from the bytes, not the name.

Example::

    >>> doc = extract("一、总体情况".encode("gb18030"), name="report.txt")
    >>> doc.status.value, doc.format, doc.text
    ('ok', 'txt', '一、总体情况')
    >>> extract(b"", name="report.pdf").status.value
    'empty'
    >>> extract(b"<html><body>404 Not Found</body></html>", name="report.pdf").status.value
    'not_a_document'
"""

from __future__ import annotations

import hashlib
import importlib
import os
import platform
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from archive.document import Document, ExtractStatus, Page, PageMethod
from archive.extract.detect import declared_format, detect_format, page_in_place_of
from archive.extract.limits import ExtractFailure, Limits
from archive.extract.render import render_tables, render_text
from archive.extract.textutil import decode_text

__all__ = ["EXTRACTOR_VERSION", "Limits", "extract", "extract_file", "render_tables",
           "render_text"]

EXTRACTOR_VERSION = "1.1.0"  # 1.1.0: deskew and per-cell OCR of scanned tables


def _read_txt(data: bytes, fmt: str, limits: Limits) -> Document:
    text = decode_text(data).replace("\r\n", "\n")
    status = ExtractStatus.OK if text.strip() else ExtractStatus.EMPTY
    return Document(status=status, format="txt", text=text,
                    pages=[Page(1, text, PageMethod.NATIVE, "python", platform.python_version())],
                    reason="" if text.strip() else "only whitespace")


def _reader(module: str, function: str, takes_format: bool = False,
            **options) -> Callable[[bytes, str, Limits], Document]:
    """A format reader whose module (and its libraries: pypdfium2, trafilatura, openpyxl,
    PIL …) is imported by its first document, so a process reading PDFs never loads the rest."""
    def read(data: bytes, fmt: str, limits: Limits) -> Document:
        target = getattr(importlib.import_module(f"archive.extract.{module}"), function)
        if takes_format:
            return target(data, fmt, limits, **options)
        return target(data, limits, **options)
    return read


READERS: dict[str, Callable[[bytes, str, Limits], Document]] = {
    "pdf": _reader("pdf", "extract_pdf"),
    "docx": _reader("docx", "extract_docx"),
    "doc": _reader("legacy", "extract_legacy", takes_format=True),
    "wps": _reader("legacy", "extract_legacy", takes_format=True),
    "rtf": _reader("legacy", "extract_legacy", takes_format=True),
    "xls": _reader("sheet", "extract_sheet", takes_format=True),
    "xlsx": _reader("sheet", "extract_sheet", takes_format=True),
    "html": _reader("htmlpage", "extract_html"),
    "image": _reader("ocr", "extract_image"),
    "ofd": _reader("archive_formats", "extract_ofd"),
    "zip": lambda data, fmt, limits: _reader("archive_formats", "extract_zip",
                                             extract_member=extract)(data, fmt, limits),
    "txt": _read_txt,
}


def extract(data: bytes, name: str = "", mime: str = "", limits: Limits | None = None) -> Document:
    """Extract text, pages and table grids from one attachment's bytes."""
    limits = limits or Limits()
    declared = declared_format(name, mime)
    stamp = {"declared_format": declared, "sha256": hashlib.sha256(data).hexdigest(),
             "size": len(data)}
    if not data:
        return Document(ExtractStatus.EMPTY, format="", reason="zero bytes", **stamp)
    if len(data) > limits.max_input_bytes:
        return Document(ExtractStatus.TOO_LARGE, format="", **stamp,
                        reason=f"{len(data)} bytes > limit {limits.max_input_bytes}")
    fmt = detect_format(data, declared)
    refusal = _refusal(fmt, declared)
    if refusal:
        return Document(refusal[0], format=fmt, reason=refusal[1], **stamp)
    return replace(_run_reader(data, fmt, limits), **stamp)


def _refusal(fmt: str, declared: str) -> tuple[ExtractStatus, str] | None:
    """Bytes that cannot be the document they claim to be, or that no reader handles."""
    page = page_in_place_of(fmt, declared)
    if page:
        return ExtractStatus.NOT_A_DOCUMENT, page
    if fmt == "unknown" and declared in READERS:
        return ExtractStatus.CORRUPT, f"named {declared} but the bytes match no known format"
    if fmt not in READERS:
        return ExtractStatus.UNSUPPORTED, f"no reader for {fmt} (named {declared or '?'})"
    return None


def _run_reader(data: bytes, fmt: str, limits: Limits) -> Document:
    """Run one format reader; every failure becomes a status. Third-party parsers raise
    arbitrary exceptions on malformed input, so the last resort is a CORRUPT with the error."""
    try:
        return READERS[fmt](data, fmt, limits)
    except ExtractFailure as failure:
        return Document(failure.status, format=fmt, reason=failure.reason)
    except MemoryError:
        return Document(ExtractStatus.TOO_LARGE, format=fmt, reason="out of memory")
    except RecursionError:
        return Document(ExtractStatus.UNSAFE, format=fmt, reason="structure nested too deeply")
    except Exception as exc:  # noqa: BLE001 — recorded as data, see docstring
        return Document(ExtractStatus.CORRUPT, format=fmt,
                        reason=f"{fmt} reader failed: {type(exc).__name__}: {exc}"[:500])


def extract_file(path: str | os.PathLike, limits: Limits | None = None) -> Document:
    """Extract a file on disk; one larger than the input limit is refused before reading."""
    limits = limits or Limits()
    path = Path(path)
    size = path.stat().st_size
    if size > limits.max_input_bytes:
        return Document(ExtractStatus.TOO_LARGE, format="", size=size,
                        declared_format=declared_format(path.name, ""),
                        reason=f"{size} bytes > limit {limits.max_input_bytes}")
    return extract(path.read_bytes(), name=path.name, limits=limits)
