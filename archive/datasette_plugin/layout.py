"""The printed layout of T2, T3 and T4, from the canonical key tables of archive.report.keys.

Row keys, their order and the T2/T3 row labels come from :mod:`archive.report.keys`; this
module adds only what the templates print around them — block captions, column headers and
group headings — and which cells each check rule involves, so a page can mark a failed
check on its cells. The canned queries (``queries.py``) and the report page share it.

Example::

    >>> [c.label for c in t3_header()][:2]
    ['自然人', '商业企业']
    >>> check_keys("T4-SUM", "review", "2019")[-1]
    't4.review.total'
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.report.keys import (T2_ROWS_BY_TEMPLATE, T3_APPLICANT_COLS, T3_COLS, T3_LABELS,
                                 T3_RESULT_ROWS, T3_ROWS_2019, T3_ROWS_2021, T4_GROUPS,
                                 T4_OUTCOMES, Template, t3_rows)

T2_BLOCKS = {
    "regulations": "第二十条第（一）项", "normative_docs": "第二十条第（一）项",
    "licensing": "第二十条第（五）项", "other_mgmt_services": "第二十条第（五）项",
    "penalty": "第二十条第（六）项", "coercion": "第二十条第（六）项",
    "admin_fees": "第二十条第（八）项", "central_procurement": "第二十条第（九）项",
}
T2_MEASURES = {
    Template.T2019: {"new_made": "本年新制作数量", "new_published": "本年新公开数量",
                     "total_published": "对外公开总数量", "prev_items": "上一年项目数量",
                     "delta_items": "本年增/减", "decisions": "处理决定数量",
                     "proc_count": "采购项目数量", "proc_amount_yuan": "采购总金额（元）"},
    Template.T2021: {"issued": "本年制发件数", "repealed": "本年废止件数",
                     "in_force": "现行有效件数", "decisions": "本年处理决定数量",
                     "fee_amount_wan": "本年收费金额（万元）"},
}
T2_ITEM_HEADER = "信息内容"
T3_COL_LABELS = {"natural": "自然人", "commercial": "商业企业", "research": "科研机构",
                 "public_interest": "社会公益组织", "legal_service": "法律服务机构",
                 "org_other": "其他", "total": "总计"}
T3_APPLICANTS, T3_ORGANISATIONS = "申请人情况", "法人或其他组织"
T3_RESULTS_HEADING = "三、本年度办理结果"
T3_GROUP_PREFIXES = (("deny_", "（三）不予公开"), ("unable_", "（四）无法提供"),
                     ("reject_", "（五）不予处理"), ("other_", "（六）其他处理"))
T3_UNGROUPED = ("new_received", "carried_over", "carried_forward")
T4_LABELS = {"review": "行政复议", "suit_direct": "行政诉讼·未经复议直接起诉",
             "suit_after_review": "行政诉讼·复议后起诉"}
T4_SUIT, T4_SUIT_GROUPS = "行政诉讼", {"suit_direct": "未经复议直接起诉",
                                       "suit_after_review": "复议后起诉"}
T4_OUTCOME_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果",
                     "pending": "尚未审结", "total": "总计"}
T4_COLUMNS = [(g, o) for g in T4_GROUPS for o in T4_OUTCOMES]

# The rules of report-schema.md, as a reader needs them beside a marked cell.
RULES = {
    "T3-BAL": "每栏：本年新收 + 上年结转 = 总计 + 结转下年度 / per column: new_received + "
              "carried_over = total_processed + carried_forward",
    "T3-RES": "每栏：（七）总计 = 各办理结果之和 / per column: total_processed = sum of the "
              "result rows",
    "T3-ROW": "每行：总计 = 自然人 + 各类法人或其他组织 / per row: total = sum of the six "
              "applicant columns",
    "T4-SUM": "每组：总计 = 维持 + 纠正 + 其他 + 尚未审结 / per group: total = upheld + "
              "corrected + other + pending",
    "DOM": "件数为非负整数（本年增/减除外），金额非负 / counts are non-negative integers "
           "(delta_items excepted), money is non-negative",
    "W-T2-PUB": "警告：本年新公开数量 ≤ 对外公开总数量 / warning: new_published <= "
                "total_published",
    "W-TEXT-T3": "警告：第一部分所述收到申请数 = 表三本年新收总计 / warning: the application "
                 "count in section 一 equals t3.new_received.total",
    "W-CARRY": "警告：本年上年结转 = 上一年度结转下年度 / warning: carried_over of this year = "
               "carried_forward of the year before",
}
# report_overview.status (migration m008), the first that applies.
REPORT_STATUS_LABELS = {
    "unreadable": "无法读取 / unreadable", "hard_checks_failed": "硬校验失败 / hard checks failed",
    "source_anomaly": "原文不一致 / source anomaly", "incomplete": "缺格 / incomplete",
    "soft_checks_failed": "警告未通过 / soft warnings failed", "ok": "完整 / ok"}
STATUS_LABELS = {"failed": "校验失败 / failed", "source_anomaly": "原文不一致 / source anomaly",
                 "not_assessable": "无法校验 / not assessable", "ok": "通过 / ok"}


@dataclass(frozen=True)
class Header:
    """A column header as printed: its label and the key part it stands for."""

    key: str
    label: str


@dataclass(frozen=True)
class T2Block:
    """One captioned block of T2: its caption, measure headers and (row key, label) rows."""

    caption: str
    measures: tuple[Header, ...]
    rows: tuple[tuple[str, str], ...]


def t2_blocks(template: Template) -> list[T2Block]:
    """T2 of a template as printed: consecutive rows of one caption and columns form a block."""
    blocks: list[T2Block] = []
    for row in T2_ROWS_BY_TEMPLATE[template]:
        measures = tuple(Header(c, T2_MEASURES[template][c]) for c in row.columns)
        caption = T2_BLOCKS[row.key]
        if blocks and blocks[-1].caption == caption and blocks[-1].measures == measures:
            last = blocks.pop()
            blocks.append(T2Block(caption, measures, (*last.rows, (row.key, row.labels[0]))))
        else:
            blocks.append(T2Block(caption, measures, ((row.key, row.labels[0]),)))
    return blocks


def t3_header() -> list[Header]:
    return [Header(c, T3_COL_LABELS[c]) for c in T3_COLS]


def t3_group(row_key: str) -> tuple[str, str]:
    """(heading, sub-heading) a T3 row is printed under; ``""`` where there is none."""
    if row_key in T3_UNGROUPED:
        return "", ""
    sub = next((label for prefix, label in T3_GROUP_PREFIXES if row_key.startswith(prefix)), "")
    return T3_RESULTS_HEADING, sub


def t3_row_order() -> list[str]:
    """Every T3 row of either template in printed order, the 2019 ``other`` row first."""
    return T3_ROWS_2019[:-2] + [r for r in T3_ROWS_2021 if r not in T3_ROWS_2019] + \
        T3_ROWS_2019[-2:]


def t3_printed_rows(template: Template, present: set[str]) -> list[str]:
    """The rows to print: the template's, plus any row of the other template that was read
    (a hybrid: a 2021 report printing the 2019 single ``（六）其他处理`` row)."""
    wanted = set(t3_rows(template)) | present
    return [r for r in t3_row_order() if r in wanted]


def t3_label_cells(rows: list[str]) -> list[list[tuple[str, int, int]]]:
    """Per row, the label cells (text, rowspan, colspan) of the three label columns, with
    the group headings spanning their rows as the templates print them."""
    out = []
    for i, row in enumerate(rows):
        heading, sub = t3_group(row)
        cells = []
        if not heading:
            cells.append((T3_LABELS[row], 1, 3))
        else:
            if i == 0 or t3_group(rows[i - 1])[0] != heading:
                cells.append((heading, _run(rows, i, lambda r: t3_group(r)[0] == heading), 1))
            if not sub:
                cells.append((T3_LABELS[row], 1, 2))
            else:
                if i == 0 or t3_group(rows[i - 1])[1] != sub:
                    cells.append((sub, _run(rows, i, lambda r: t3_group(r)[1] == sub), 1))
                cells.append((T3_LABELS[row], 1, 1))
        out.append(cells)
    return out


def _run(rows: list[str], start: int, same) -> int:
    """How many rows from ``start`` on satisfy ``same``."""
    n = 0
    while start + n < len(rows) and same(rows[start + n]):
        n += 1
    return n


def template_of_table(table: str, keys: set[str], report_template: str) -> Template:
    """The template a table was printed in, from the keys read (real reports mix them)."""
    own = {Template.T2019: set(), Template.T2021: set()}
    if table == "t2":
        for template in own:
            own[template] = {f"t2.{r.key}.{c}" for r in T2_ROWS_BY_TEMPLATE[template]
                             for c in r.columns}
        only_2019, only_2021 = own[Template.T2019] - own[Template.T2021], \
            own[Template.T2021] - own[Template.T2019]
    else:
        only_2019 = {f"t3.other.{c}" for c in T3_COLS}
        only_2021 = {f"t3.{r}.{c}" for r in T3_RESULT_ROWS[Template.T2021] if r.startswith("other_")
                     for c in T3_COLS}
    if keys & only_2021 and not keys & only_2019:
        return Template.T2021
    if keys & only_2019 and not keys & only_2021:
        return Template.T2019
    return Template.T2021 if report_template == Template.T2021.value else Template.T2019


def check_keys(rule: str, scope: str, template: str, detail: str | None = None) -> list[str]:
    """The cells a check involves, from its rule and scope (as ``archive.report.checks``
    builds them); a DOM failure's cells are the ones its detail names."""
    t3 = Template.T2021 if template == Template.T2021.value else Template.T2019
    if rule == "T3-BAL":
        return [f"t3.{r}.{scope}" for r in ("new_received", "carried_over", "total_processed",
                                            "carried_forward")]
    if rule == "T3-RES":
        return [f"t3.total_processed.{scope}", *(f"t3.{r}.{scope}" for r in T3_RESULT_ROWS[t3])]
    if rule == "T3-ROW":
        return [f"t3.{scope}.total", *(f"t3.{scope}.{c}" for c in T3_APPLICANT_COLS)]
    if rule == "T4-SUM":
        return [f"t4.{scope}.{o}" for o in T4_OUTCOMES]
    if rule == "W-T2-PUB":
        return [f"t2.{scope}.new_published", f"t2.{scope}.total_published"]
    if rule == "W-TEXT-T3":
        return ["t3.new_received.total"]
    if rule == "W-CARRY":
        return [f"t3.carried_over.{scope}"]
    if rule == "DOM":  # detail: "row.col = raw, …" within the table named by the scope
        return [f"{scope}.{part.split(' = ')[0].strip()}"
                for part in (detail or "").split(", ") if " = " in part]
    return []
SECTION_HEADINGS = {"1": "一、总体情况", "2": "二、主动公开政府信息情况",
                    "3": "三、收到和处理政府信息公开申请情况",
                    "4": "四、政府信息公开行政复议、行政诉讼情况",
                    "5": "五、存在的主要问题及改进情况", "6": "六、其他需要报告的事项"}
