"""OCR of one page image with tesseract ``chi_sim`` (subprocess), with best-effort grids.

The page is deskewed first (a scan is often turned by a few tenths of a degree, which breaks
its ruling lines into short steps). Text comes from tesseract's TSV word boxes (one run
gives both text and positions); table grids come from ruling lines found in the image (long
runs of dark pixels, found with a regex over each binarised pixel row and column) laid out
by :mod:`archive.extract.grid`, and each cell is read on its own by
:mod:`archive.extract.ocr_cells`.

Example::

    result = ocr_image(Image.open("dg-zjj-2023.png"), Limits(), page=1)
    result.page.method  # PageMethod.OCR
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass

from PIL import Image, ImageDraw

from archive.document import Document, ExtractStatus, Page, PageMethod, Table
from archive.extract.grid import Box, find_tables, hline, table_from_boxes, vline
from archive.extract.limits import ExtractFailure, Limits
from archive.extract.ocr_cells import read_cells
from archive.extract.subproc import run_tool, tool_version
from archive.extract.textutil import join_pages, overall_status

DARK = 160  # grey level under which a pixel counts as ink
SKEW_STEPS = (0.1, 0.025)  # degrees: a coarse search over ±MAX_SKEW, then a fine one
MAX_SKEW = 1.5


@dataclass
class Word:
    """One OCR'd word and its box in pixels."""

    text: str
    box: Box
    line: tuple[int, int, int]  # block, paragraph, line


@dataclass
class OcrResult:
    """What OCR read from one image: the page and its table grids."""

    page: Page
    tables: list[Table]


def ocr_image(image: Image.Image, limits: Limits, page: int) -> OcrResult:
    """OCR one page image; raises ExtractFailure when tesseract hangs or fails.

    The tables' vertical ruling lines are painted white before OCR, so that tesseract neither
    reads them as ``|`` nor joins words across cell borders (erasing the horizontal ones too
    makes it lose isolated digits: measured on the huaian T3 page, 93 of 107 numbers vs 44).
    Only lines inside a table go: the strokes of a bold title are long dark runs too.
    """
    gray = deskew(image.convert("L"))
    edges = ruling_edges(gray, limits.ocr_dpi)
    tolerance = max(4.0, limits.ocr_dpi / 30)
    grids = find_tables(edges, tolerance, min_length=_min_run(limits.ocr_dpi))
    frames = [_bounds(boxes, tolerance) for boxes in grids]
    ruling = [e for e in edges if e["orientation"] == "v"
              and any(_inside((e["x0"], e["top"], e["x1"], e["bottom"]), f) for f in frames)]
    buffer = io.BytesIO()
    _erase(gray, ruling).save(buffer, format="PPM")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    tsv = run_tool([limits.tesseract_cmd, "stdin", "stdout", "-l", "chi_sim", "--psm", "3",
                    "tsv"], timeout_s=limits.ocr_timeout_s, attempts=limits.converter_attempts,
                   stdin=buffer.getvalue(), env=env)
    words = parse_tsv(tsv.decode("utf-8", errors="replace"))
    tables = _image_tables(gray, grids, limits, page, tolerance)
    return OcrResult(Page(page, words_to_text(words), PageMethod.OCR, "tesseract",
                          tool_version(limits.tesseract_cmd)), tables)


def deskew(gray: Image.Image) -> Image.Image:
    """The page turned so that its text lines and ruling lines are level.

    The angle is the one whose ink rows project most sharply (the sum of squared row
    means of the binarised, half-size page is largest when lines are level); a page that is
    already level comes back unchanged.
    """
    small = gray.resize((max(1, gray.width // 2), max(1, gray.height // 2)))
    ink = small.point(lambda v: 255 if v < DARK else 0)

    def sharpness(angle: float) -> int:
        turned = ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
        return sum(v * v for v in turned.resize((1, ink.height), Image.Resampling.BOX).tobytes())

    best, span = 0.0, MAX_SKEW
    for step in SKEW_STEPS:
        count = round(span / step)
        best = max((best + k * step for k in range(-count, count + 1)), key=sharpness)
        span = step
    if abs(best) < SKEW_STEPS[-1]:
        return gray
    return gray.rotate(best, resample=Image.Resampling.BICUBIC, fillcolor=255)


def ruling_edges(gray: Image.Image, dpi: int) -> list[dict]:
    """Horizontal and vertical ink runs at least ~5 mm long, as ruling edges in pixels."""
    min_run = _min_run(dpi)
    binary = gray.point(lambda v: 0 if v < DARK else 255)
    edges = [hline(x0, y, x1) for y, x0, x1 in _dark_runs(binary, min_run)]
    edges += [vline(x, y0, y1) for x, y0, y1 in
              _dark_runs(binary.transpose(Image.Transpose.TRANSPOSE), min_run)]
    return edges


def _min_run(dpi: int) -> int:
    return max(20, dpi // 5)


def _erase(gray: Image.Image, edges: list[dict]) -> Image.Image:
    """A copy of the image with the ruling lines (and a pixel around them) painted white."""
    clean = gray.copy()
    draw = ImageDraw.Draw(clean)
    for e in edges:
        draw.rectangle((e["x0"] - 1, e["top"] - 1, e["x1"] + 1, e["bottom"] + 1), fill=255)
    return clean


def parse_tsv(tsv: str) -> list[Word]:
    """Word rows (level 5, non-empty) of tesseract's TSV output."""
    words = []
    for row in tsv.splitlines()[1:]:
        parts = row.split("\t")
        if len(parts) < 12 or parts[0] != "5" or not parts[11].strip():
            continue
        left, top, width, height = (int(v) for v in parts[6:10])
        words.append(Word(parts[11].strip(), (left, top, left + width, top + height),
                          (int(parts[2]), int(parts[3]), int(parts[4]))))
    return words


def words_to_text(words: list[Word]) -> str:
    """Words regrouped into visual lines by their vertical centres, left to right.

    Tesseract reads a table column by column; regrouping by position puts each table row on
    one line (``一、本年新收… 3001 53 0 0 61 4 3119``), as a text-layer PDF would.
    CJK neighbours join without the spaces tesseract puts between them.
    """
    lines: list[tuple[float, float, list[Word]]] = []  # centre, half height, words
    for word in sorted(words, key=lambda w: (w.box[1] + w.box[3]) / 2):
        centre, half = (word.box[1] + word.box[3]) / 2, (word.box[3] - word.box[1]) / 2
        if lines and abs(centre - lines[-1][0]) <= max(lines[-1][1], half) * 0.6:
            lines[-1][2].append(word)
        else:
            lines.append((centre, half, [word]))
    return "\n".join(_join_words([w.text for w in sorted(line, key=lambda w: w.box[0])])
                     for _, _, line in lines)


def _join_words(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if out and not (_wide(out[-1]) and _wide(part[0])):
            out += " "
        out += part
    return out


def _wide(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def _image_tables(gray: Image.Image, grids: list[list[Box]], limits: Limits, page: int,
                  tolerance: float) -> list[Table]:
    """The ruled tables' grids laid out as tables, each cell OCR'd on its own."""
    boxes = [box for grid in grids for box in grid]
    texts = dict(zip(boxes, read_cells(gray, boxes, limits), strict=True))
    return [table_from_boxes(grid, texts.__getitem__, page, tolerance) for grid in grids]


def _bounds(boxes: list[Box], slack: float) -> Box:
    return (min(b[0] for b in boxes) - slack, min(b[1] for b in boxes) - slack,
            max(b[2] for b in boxes) + slack, max(b[3] for b in boxes) + slack)


def _inside(box: Box, frame: Box) -> bool:
    return (frame[0] <= box[0] and frame[1] <= box[1]
            and box[2] <= frame[2] and box[3] <= frame[3])


def _dark_runs(binary: Image.Image, min_run: int) -> list[tuple[int, int, int]]:
    """(row, start, end) of every horizontal run of ink at least ``min_run`` pixels long."""
    width, height = binary.size
    pixels = binary.tobytes()
    pattern = re.compile(b"\x00{%d,}" % min_run)
    return [(y, m.start() - y * width, m.end() - y * width) for y in range(height)
            for m in pattern.finditer(pixels, y * width, (y + 1) * width)]


def extract_image(data: bytes, limits: Limits) -> Document:
    """OCR every frame of a PNG/JPEG/TIFF/GIF/BMP image, one page per frame."""
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ExtractFailure(ExtractStatus.CORRUPT, f"image does not open: {exc}") from None
    if width * height > limits.max_image_pixels:
        raise ExtractFailure(ExtractStatus.TOO_LARGE,
                             f"image of {width}×{height} pixels > limit {limits.max_image_pixels}")
    frames = getattr(image, "n_frames", 1)
    if frames > limits.max_ocr_pages:
        raise ExtractFailure(ExtractStatus.TOO_LARGE, f"{frames} image frames > OCR page limit")
    pages, tables, problems = [], [], []
    for index in range(frames):
        try:
            image.seek(index)
            image.load()
        except (OSError, ValueError, EOFError) as exc:
            problems.append((ExtractStatus.CORRUPT, f"frame {index + 1}: {exc}"))
            continue
        try:
            result = ocr_image(image, limits, page=index + 1)
        except ExtractFailure as exc:
            problems.append((exc.status, f"frame {index + 1}: {exc.reason}"))
            continue
        pages.append(result.page)
        tables.extend(result.tables)
    status, reason = overall_status(pages, problems)
    return Document(status=status, format="image", text=join_pages(pages), pages=pages,
                    tables=tables, reason=reason)
