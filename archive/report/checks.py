"""The template's checks over the cells read: hard identities and soft warnings.

Hard rules (report-schema.md): ``T3-BAL`` and ``T3-RES`` per column, ``T3-ROW`` per row,
``T4-SUM`` per group, ``DOM`` per table. A check with a null or missing cell is
``not_assessable`` (its detail says what the other cells imply). A failing identity is a
``source_anomaly`` when every cell it involves was read with certainty and the failures
of its rule do not cancel out (which is what a value landing in the neighbouring column
looks like); otherwise it is ``failed``, a possible extraction error. Values are never
changed. Soft rules (``W-`` ids) are warnings: ``ok``, ``failed`` or ``not_assessable``.

Example::

    >>> from archive.report.values import CellState, CellValue
    >>> cells = {f"t4.review.{o}": CellValue(n, str(n), CellState.VALUE)
    ...          for o, n in zip(["upheld", "corrected", "other", "pending", "total"], [1, 0, 0, 0, 2])}
    >>> [(c.rule, c.scope, c.status.value) for c in hard_checks(cells, None, ["t4"])][0]
    ('T4-SUM', 'review', 'source_anomaly')
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from decimal import Decimal

from archive.report.keys import (
    T3_APPLICANT_COLS, T3_COLS, T3_RESULT_ROWS, T4_GROUPS, T4_OUTCOMES, Template, ValueKind,
    t3_rows, value_kind,
)
from archive.report.values import CellValue

Number = int | Decimal


class CheckStatus(str, enum.Enum):
    OK = "ok"
    FAILED = "failed"
    SOURCE_ANOMALY = "source_anomaly"
    NOT_ASSESSABLE = "not_assessable"


class Severity(str, enum.Enum):
    HARD = "hard"  # an identity of the template
    SOFT = "soft"  # a warning


@dataclass(frozen=True)
class CheckResult:
    """One check: rule id, scope (column, row, group or table), status and a detail."""

    rule: str
    scope: str
    status: CheckStatus
    detail: str = ""
    severity: Severity = Severity.HARD
    keys: tuple[str, ...] = ()
    difference: Number = 0


Cells = dict[str, CellValue]


def identity(rule: str, scope: str, left: list[str], right: list[str], cells: Cells) -> CheckResult:
    """sum(left) == sum(right); not assessable when a cell is null or missing."""
    keys = (*left, *right)
    absent = [k for k in keys if k not in cells or cells[k].value is None]
    if absent:
        return CheckResult(rule, scope, CheckStatus.NOT_ASSESSABLE, _absent_detail(absent, left,
                           right, cells), keys=keys)
    lsum = sum(cells[k].value for k in left)
    rsum = sum(cells[k].value for k in right)
    if lsum == rsum:
        return CheckResult(rule, scope, CheckStatus.OK, keys=keys)
    detail = f"{' + '.join(_short(k) for k in left)} = {lsum} ≠ {rsum} = " \
             f"{' + '.join(_short(k) for k in right) if len(right) < 4 else 'sum of parts'}"
    return CheckResult(rule, scope, CheckStatus.FAILED, detail, keys=keys, difference=lsum - rsum)


def _short(key: str) -> str:
    return ".".join(key.split(".")[1:])


def _absent_detail(absent: list[str], left: list[str], right: list[str], cells: Cells) -> str:
    """Which cells are absent; with one absent, the value the identity implies for it."""
    words = [f"{_short(k)} {'missing' if k not in cells else 'null'}" for k in absent]
    if len(absent) == 1:
        known_left = sum(cells[k].value for k in left if k not in absent)
        known_right = sum(cells[k].value for k in right if k not in absent)
        implied = known_right - known_left if absent[0] in left else known_left - known_right
        words.append(f"the identity implies {implied}")
    return "; ".join(words)


def identities(template: Template | None) -> list[tuple[str, str, list[str], list[str]]]:
    """Every hard identity of T3 and T4 as ``(rule, scope, left keys, right keys)``, where
    sum(left) must equal sum(right). T3's are those of ``template`` (2019 when unknown)."""
    results_rows = T3_RESULT_ROWS[Template.T2021 if template is Template.T2021 else Template.T2019]
    out = [("T3-BAL", col, [f"t3.new_received.{col}", f"t3.carried_over.{col}"],
            [f"t3.total_processed.{col}", f"t3.carried_forward.{col}"]) for col in T3_COLS]
    out += [("T3-RES", col, [f"t3.total_processed.{col}"],
             [f"t3.{row}.{col}" for row in results_rows]) for col in T3_COLS]
    out += [("T3-ROW", row, [f"t3.{row}.total"],
             [f"t3.{row}.{col}" for col in T3_APPLICANT_COLS]) for row in t3_rows(template)]
    out += [("T4-SUM", g, [f"t4.{g}.total"], [f"t4.{g}.{o}" for o in T4_OUTCOMES[:-1]])
            for g in T4_GROUPS]
    return out


def t3_checks(cells: Cells, template: Template) -> list[CheckResult]:
    """T3-BAL and T3-RES per column, T3-ROW per row."""
    return [identity(rule, scope, left, right, cells)
            for rule, scope, left, right in identities(template) if rule.startswith("T3-")]


def t4_checks(cells: Cells) -> list[CheckResult]:
    """T4-SUM per group: total = upheld + corrected + other + pending."""
    return [identity(rule, scope, left, right, cells)
            for rule, scope, left, right in identities(None) if rule == "T4-SUM"]


def hard_checks(cells: Cells, t3_template: Template | None, tables: list[str]) -> list[CheckResult]:
    """Every hard check of the tables that were found, failures classified."""
    out = t3_checks(cells, t3_template) if "t3" in tables else []
    out += t4_checks(cells) if "t4" in tables else []
    return classify(out + dom_checks(cells, tables), cells)


def dom_checks(cells: Cells, tables: list[str]) -> list[CheckResult]:
    """DOM per table: counts are non-negative integers (bar delta_items), money non-negative."""
    out = []
    for table in tables:
        keys = tuple(k for k in cells if k.startswith(f"{table}.") and cells[k].value is not None)
        bad = [k for k in keys if not _in_domain(k, cells[k].value)]
        detail = ", ".join(f"{_short(k)} = {cells[k].raw.strip()}" for k in bad)
        status = CheckStatus.FAILED if bad else CheckStatus.OK
        out.append(CheckResult("DOM", table, status, detail, keys=tuple(bad)))
    return out


def _in_domain(key: str, value: Number) -> bool:
    kind = value_kind(key)
    if kind is ValueKind.SIGNED:
        return value == int(value)
    if kind in (ValueKind.YUAN, ValueKind.WAN):
        return value >= 0
    return value >= 0 and value == int(value)


def classify(results: list[CheckResult], cells: Cells) -> list[CheckResult]:
    """Failed identities become source anomalies unless a reading doubt explains them."""
    cancelling = _cancelling(results)
    out = []
    for result in results:
        if result.status is CheckStatus.FAILED:
            certain = all(cells[k].certain for k in result.keys if k in cells)
            if certain and result not in cancelling:
                result = replace(result, status=CheckStatus.SOURCE_ANOMALY)
        out.append(result)
    return out


def _cancelling(results: list[CheckResult]) -> list[CheckResult]:
    """Failures of one rule whose differences add up to zero: a value read into the wrong
    column or row moves a difference from one scope to the other."""
    suspect = []
    for rule in {r.rule for r in results}:
        failed = [r for r in results if r.rule == rule and r.status is CheckStatus.FAILED
                  and r.difference != 0]
        if len(failed) >= 2 and sum(r.difference for r in failed) == 0:
            suspect += failed
    return suspect


def t2_soft_checks(cells: Cells, template: Template | None) -> list[CheckResult]:
    """W-T2-PUB (2019): new_published <= total_published, per row."""
    if template is not Template.T2019:
        return []
    out = []
    for row in ("regulations", "normative_docs"):
        new, total = f"t2.{row}.new_published", f"t2.{row}.total_published"
        values = [cells[k].value if k in cells else None for k in (new, total)]
        if None in values:
            status, detail = CheckStatus.NOT_ASSESSABLE, "a cell is null or missing"
        elif values[0] <= values[1]:
            status, detail = CheckStatus.OK, ""
        else:
            status, detail = CheckStatus.FAILED, f"new_published {values[0]} > total_published {values[1]}"
        out.append(CheckResult("W-T2-PUB", row, status, detail, Severity.SOFT, (new, total)))
    return out


RECEIVED = [
    re.compile(r"(?:收到|受理|接收|接到)[^。；;\d]{0,16}?申请[^。；;\d]{0,8}?(\d+)\s*(?:件|宗|个|条|份)"),
    re.compile(r"(?:收到|受理|接收|接到)[^。；;\d]{0,16}?(\d+)\s*(?:件|宗|个|条|份)[^。；;\d]{0,12}?申请"),
]


def text_vs_table(section_one: str, cells: Cells) -> CheckResult:
    """W-TEXT-T3: "收到申请 N 件" in section 一 against t3.new_received.total."""
    key = "t3.new_received.total"
    flat = "".join(section_one.split())
    numbers = [int(m[1]) for pattern in RECEIVED for m in [pattern.search(flat)] if m]
    table = cells[key].value if key in cells else None
    if not numbers or table is None:
        why = "no application count in section 一" if not numbers else f"{key} null or missing"
        return CheckResult("W-TEXT-T3", "new_received", CheckStatus.NOT_ASSESSABLE, why,
                           Severity.SOFT, (key,))
    if table in numbers:
        return CheckResult("W-TEXT-T3", "new_received", CheckStatus.OK, "", Severity.SOFT, (key,))
    return CheckResult("W-TEXT-T3", "new_received", CheckStatus.FAILED,
                       f"section 一 says {numbers[0]}, table says {table}", Severity.SOFT, (key,))


def carry_over_check(previous: Cells, current: Cells) -> list[CheckResult]:
    """W-CARRY (cross-year, for the archive): carried_over of Y = carried_forward of Y−1.

    Example: ``carry_over_check(record_2019.cells, record_2020.cells)``
    """
    out = []
    for col in T3_COLS:
        before, now = previous.get(f"t3.carried_forward.{col}"), current.get(f"t3.carried_over.{col}")
        if before is None or now is None or before.value is None or now.value is None:
            out.append(CheckResult("W-CARRY", col, CheckStatus.NOT_ASSESSABLE,
                                   "a cell is null or missing", Severity.SOFT))
        elif before.value == now.value:
            out.append(CheckResult("W-CARRY", col, CheckStatus.OK, "", Severity.SOFT))
        else:
            out.append(CheckResult("W-CARRY", col, CheckStatus.FAILED,
                                   f"carried forward {before.value}, carried over {now.value}",
                                   Severity.SOFT))
    return out
