"""The report parser: every cell of the standard tables of an annual report, with checks.

Public API (others call it; see ``shared/docs/report-schema.md`` for the keys and JSON)::

    from archive.report import parse_document
    record = parse_document(doc, path="report.pdf", sha256="…")
    record.to_json_dict()          # the JSON of ``gkarchive extract FILE --json``
    record.cells["t3.new_received.total"].value
"""

from archive.report.checks import CheckResult, CheckStatus, Severity, carry_over_check
from archive.report.keys import (
    T2_2019_KEYS, T2_2021_KEYS, T3_COLS, T3_ROWS_2019, T3_ROWS_2021, T4_KEYS, Template,
    all_keys,
)
from archive.report.parse import PARSER_VERSION, parse_document
from archive.report.record import ReportRecord, Source
from archive.report.values import CellState, CellValue

__all__ = [
    "PARSER_VERSION", "T2_2019_KEYS", "T2_2021_KEYS", "T3_COLS", "T3_ROWS_2019", "T3_ROWS_2021",
    "T4_KEYS", "CellState", "CellValue", "CheckResult", "CheckStatus", "ReportRecord",
    "Severity", "Source", "Template", "all_keys", "carry_over_check", "parse_document",
]
