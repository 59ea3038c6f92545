"""The typed report record and its JSON form (the contract of ``gkarchive extract --json``).

Example::

    >>> record = ReportRecord(source=Source("a.txt", "", "txt"), template=Template.T2019)
    >>> list(record.to_json_dict())
    ['source', 'title', 'agency', 'year', 'template', 'cells', 'missing', 'checks', 'sections']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from archive.report.checks import CheckResult, CheckStatus, Severity
from archive.report.keys import Template
from archive.report.values import CellValue


@dataclass(frozen=True)
class Source:
    """Where the record came from: the file's path, its sha256 and the detected format."""

    path: str
    sha256: str
    format: str


@dataclass
class ReportRecord:
    """Everything the parser read from one report.

    ``templates`` holds the template per table (``t2``, ``t3``; ``t4`` is the same in both
    formats); ``template`` is the report's, 2021 as soon as one table prints the 2021 format.
    ``cells`` holds every key found (a printed-empty cell is a CellValue with value None);
    ``missing`` the keys of the detected template that were not found.
    """

    source: Source
    title: str = ""
    agency: str = ""
    year: int | None = None
    template: Template = Template.UNKNOWN
    templates: dict[str, Template] = field(default_factory=dict)
    cells: dict[str, CellValue] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)
    parser_version: str = ""

    def value(self, key: str) -> int | Decimal | None:
        """The value of one cell (None when blank or absent)."""
        cell = self.cells.get(key)
        return cell.value if cell is not None else None

    def failing(self) -> list[CheckResult]:
        """Hard checks that failed or show a source anomaly."""
        bad = (CheckStatus.FAILED, CheckStatus.SOURCE_ANOMALY)
        return [c for c in self.checks if c.severity is Severity.HARD and c.status in bad]

    def to_json_dict(self) -> dict:
        """The JSON object of report-schema.md: source, title, agency, year, template, cells,
        missing, checks, sections."""
        return {
            "source": {"path": self.source.path, "sha256": self.source.sha256,
                       "format": self.source.format},
            "title": self.title,
            "agency": self.agency,
            "year": self.year,
            "template": self.template.value,
            "cells": {key: json_number(cell.value) for key, cell in self.cells.items()},
            "missing": list(self.missing),
            "checks": [check_json(c) for c in self.checks],
            "sections": dict(self.sections),
        }


def json_number(value: int | Decimal | None) -> int | float | None:
    """A cell value for JSON: whole numbers as int, money with cents as float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def check_json(check: CheckResult) -> dict:
    """``{"rule", "scope", "status"}`` plus ``"detail"`` when there is one."""
    out = {"rule": check.rule, "scope": check.scope, "status": check.status.value}
    if check.detail:
        out["detail"] = check.detail
    return out
