"""Canonical keys and printed labels of the report tables, as data (report-schema.md).

Every number of a report is addressed by ``table.row.column``. The lists here are the
single source of the keys the parser produces, the checks it runs and what ``missing`` means.

Example::

    >>> len(all_keys("2019")), len(all_keys("2021"))
    (198, 200)
    >>> T3_ROWS_2021[-1], T3_COLS[-1], T4_KEYS[0]
    ('carried_forward', 'total', 't4.review.upheld')
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Template(str, enum.Enum):
    """Which official report format a table (or a report) follows."""

    T2019 = "2019"
    T2021 = "2021"
    PRE2019 = "pre2019"
    UNKNOWN = "unknown"


class ValueKind(str, enum.Enum):
    """How a cell's text is read: counts, signed counts, money in 元 or in 万元."""

    COUNT = "count"
    SIGNED = "signed"
    YUAN = "yuan"
    WAN = "wan"


@dataclass(frozen=True)
class T2Row:
    """One T2 row: its key, printed label (plus drift aliases) and column keys in order."""

    key: str
    labels: tuple[str, ...]
    columns: tuple[str, ...]


_PUBLISHED = ("new_made", "new_published", "total_published")
_ITEMS = ("prev_items", "delta_items", "decisions")
_IN_FORCE = ("issued", "repealed", "in_force")

T2_ROWS_BY_TEMPLATE: dict[Template, tuple[T2Row, ...]] = {
    Template.T2019: (
        T2Row("regulations", ("规章",), _PUBLISHED),
        T2Row("normative_docs", ("规范性文件", "行政规范性文件"), _PUBLISHED),
        T2Row("licensing", ("行政许可",), _ITEMS),
        T2Row("other_mgmt_services", ("其他对外管理服务事项",), _ITEMS),
        T2Row("penalty", ("行政处罚",), _ITEMS),
        T2Row("coercion", ("行政强制",), _ITEMS),
        T2Row("admin_fees", ("行政事业性收费",), ("prev_items", "delta_items")),
        T2Row("central_procurement", ("政府集中采购",), ("proc_count", "proc_amount_yuan")),
    ),
    Template.T2021: (
        T2Row("regulations", ("规章",), _IN_FORCE),
        T2Row("normative_docs", ("行政规范性文件", "规范性文件"), _IN_FORCE),
        T2Row("licensing", ("行政许可",), ("decisions",)),
        T2Row("penalty", ("行政处罚",), ("decisions",)),
        T2Row("coercion", ("行政强制",), ("decisions",)),
        T2Row("admin_fees", ("行政事业性收费",), ("fee_amount_wan",)),
    ),
}

# Column headers that only one template prints: they decide the template of T2.
T2_HEADER_WORDS: dict[Template, tuple[str, ...]] = {
    Template.T2019: ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量",
                     "本年增/减", "采购项目数量", "采购总金额", "政府集中采购",
                     "其他对外管理服务事项"),
    Template.T2021: ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量",
                     "本年收费金额", "行政规范性文件"),
}

T2_2019_KEYS: list[str] = [f"t2.{r.key}.{c}" for r in T2_ROWS_BY_TEMPLATE[Template.T2019]
                           for c in r.columns]
T2_2021_KEYS: list[str] = [f"t2.{r.key}.{c}" for r in T2_ROWS_BY_TEMPLATE[Template.T2021]
                           for c in r.columns]

# T3 rows: key → label as the official templates print it.
T3_LABELS: dict[str, str] = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "（一）予以公开",
    "partial": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "deny_state_secret": "1.属于国家秘密",
    "deny_law_forbidden": "2.其他法律行政法规禁止公开",
    "deny_security_stability": "3.危及“三安全一稳定”",
    "deny_third_party": "4.保护第三方合法权益",
    "deny_internal_affairs": "5.属于三类内部事务信息",
    "deny_process_info": "6.属于四类过程性信息",
    "deny_enforcement_file": "7.属于行政执法案卷",
    "deny_admin_query": "8.属于行政查询事项",
    "unable_not_held": "1.本机关不掌握相关政府信息",
    "unable_need_creation": "2.没有现成信息需要另行制作",
    "unable_unclear": "3.补正后申请内容仍不明确",
    "reject_petition": "1.信访举报投诉类申请",
    "reject_repeat": "2.重复申请",
    "reject_publication": "3.要求提供公开出版物",
    "reject_massive": "4.无正当理由大量反复申请",
    "reject_confirm": "5.要求行政机关确认或重新出具已获取信息",
    "other": "（六）其他处理",
    "other_overdue_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_fee_unpaid": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_misc": "3.其他",
    "total_processed": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}

_T3_RESULTS_COMMON = [
    "granted", "partial", "deny_state_secret", "deny_law_forbidden", "deny_security_stability",
    "deny_third_party", "deny_internal_affairs", "deny_process_info", "deny_enforcement_file",
    "deny_admin_query", "unable_not_held", "unable_need_creation", "unable_unclear",
    "reject_petition", "reject_repeat", "reject_publication", "reject_massive", "reject_confirm",
]
T3_RESULT_ROWS: dict[Template, list[str]] = {
    Template.T2019: [*_T3_RESULTS_COMMON, "other"],
    Template.T2021: [*_T3_RESULTS_COMMON, "other_overdue_correction", "other_fee_unpaid",
                     "other_misc"],
}
T3_ROWS_2019: list[str] = ["new_received", "carried_over", *T3_RESULT_ROWS[Template.T2019],
                           "total_processed", "carried_forward"]
T3_ROWS_2021: list[str] = ["new_received", "carried_over", *T3_RESULT_ROWS[Template.T2021],
                           "total_processed", "carried_forward"]
T3_ROWS_2021_ONLY = ("other_overdue_correction", "other_fee_unpaid", "other_misc")
T3_COLS: list[str] = ["natural", "commercial", "research", "public_interest", "legal_service",
                      "org_other", "total"]
T3_APPLICANT_COLS: list[str] = T3_COLS[:-1]
# Column headers as printed: they map a grid's or a layout's columns to keys.
T3_COL_LABELS: dict[str, str] = {
    "natural": "自然人", "commercial": "商业企业", "research": "科研机构",
    "public_interest": "社会公益组织", "legal_service": "法律服务机构", "org_other": "其他",
    "total": "总计",
}
T2_COL_LABELS: dict[str, tuple[str, ...]] = {
    "new_made": ("本年新制作数量",), "new_published": ("本年新公开数量",),
    "total_published": ("对外公开总数量",), "prev_items": ("上一年项目数量",),
    "delta_items": ("本年增/减", "本年增减"), "decisions": ("处理决定数量", "本年处理决定数量"),
    "proc_count": ("采购项目数量",), "proc_amount_yuan": ("采购总金额",),
    "issued": ("本年制发件数",), "repealed": ("本年废止件数",), "in_force": ("现行有效件数",),
    "fee_amount_wan": ("本年收费金额（单位：万元）", "本年收费金额"),
}

T4_GROUPS: list[str] = ["review", "suit_direct", "suit_after_review"]
T4_OUTCOMES: list[str] = ["upheld", "corrected", "other", "pending", "total"]
T4_KEYS: list[str] = [f"t4.{g}.{o}" for g in T4_GROUPS for o in T4_OUTCOMES]

TABLES = ("t2", "t3", "t4")


def t3_rows(template: Template) -> list[str]:
    """T3 row keys of a template, e.g. ``t3_rows(Template.T2019)[20] == "other"``."""
    return T3_ROWS_2021 if template is Template.T2021 else T3_ROWS_2019


def t3_keys(template: Template) -> list[str]:
    """T3 keys row-major, e.g. ``t3_keys(Template.T2021)[0] == "t3.new_received.natural"``."""
    return [f"t3.{row}.{col}" for row in t3_rows(template) for col in T3_COLS]


def t2_keys(template: Template) -> list[str]:
    """T2 keys of a template (2019: 22, 2021: 10)."""
    return T2_2021_KEYS if template is Template.T2021 else T2_2019_KEYS


def table_keys(table: str, template: Template | None) -> list[str]:
    """Keys of one table under a template; [] for a table whose template is unknown."""
    if table == "t4":
        return list(T4_KEYS)
    if template not in (Template.T2019, Template.T2021):
        return []
    return t2_keys(template) if table == "t2" else t3_keys(template)


def all_keys(template: Template | str) -> list[str]:
    """Every canonical key of a template in printed order (T2, T3, T4); [] for the others.

    Example: ``all_keys("2021")[:2] == ["t2.regulations.issued", "t2.regulations.repealed"]``
    """
    template = Template(template)
    if template not in (Template.T2019, Template.T2021):
        return []
    return [*t2_keys(template), *t3_keys(template), *T4_KEYS]


def value_kind(key: str) -> ValueKind:
    """How the cell ``key`` is read, e.g. ``value_kind("t2.licensing.delta_items")`` → SIGNED."""
    if key.endswith(".delta_items"):
        return ValueKind.SIGNED
    if key.endswith(".proc_amount_yuan"):
        return ValueKind.YUAN
    if key.endswith(".fee_amount_wan"):
        return ValueKind.WAN
    return ValueKind.COUNT
