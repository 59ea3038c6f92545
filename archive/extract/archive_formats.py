"""ZIP attachments (each member extracted in turn, within limits) and OFD (text, best effort).

A ZIP's members are vetted by :mod:`archive.extract.safezip` (count, total size, ratio),
nesting is bounded by ``Limits.max_zip_depth``, and member pages are renumbered in order.
OFD is a ZIP of XML pages; its ``TextCode`` runs are read line by line (no table grids).

Example::

    doc = extract_zip(zip_bytes, Limits(), extract_member=extract)
    [page.number for page in doc.pages]  # [1, 2, 3]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import defusedxml

from archive.document import Document, ExtractStatus, Page, PageMethod, Table
from archive.extract.limits import ExtractFailure, Limits
from archive.extract.safezip import open_zip, parse_xml, read_member
from archive.extract.textutil import Problem, join_pages, overall_status

MemberReader = Callable[..., Document]
OFD_PAGE = re.compile(r"(?:^|/)Pages/Page_(\d+)/Content\.xml$", re.IGNORECASE)


def extract_zip(data: bytes, limits: Limits, extract_member: MemberReader) -> Document:
    """Extract every file in a ZIP with ``extract_member`` (the public ``extract``)."""
    if limits.max_zip_depth <= 0:
        raise ExtractFailure(ExtractStatus.UNSAFE, "ZIP nested deeper than the limit")
    zf = open_zip(data, limits)
    inner = replace(limits, max_zip_depth=limits.max_zip_depth - 1)
    pages: list[Page] = []
    tables: list[Table] = []
    problems: list[Problem] = []
    for info in zf.infolist():
        name = member_name(info.filename, info.flag_bits)
        if info.is_dir() or name.startswith("__MACOSX/"):
            continue
        member = extract_member(read_member(zf, info.filename, limits), name=name, limits=inner)
        if not member.usable:
            problems.append((member.status, f"{name}: {member.status.value} {member.reason}"))
            continue
        offset = len(pages)
        pages += [replace(p, number=p.number + offset, text=_label(name, p, p is member.pages[0]))
                  for p in member.pages]
        tables += [replace(t, page=(t.page or 1) + offset) for t in member.tables]
    status, reason = overall_status(pages, problems)
    return Document(status=status, format="zip", text=join_pages(pages), pages=pages,
                    tables=tables, reason=reason)


def member_name(filename: str, flag_bits: int) -> str:
    """Member names without the UTF-8 flag are usually GBK on Chinese systems."""
    if flag_bits & 0x800:
        return filename
    try:
        return filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return filename


def _label(name: str, page: Page, first: bool) -> str:
    return f"【{name}】\n{page.text}" if first else page.text


def extract_ofd(data: bytes, limits: Limits) -> Document:
    """Text of each OFD page, TextCode runs grouped into lines by their baseline."""
    zf = open_zip(data, limits)
    found = [(int(m.group(1)), n) for n in zf.namelist() if (m := OFD_PAGE.search(n))]
    if len(found) > limits.max_pages:
        raise ExtractFailure(ExtractStatus.TOO_LARGE, f"{len(found)} OFD pages > limit")
    pages = []
    for number, (_, name) in enumerate(sorted(found), start=1):
        text = _ofd_page_text(parse_xml(read_member(zf, name, limits)))
        pages.append(Page(number, text, PageMethod.NATIVE, "defusedxml", defusedxml.__version__))
    status, reason = overall_status(pages, [])
    return Document(status=status, format="ofd", text=join_pages(pages), pages=pages,
                    reason=reason)


def _ofd_page_text(root) -> str:
    runs = []
    for obj in root.iter():
        if not obj.tag.endswith("TextObject"):
            continue
        box = [float(v) for v in (obj.get("Boundary") or "0 0 0 0").split()[:4]]
        for code in obj:
            if code.tag.endswith("TextCode") and code.text:
                x, y = float(code.get("X") or 0), float(code.get("Y") or 0)
                runs.append((box[1] + y, box[0] + x, code.text))
    lines: list[list[tuple[float, str]]] = []
    last_y = None
    for y, x, text in sorted(runs):
        if last_y is None or y - last_y > 2:
            lines.append([])
        lines[-1].append((x, text))
        last_y = y
    return "\n".join("".join(t for _, t in sorted(line)) for line in lines)
