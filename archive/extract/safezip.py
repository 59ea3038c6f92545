"""Defensive reading of ZIP containers (DOCX, XLSX, OFD, ZIP) and the XML inside them.

Limits are checked on the central directory before anything is inflated (member count,
declared sizes, per-member compression ratio), and again while inflating, since a hostile
archive can lie in its headers. XML is parsed with defusedxml: any DTD (entity expansion,
external entities) makes the document UNSAFE.

Example::

    zf = open_zip(docx_bytes, Limits())
    root = parse_xml(read_member(zf, "word/document.xml", Limits()))
"""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml import ElementTree as SafeET

from archive.document import ExtractStatus
from archive.extract.limits import ExtractFailure, Limits


def open_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """Open a ZIP and vet its directory; raises ExtractFailure (CORRUPT/UNSAFE/TOO_LARGE)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ExtractFailure(ExtractStatus.CORRUPT, f"broken ZIP container: {exc}") from None
    if len(infos) > limits.max_zip_members:
        raise ExtractFailure(ExtractStatus.TOO_LARGE,
                             f"{len(infos)} ZIP members > limit {limits.max_zip_members}")
    total = sum(info.file_size for info in infos)
    if total > limits.max_unpacked_bytes:
        raise ExtractFailure(ExtractStatus.UNSAFE, f"ZIP unpacks to {total} bytes > limit "
                             f"{limits.max_unpacked_bytes} (decompression bomb)")
    for info in infos:
        _check_member(info, limits)
    return zf


def _check_member(info: zipfile.ZipInfo, limits: Limits) -> None:
    if info.flag_bits & 0x1:
        raise ExtractFailure(ExtractStatus.ENCRYPTED, f"ZIP member {info.filename} is encrypted")
    if info.file_size > limits.max_member_bytes:
        raise ExtractFailure(ExtractStatus.TOO_LARGE, f"ZIP member {info.filename} is "
                             f"{info.file_size} bytes > limit {limits.max_member_bytes}")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
        raise ExtractFailure(ExtractStatus.UNSAFE, f"ZIP member {info.filename} compression "
                             f"ratio {ratio:.0f} > {limits.max_compression_ratio:g} "
                             "(decompression bomb)")


def read_member(zf: zipfile.ZipFile, name: str, limits: Limits) -> bytes:
    """Inflate one member, never past the member limit whatever its header says."""
    try:
        with zf.open(name) as member:
            data = member.read(limits.max_member_bytes + 1)
    except KeyError:
        raise ExtractFailure(ExtractStatus.CORRUPT, f"ZIP member {name} is missing") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ExtractFailure(ExtractStatus.CORRUPT, f"ZIP member {name}: {exc}") from None
    if len(data) > limits.max_member_bytes:
        raise ExtractFailure(ExtractStatus.UNSAFE,
                             f"ZIP member {name} inflates past its declared size")
    return data


def parse_xml(data: bytes) -> Element:
    """Parse XML with every DTD refused (billion laughs, external entities → UNSAFE)."""
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise ExtractFailure(ExtractStatus.UNSAFE, f"hostile XML: {exc!r}") from None
    except ParseError as exc:
        raise ExtractFailure(ExtractStatus.CORRUPT, f"malformed XML: {exc}") from None
