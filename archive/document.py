"""Typed output of the extractor: what a document says, and how each page was read.

The extractor (``archive.extract``) turns bytes into a :class:`Document`; the report parser
(``archive.report``) turns a :class:`Document` into the structured record. Both are pure
functions, so these dataclasses are the whole contract between them.

Example::

    doc = Document(status=ExtractStatus.OK, format="pdf", text="一、总体情况 …",
                   pages=[Page(number=1, text="…", method=PageMethod.TEXT_LAYER,
                               tool="pypdfium2", tool_version="5.15.2")],
                   tables=[Table(page=2, cells=[Cell("规章", row=0, col=0)])])
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field


class ExtractStatus(str, enum.Enum):
    """Outcome of one extraction. Everything but ``OK`` and ``PARTIAL`` carries a reason."""

    OK = "ok"
    PARTIAL = "partial"  # some pages or parts could not be read; the rest is usable
    EMPTY = "empty"  # zero bytes, or a valid file with no text at all
    CORRUPT = "corrupt"  # truncated or malformed
    ENCRYPTED = "encrypted"  # needs a password we do not have
    TOO_LARGE = "too_large"  # size, page-count or decompression limits exceeded
    UNSAFE = "unsafe"  # hostile structure: decompression bomb, XML entity expansion
    NOT_A_DOCUMENT = "not_a_document"  # e.g. an HTML error page served as .pdf
    UNSUPPORTED = "unsupported"  # a format we do not read
    TIMEOUT = "timeout"  # a converter did not finish in time
    CONVERTER_FAILED = "converter_failed"  # a converter crashed, after retries


class PageMethod(str, enum.Enum):
    """How the text of a page was obtained."""

    TEXT_LAYER = "text_layer"  # the PDF's own text layer
    OCR = "ocr"  # tesseract over a rendered image
    CONVERTER = "converter"  # an external converter (antiword, LibreOffice)
    NATIVE = "native"  # parsed directly from the file's structure (DOCX, XLSX, HTML)


@dataclass
class Cell:
    """One table cell. ``row``/``col`` are the top-left grid position of the cell."""

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Table:
    """A table as a grid of cells; ``page`` is 1-based, or None when the format has no pages."""

    cells: list[Cell]
    page: int | None = None

    @property
    def n_rows(self) -> int:
        return max((c.row + c.rowspan for c in self.cells), default=0)

    @property
    def n_cols(self) -> int:
        return max((c.col + c.colspan for c in self.cells), default=0)

    def grid(self) -> list[list[str]]:
        """The table as rows of strings; a merged cell's text fills every slot it spans."""
        rows = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.rowspan):
                for c in range(cell.col, cell.col + cell.colspan):
                    rows[r][c] = cell.text
        return rows


@dataclass
class Page:
    """One page (or the single logical page of a page-less format) and how it was read."""

    number: int
    text: str
    method: PageMethod
    tool: str
    tool_version: str


@dataclass
class Document:
    """What the extractor read from one file.

    ``format`` is the format detected from the bytes (``pdf``, ``docx``, ``doc``, ``wps``,
    ``xls``, ``xlsx``, ``html``, ``rtf``, ``ofd``, ``zip``, ``image``, ``txt``), which may differ
    from ``declared_format`` (what the file name or MIME type claimed).
    """

    status: ExtractStatus
    format: str
    text: str = ""
    pages: list[Page] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    reason: str = ""
    declared_format: str = ""
    sha256: str = ""
    size: int = 0

    @property
    def usable(self) -> bool:
        return self.status in (ExtractStatus.OK, ExtractStatus.PARTIAL)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["status"] = self.status.value
        for page in data["pages"]:
            page["method"] = page["method"].value
        return data
