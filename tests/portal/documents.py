"""Load the generated report documents that the portal serves as attachments and bodies.

The documents live in ``tests/fixtures/documents/`` next to a ``manifest.json`` (a list of
``{file, stem, format, site, year, template, title, agency, role}``). The environment variable
``GKMLPT_PORTAL_DOCUMENTS`` points at another folder with the same layout.

Example::

    docs = load_documents()
    docs["dg-fenggang-2020.pdf"].data[:5]   # b"%PDF-"
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_FOLDER = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
ENV_VAR = "GKMLPT_PORTAL_DOCUMENTS"


class DocumentsMissing(RuntimeError):
    """The documents folder, its manifest or a file the portal needs is not there."""


@dataclass(frozen=True)
class FixtureDocument:
    """One manifest entry with its bytes."""

    file: str
    format: str
    site: str
    year: int
    role: str  # "report" or "annex"
    title: str
    data: bytes

    @property
    def text(self) -> str:
        """The bytes as UTF-8 text (for HTML body fragments)."""
        return self.data.decode("utf-8")


def documents_folder() -> Path:
    """The folder to load from: ``$GKMLPT_PORTAL_DOCUMENTS`` or ``tests/fixtures/documents``."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_FOLDER)


def load_documents(folder: Path | None = None) -> dict[str, FixtureDocument]:
    """Read the manifest and every file it lists, keyed by file name.

    Raises :class:`DocumentsMissing` with a message saying what to do when the folder or the
    manifest is absent.
    """
    folder = folder or documents_folder()
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        raise DocumentsMissing(
            f"simulated portal: no {manifest}. Generate the report documents first "
            f"(tests/fixtures/documents/ with manifest.json), or set {ENV_VAR} to a folder "
            f"that has them.")
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    if isinstance(entries, dict):
        entries = entries.get("documents") or entries.get("files") or []
    docs: dict[str, FixtureDocument] = {}
    for entry in entries:
        path = folder / entry["file"]
        if not path.is_file():
            raise DocumentsMissing(f"simulated portal: {path} is listed in {manifest} but missing")
        docs[entry["file"]] = FixtureDocument(
            file=entry["file"], format=entry.get("format", path.suffix.lstrip(".")),
            site=entry.get("site", ""), year=int(entry.get("year") or 0),
            role=entry.get("role", "report"), title=entry.get("title", ""),
            data=path.read_bytes())
    return docs


def require(docs: dict[str, FixtureDocument], file: str) -> FixtureDocument:
    """The document named ``file``, or :class:`DocumentsMissing` naming it."""
    try:
        return docs[file]
    except KeyError:
        raise DocumentsMissing(
            f"simulated portal: {file} is not in the documents manifest "
            f"({documents_folder()}/manifest.json)") from None
