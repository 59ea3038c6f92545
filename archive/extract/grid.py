"""Table grids from ruling lines: shared by text-layer PDF pages and OCR'd images.

Ruling lines come in as horizontal/vertical segments (in any top-down coordinate space:
PDF points or image pixels); pdfplumber's lattice algorithm (snap, join, intersect, smallest
cells, connected tables) turns them into cell boxes, and :func:`table_from_boxes` lays the
boxes on a grid whose rows and columns are the distinct box edges, so a merged cell gets
its rowspan/colspan.

Example::

    >>> edges = [hline(0, 0, 20), hline(0, 10, 20), hline(0, 20, 20),
    ...          vline(0, 0, 20), vline(10, 0, 20), vline(20, 0, 20)]
    >>> [len(boxes) for boxes in find_tables(edges, tolerance=3)]
    [4]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

from pdfplumber import table as lattice

from archive.document import Cell, Table

Box = tuple[float, float, float, float]  # x0, top, x1, bottom


def hline(x0: float, y: float, x1: float) -> dict:
    """A horizontal ruling segment in pdfplumber's edge shape."""
    return {"x0": min(x0, x1), "x1": max(x0, x1), "top": y, "bottom": y,
            "width": abs(x1 - x0), "height": 0.0, "orientation": "h"}


def vline(x: float, top: float, bottom: float) -> dict:
    """A vertical ruling segment in pdfplumber's edge shape."""
    return {"x0": x, "x1": x, "top": min(top, bottom), "bottom": max(top, bottom),
            "width": 0.0, "height": abs(bottom - top), "orientation": "v"}


def find_tables(edges: list[dict], tolerance: float, min_length: float = 3.0) -> list[list[Box]]:
    """Cell boxes of each ruled table, top to bottom; one-column frames are dropped."""
    if len(edges) < 4:
        return []
    merged = lattice.merge_edges(edges, tolerance, tolerance, tolerance, tolerance)
    long_edges = [e for e in merged if (e["width"] if e["orientation"] == "h"
                                        else e["height"]) >= min_length]
    points = lattice.edges_to_intersections(long_edges, tolerance, tolerance)
    boxes = lattice.intersections_to_cells(points)
    tables = [t for t in lattice.cells_to_tables(boxes) if _is_real_table(t, tolerance)]
    return sorted(tables, key=lambda t: (min(b[1] for b in t), min(b[0] for b in t)))


def _is_real_table(boxes: list[Box], tolerance: float) -> bool:
    """At least two columns: a framed paragraph is not a table, but a single row is (the
    last row of a table that a page break cut off, e.g. the T4 numbers)."""
    return len(_cluster([b[0] for b in boxes], tolerance)) >= 2


def table_from_boxes(boxes: Sequence[Box], text_of: Callable[[Box], str], page: int | None,
                     tolerance: float) -> Table:
    """Lay cell boxes on the grid of their distinct edges; ``text_of`` reads one box."""
    xs = _cluster([v for b in boxes for v in (b[0], b[2])], tolerance)
    ys = _cluster([v for b in boxes for v in (b[1], b[3])], tolerance)
    cells = []
    for box in sorted(boxes, key=lambda b: (b[1], b[0])):
        col, col_end = _index(xs, box[0]), _index(xs, box[2])
        row, row_end = _index(ys, box[1]), _index(ys, box[3])
        cells.append(Cell(text_of(box), row=row, col=col, rowspan=max(1, row_end - row),
                          colspan=max(1, col_end - col)))
    return Table(cells=cells, page=page)


def _cluster(values: list[float], tolerance: float) -> list[float]:
    """Sorted representatives of values closer than ``tolerance`` to each other."""
    reps: list[float] = []
    for value in sorted(values):
        if not reps or value - reps[-1] > tolerance:
            reps.append(value)
    return reps


def _index(reps: list[float], value: float) -> int:
    """Index of the representative nearest to ``value``."""
    i = bisect.bisect_left(reps, value)
    candidates = [j for j in (i - 1, i) if 0 <= j < len(reps)]
    return min(candidates, key=lambda j: abs(reps[j] - value))


def join_cell_lines(text: str) -> str:
    """One cell's text on one line: CJK lines join directly, others with a space.

    Spaces between two CJK characters (justified-text artefacts such as ``商 业 企``) go too.

    >>> join_cell_lines("商 业 企\\n业")
    '商业企业'
    """
    out = ""
    for line in (part.strip() for part in text.replace("\r", "\n").split("\n")):
        if not line:
            continue
        if out and not (_is_cjk(out[-1]) or _is_cjk(line[0])):
            out += " "
        out += line
    return CJK_GAP.sub("", " ".join(out.split()))


CJK_GAP = re.compile(r"(?<=[\u2e80-\u9fff\uff00-\uffef]) +(?=[\u2e80-\u9fff\uff00-\uffef])")


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF
