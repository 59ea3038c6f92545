"""Lines of extracted text as :class:`~archive.report.rows.Line`: labels and value runs.

A tab-separated line (HTML, DOCX, some PDF text) keeps its fields and their positions, so
a blank cell stays in its column. A plain line is split on whitespace and its trailing run
of value tokens is the row's cells. Page numbers (``-3-``, ``第 3 页``) are dropped first,
and a unit printed apart from its number (``240,783,174.94 元``) is joined to it.

Example::

    >>> text_line("（一）予以公开 1 0 0 0 0 0 1").fields
    ('1', '0', '0', '0', '0', '0', '1')
    >>> text_line("四、结转下年度继续办理\\t\\t\\t0\\t0").fields
    ('', '', '0', '0')
    >>> text_line("-3-")
    Line(label='', fields=(), positions=None, width=0)
"""

from __future__ import annotations

import re
import unicodedata

from archive.report.rows import Line
from archive.report.values import is_value_text

PAGE_NUMBER = re.compile(r"(?<!\S)[-—–]\d{1,3}[-—–](?!\S)|^\s*[-—–]\s?\d{1,3}\s?[-—–]\s*$"
                         r"|第\s*\d{1,3}\s*页(\s*共\s*\d{1,3}\s*页)?")
SPLIT_UNIT = re.compile(r"(?<=\d)\s+(?=(?:万元|元|笔|件)(?:\s|$))")


def clean_line(line: str) -> str:
    """NFKC-normalised line without page numbers; tabs are kept."""
    norm = unicodedata.normalize("NFKC", line)  # NFKC makes a no-break space a space
    return SPLIT_UNIT.sub("", PAGE_NUMBER.sub(" ", norm))


def text_line(line: str) -> Line:
    """One line of text as a label and its value fields; a plain line keeps where each
    token sits (``pdftotext -layout`` puts a blank cell's neighbours at their columns)."""
    raw = line
    line = clean_line(line)
    if "\t" in line:
        return _tab_line(line)
    tokens = line.split()
    start = len(tokens)
    while start > 0 and is_value_text(tokens[start - 1]):
        start -= 1
    centres = token_centres(raw)
    if len(centres) != len(tokens):  # a page number or a split unit changed the tokens
        return Line(" ".join(tokens[:start]), tuple(tokens[start:]))
    offsets = tuple(c for _, c in centres[start:]) if start < len(tokens) else None
    return Line(" ".join(tokens[:start]), tuple(tokens[start:]), offsets=offsets,
                tokens=tuple((unicodedata.normalize("NFKC", t), c) for t, c in centres[:start]))


TOKEN = re.compile(r"[^\s\u3000]+")


def display_width(text: str) -> int:
    """Columns a monospaced layout gives ``text``: two for wide (CJK, full-width) characters."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def token_centres(line: str) -> list[tuple[str, int]]:
    """Every whitespace-separated token of a raw line with the display column of its centre."""
    out = []
    column, done = 0, 0
    for match in TOKEN.finditer(line.replace("\xa0", " ")):
        column += display_width(line[done:match.start()])
        width = display_width(match[0])
        out.append((match[0], column + width // 2))
        column, done = column + width, match.end()
    return out


def _tab_line(line: str) -> Line:
    """Fields after the last label field, with their positions on the line (blanks kept)."""
    fields = [f.strip() for f in line.split("\t")]
    last_label = max((i for i, f in enumerate(fields) if f and not is_value_text(f)), default=-1)
    label = " ".join(f for f in fields[:last_label + 1] if f)
    values = fields[last_label + 1:]
    if not values:
        return Line(label)
    positions = tuple(range(last_label + 1, len(fields)))
    return Line(label, tuple(values), positions, len(fields))


CELL_LINE = re.compile(r"^\t+(\S*)\s*$")


def _cell_of(line: str) -> str | None:
    """The cell of a tab-indented one-cell line (``"\t3"``, ``"\t"`` = blank), else None."""
    match = CELL_LINE.match(line)
    if match is None or (match[1] and not is_value_text(match[1])):
        return None
    return clean_line(match[1]).strip()


def text_lines(lines: list[str]) -> list[Line]:
    """Every line of a text region as a :class:`Line`. A run of tab-indented one-cell lines
    (a web table copied as one cell per line, rows apart by blank lines) is one row."""
    out: list[Line] = []
    index = 0
    while index < len(lines):
        run = []
        while index + len(run) < len(lines):
            cell = _cell_of(lines[index + len(run)])
            if cell is None:
                break
            run.append(cell)
        if len(run) >= 2:
            out.append(Line("", tuple(run), tuple(range(len(run))), len(run)))
            index += len(run)
            continue
        out.append(text_line(lines[index]))
        index += 1
    return out
