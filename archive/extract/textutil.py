"""Small text helpers shared by the format readers: decoding, garbage detection, status.

Example::

    >>> decode_text("总体情况".encode("gb18030"))
    '总体情况'
    >>> is_garbled("\\ufffd\\ufffd\\ufffd 1")
    True
"""

from __future__ import annotations

from archive.document import ExtractStatus, Page

Problem = tuple[ExtractStatus, str]  # what went wrong with one page or part


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (which decodes any GBK/GB2312 text)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def is_garbled(text: str) -> bool:
    """Glyph garbage rather than text: ``(cid:`` runs, or mostly U+FFFD / private-use / controls."""
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return False
    if text.count("(cid:") >= 5:
        return True
    bad = sum(1 for ch in chars if ch == "\ufffd" or 0xE000 <= ord(ch) <= 0xF8FF or ord(ch) < 32)
    return bad / len(chars) > 0.3


def join_pages(pages: list[Page]) -> str:
    """The document text: page texts in order, separated by a blank line."""
    return "\n\n".join(page.text.strip("\n") for page in pages if page.text.strip())


def overall_status(pages: list[Page], problems: list[Problem]) -> tuple[ExtractStatus, str]:
    """OK; PARTIAL when some pages failed; EMPTY (or the first failure) when nothing was read."""
    reason = "; ".join(message for _, message in problems)
    if not any(page.text.strip() for page in pages):
        if problems:
            return problems[0][0], reason
        return ExtractStatus.EMPTY, "no text in the document"
    if problems:
        return ExtractStatus.PARTIAL, reason
    return ExtractStatus.OK, ""
