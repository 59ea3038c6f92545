"""DOC, WPS and RTF through converters: antiword first, LibreOffice for tables and as fallback.

antiword (``-m UTF-8.txt``) reads a Word 97–2003 file in milliseconds but has no table
structure (it prints rows as ``|cell|cell|``). When its output shows a table, or when it
cannot read the file (many WPS files, RTF), LibreOffice converts the file to DOCX in a
private profile and :mod:`archive.extract.docx` reads the grids with their merges.

Example::

    doc = extract_legacy(Path("dg-fenggang-2022.doc").read_bytes(), "doc", Limits())
    doc.pages[0].tool  # 'libreoffice' (tables) or 'antiword' (prose only)
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import tempfile
from pathlib import Path

import olefile

from archive.document import Document, ExtractStatus, Page, PageMethod
from archive.extract.docx import extract_docx
from archive.extract.limits import ExtractFailure, Limits
from archive.extract.subproc import run_tool, tool_version

TABLE_ROW_MARK = "|"  # antiword's rendering of a table row


def extract_legacy(data: bytes, fmt: str, limits: Limits) -> Document:
    """Read a DOC/WPS (antiword, then LibreOffice) or an RTF (LibreOffice)."""
    if fmt in ("doc", "wps"):
        _check_ole(data)
        try:
            text = antiword_text(data, limits)
        except ExtractFailure as antiword_failure:
            return _libreoffice_or_fail(data, fmt, limits, antiword_failure)
        if not (limits.doc_tables_via_libreoffice and _has_table_rows(text)):
            return _antiword_document(text, fmt, limits)
        try:
            return libreoffice_docx(data, fmt, limits)
        except ExtractFailure as exc:
            doc = _antiword_document(text, fmt, limits)
            doc.status, doc.reason = ExtractStatus.PARTIAL, f"no table grids: {exc.reason}"
            return doc
    return libreoffice_docx(data, fmt, limits)


def _check_ole(data: bytes) -> None:
    """A DOC/WPS is an OLE2 compound file; a broken one is CORRUPT before any converter runs."""
    try:
        olefile.OleFileIO(io.BytesIO(data)).close()
    except (OSError, ValueError, IndexError, TypeError, AttributeError) as exc:
        raise ExtractFailure(ExtractStatus.CORRUPT, f"broken OLE2 container: {exc}") from None


def _libreoffice_or_fail(data: bytes, fmt: str, limits: Limits,
                         antiword_failure: ExtractFailure) -> Document:
    try:
        return libreoffice_docx(data, fmt, limits)
    except ExtractFailure as exc:
        exc.reason = f"antiword: {antiword_failure.reason}; libreoffice: {exc.reason}"
        raise


def _has_table_rows(text: str) -> bool:
    return sum(1 for line in text.splitlines() if line.strip().startswith(TABLE_ROW_MARK)) >= 2


def _antiword_document(text: str, fmt: str, limits: Limits) -> Document:
    version = tool_version(limits.antiword_cmd, "-h")
    status = ExtractStatus.OK if text.strip() else ExtractStatus.EMPTY
    return Document(status=status, format=fmt, text=text,
                    pages=[Page(1, text, PageMethod.CONVERTER, "antiword", version)],
                    reason="" if text.strip() else "no text in the document")


def antiword_text(data: bytes, limits: Limits) -> str:
    """antiword's UTF-8 text of a Word 97–2003 file (no line wrapping)."""
    with tempfile.TemporaryDirectory(prefix="gk-antiword-") as tmp:
        source = Path(tmp) / "input.doc"
        source.write_bytes(data)
        out = run_tool([limits.antiword_cmd, "-m", "UTF-8.txt", "-w", "0", str(source)],
                       timeout_s=limits.converter_timeout_s, attempts=1)
    return out.decode("utf-8", errors="replace").replace("\r\n", "\n").strip("\n")


def libreoffice_docx(data: bytes, fmt: str, limits: Limits) -> Document:
    """Convert with LibreOffice headless to DOCX (private profile), then read that DOCX."""
    with tempfile.TemporaryDirectory(prefix="gk-soffice-") as tmp:
        source = Path(tmp) / f"input.{fmt}"
        source.write_bytes(data)
        outdir = Path(tmp) / "out"
        run_tool([limits.soffice_cmd, "--headless", "--norestore", "--nolockcheck",
                  "--nodefault", f"-env:UserInstallation=file://{_profile_dir()}",
                  "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(outdir), str(source)],
                 timeout_s=limits.converter_timeout_s, attempts=limits.converter_attempts)
        produced = outdir / "input.docx"
        if not produced.is_file():
            raise ExtractFailure(ExtractStatus.CONVERTER_FAILED,
                                 f"libreoffice wrote no DOCX for this {fmt}")
        converted = produced.read_bytes()
    return extract_docx(converted, limits, tool="libreoffice",
                        tool_version=tool_version(limits.soffice_cmd), fmt=fmt)


PROFILE_PREFIX = "gkarchive-soffice-"


def _profile_path(pid: int) -> Path:
    return Path(tempfile.gettempdir()) / f"{PROFILE_PREFIX}{os.getuid()}-{pid}"


def _profile_dir() -> str:
    """One LibreOffice profile per worker process: a profile cannot be shared between
    concurrent instances, and creating a fresh one costs about a second per conversion.
    It is removed when the process exits (about 0.5 MB each); a worker that was killed
    leaves its profile to :func:`sweep_profiles`."""
    path = _profile_path(os.getpid())
    if not path.exists():
        path.mkdir(mode=0o700, exist_ok=True)
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return str(path)


def sweep_profiles() -> int:
    """Remove the LibreOffice profiles of this user's processes that no longer run (workers
    killed by a timeout or a signal); returns how many were removed."""
    removed = 0
    for path in Path(tempfile.gettempdir()).glob(f"{PROFILE_PREFIX}{os.getuid()}-*"):
        pid = path.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
