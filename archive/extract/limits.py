"""Safety limits of one extraction, and the typed failure raised inside the extractor.

Every limit lives in :class:`Limits`; the defaults keep one extraction worker under about
500 MB RSS and a few minutes of wall time on any input. Format readers raise
:class:`ExtractFailure`; :func:`archive.extract.extract` turns it into a ``Document`` with
that status and reason, so failures are data at the API boundary.

Example::

    >>> Limits().max_pages
    500
    >>> ExtractFailure(ExtractStatus.TOO_LARGE, "600 pages > 500").status.value
    'too_large'
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.document import ExtractStatus


@dataclass(frozen=True)
class Limits:
    """Size, count, ratio, depth and time limits, plus the converter commands to run."""

    max_input_bytes: int = 100 * 1024 * 1024  # refused before being read whole
    max_pages: int = 500
    max_unpacked_bytes: int = 200 * 1024 * 1024  # sum of a ZIP's (DOCX/XLSX/OFD) members
    max_member_bytes: int = 64 * 1024 * 1024  # one ZIP member
    max_zip_members: int = 2000
    max_compression_ratio: float = 200.0  # per member, uncompressed / compressed
    max_zip_depth: int = 2  # ZIP inside ZIP
    max_sheet_cells: int = 500_000
    max_ocr_pages: int = 50
    max_image_pixels: int = 60_000_000
    ocr_dpi: int = 200
    converter_timeout_s: float = 120.0
    ocr_timeout_s: float = 60.0
    converter_attempts: int = 2  # tenacity retries for transient converter failures
    doc_tables_via_libreoffice: bool = True  # antiword has no table structure
    antiword_cmd: str = "antiword"
    soffice_cmd: str = "soffice"
    tesseract_cmd: str = "tesseract"


class ExtractFailure(Exception):
    """A bad input or a failed converter; carries the status the Document will report."""

    def __init__(self, status: ExtractStatus, reason: str):
        super().__init__(f"{status.value}: {reason}")
        self.status = status
        self.reason = reason
