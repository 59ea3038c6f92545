"""Which files a ``gkarchive extract`` call reads: the files given, and every file under the
folders given, in path order (hidden files and folders left out).

Example::

    >>> [p.name for p in document_paths([Path("tests/fixtures/documents")])][:2]
    ['dg-fenggang-2019.html', 'dg-fenggang-2019.truth.json']
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def document_paths(paths: Iterable[Path]) -> list[Path]:
    """The files to read; a path that does not exist is a ``FileNotFoundError``."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.is_file()
                          and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.exists():
            out.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return out
