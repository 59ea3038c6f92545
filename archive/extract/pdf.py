"""PDF: pypdfium2's text layer for every page, ruled-table grids only where a page has
ruling lines, OCR for image-only or garbled pages.

Grids come from the page's own path objects (ruling lines) laid out by pdfplumber's lattice
algorithm (:mod:`archive.extract.grid`) with cell text read from PDFium's text page: the
same result as ``pdfplumber.find_tables`` for ruled tables, at a fraction of its cost
(pdfplumber parses the whole page with pdfminer). PDFium is not thread-safe: no threads.

Example::

    doc = extract_pdf(Path("huaian-2024.pdf").read_bytes(), Limits())
    doc.tables[0].grid()[1]  # ['信息内容', '本年制发件数', '本年废止件数', '现行有效件数']
"""

from __future__ import annotations

import ctypes

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from archive.document import Document, ExtractStatus, Page, PageMethod, Table
from archive.extract.grid import find_tables, hline, join_cell_lines, table_from_boxes, vline
from archive.extract.limits import ExtractFailure, Limits
from archive.extract.textutil import Problem, is_garbled, join_pages, overall_status

PYPDFIUM_VERSION = str(pdfium.PYPDFIUM_INFO)
MIN_RULING_PATHS = 4  # fewer path objects than this: the page carries no ruled table
GRID_TOLERANCE = 3.0  # points


def extract_pdf(data: bytes, limits: Limits) -> Document:
    """Read every page of a PDF into text and table grids; failures come back as statuses."""
    pdf = _open(data)
    try:
        if len(pdf) > limits.max_pages:
            raise ExtractFailure(ExtractStatus.TOO_LARGE,
                                 f"{len(pdf)} pages > limit {limits.max_pages}")
        pages, tables, problems = [], [], []
        for index in range(len(pdf)):
            ocr_budget = limits.max_ocr_pages - sum(p.method is PageMethod.OCR for p in pages)
            page, page_tables, problem = _read_page(pdf, index, limits, ocr_budget)
            pages.append(page)
            tables.extend(page_tables)
            if problem:
                problems.append(problem)
    finally:
        pdf.close()
    status, reason = overall_status(pages, problems)
    return Document(status=status, format="pdf", text=join_pages(pages), pages=pages,
                    tables=tables, reason=reason)


def _open(data: bytes) -> pdfium.PdfDocument:
    """Open with PDFium, which tries the empty user password itself."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise ExtractFailure(ExtractStatus.ENCRYPTED, f"PDF needs a password: {message}")
        if "security" in message.lower():
            raise ExtractFailure(ExtractStatus.ENCRYPTED, f"unsupported PDF security: {message}")
        raise ExtractFailure(ExtractStatus.CORRUPT, f"PDF does not open: {message}") from None


def _read_page(pdf: pdfium.PdfDocument, index: int, limits: Limits,
               ocr_budget: int) -> tuple[Page, list[Table], Problem | None]:
    """One page: its text layer if readable, else OCR; plus its ruled tables."""
    number = index + 1
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        return _blank(number), [], (ExtractStatus.CORRUPT, f"page {number} does not load: {exc}")
    try:
        textpage = page.get_textpage()
        text = textpage.get_text_bounded().replace("\r\n", "\n").replace("\r", "\n")
        if not is_garbled(text) and text.strip():
            tables = _ruled_tables(page, textpage, number)
            textpage.close()
            return Page(number, text, PageMethod.TEXT_LAYER, "pypdfium2", PYPDFIUM_VERSION), \
                tables, None
        textpage.close()
        if not _has_images(page) and not text.strip():
            return Page(number, "", PageMethod.TEXT_LAYER, "pypdfium2", PYPDFIUM_VERSION), [], None
        if ocr_budget <= 0:
            return _blank(number), [], (ExtractStatus.TOO_LARGE,
                                        f"page {number}: OCR page limit reached")
        return _ocr_page(page, number, limits)
    finally:
        page.close()


def _blank(number: int) -> Page:
    return Page(number, "", PageMethod.TEXT_LAYER, "pypdfium2", PYPDFIUM_VERSION)


def _has_images(page: pdfium.PdfPage) -> bool:
    return any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))


def _ocr_page(page: pdfium.PdfPage, number: int,
              limits: Limits) -> tuple[Page, list[Table], Problem | None]:
    """Render the page and OCR it; an OCR failure leaves the page blank with a reason."""
    from archive.extract import ocr  # PIL and tesseract only for pages that need them

    scale = limits.ocr_dpi / 72
    width, height = page.get_size()
    if width * height * scale * scale > limits.max_image_pixels:
        scale = (limits.max_image_pixels / (width * height)) ** 0.5
    image = page.render(scale=scale, grayscale=True).to_pil()
    try:
        result = ocr.ocr_image(image, limits, page=number)
    except ExtractFailure as exc:
        return _blank(number), [], (exc.status, f"page {number}: OCR: {exc.reason}")
    return result.page, result.tables, None


def _ruled_tables(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, number: int) -> list[Table]:
    """Grids of the page's ruled tables, or [] when it has too few lines to hold one."""
    paths = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=2))
    if len(paths) < MIN_RULING_PATHS:
        return []
    height = page.get_height()
    edges = [edge for path in paths for edge in _path_edges(path, height)]

    def text_of(box: tuple[float, float, float, float]) -> str:
        x0, top, x1, bottom = box
        raw = textpage.get_text_bounded(left=x0 + 1, bottom=height - bottom + 1,
                                        right=x1 - 1, top=height - top - 1)
        return join_cell_lines(raw)

    return [table_from_boxes(boxes, text_of, number, GRID_TOLERANCE)
            for boxes in find_tables(edges, GRID_TOLERANCE)]


def _path_edges(path: pdfium.PdfObject, page_height: float) -> list[dict]:
    """Horizontal and vertical straight segments of one path, in top-down page points."""
    a, b, c, d, e, f = path.get_matrix().get()
    edges, start, prev = [], None, None
    x, y = ctypes.c_float(), ctypes.c_float()
    for k in range(pdfium_c.FPDFPath_CountSegments(path.raw)):
        segment = pdfium_c.FPDFPath_GetPathSegment(path.raw, k)
        pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
        point = (a * x.value + c * y.value + e, page_height - (b * x.value + d * y.value + f))
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = point
        elif kind == pdfium_c.FPDF_SEGMENT_LINETO and prev is not None:
            edges.extend(_axis_edge(prev, point))
        if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
            edges.extend(_axis_edge(point, start))
            point = start
        prev = point
    return edges


def _axis_edge(p: tuple[float, float], q: tuple[float, float]) -> list[dict]:
    """The segment p–q as a ruling edge if it is (nearly) horizontal or vertical."""
    if abs(p[1] - q[1]) < 1 and abs(p[0] - q[0]) >= 1:
        return [hline(p[0], (p[1] + q[1]) / 2, q[0])]
    if abs(p[0] - q[0]) < 1 and abs(p[1] - q[1]) >= 1:
        return [vline((p[0] + q[0]) / 2, p[1], q[1])]
    return []
