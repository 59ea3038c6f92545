"""Canonical keys (``archive.report.keys``), label matching (``labels``) and cell reading
(``values``): the pieces the parser is built of, against oracles of their own (the fixture
generator's key lists, the schema's label wording, hand-written cells)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from archive.report import keys
from archive.report.keys import Template, ValueKind, all_keys, table_keys, value_kind
from archive.report.labels import (CERTAIN, LabelIndex, LabelMatch, label_key, marker_tails,
                                   suffix_match)
from archive.report.values import CellState, is_value_text, normalise, parse_cell
from tests.fixtures import report_keys as oracle


def test_key_lists_equal_the_fixture_generators_lists():
    assert all_keys("2019") == oracle.template_keys("2019")
    assert all_keys(Template.T2021) == oracle.template_keys("2021")
    assert all_keys("unknown") == [] and all_keys(Template.PRE2019) == []
    assert (len(all_keys("2019")), len(all_keys("2021"))) == (198, 200)


def test_table_keys_per_template():
    assert table_keys("t4", None) == list(keys.T4_KEYS) and len(keys.T4_KEYS) == 15
    assert table_keys("t2", Template.T2019) == keys.T2_2019_KEYS
    assert table_keys("t2", Template.T2021) == keys.T2_2021_KEYS
    assert table_keys("t3", Template.T2021)[-1] == "t3.carried_forward.total"
    assert len(table_keys("t3", Template.T2019)) == 23 * 7
    assert table_keys("t3", Template.UNKNOWN) == [] and table_keys("t2", None) == []


@pytest.mark.parametrize("key, kind", [
    ("t2.licensing.delta_items", ValueKind.SIGNED), ("t2.central_procurement.proc_amount_yuan",
                                                     ValueKind.YUAN),
    ("t2.admin_fees.fee_amount_wan", ValueKind.WAN), ("t3.granted.total", ValueKind.COUNT),
])
def test_value_kind(key, kind):
    assert value_kind(key) is kind


def test_label_key_and_marker_tails():
    assert label_key("（一） 予以公开") == "一予以公开"
    assert label_key("规    章:") == "规章"
    assert marker_tails("（四）无法提供 2.没有现成信息需要另行制作") == [
        "四无法提供2没有现成信息需要另行制作", "2没有现成信息需要另行制作"]
    assert marker_tails("三、本年度办理结果 （一）予以公开") == ["三本年度办理结果一予以公开", "一予以公开"]
    assert marker_tails("第12.5项") == ["第125项"]  # 12.5 is a number, not a marker
    assert marker_tails("  ") == [] and marker_tails("、") == []


INDEX = LabelIndex({"unable_need_creation": ["2.没有现成信息需要另行制作"],
                    "reject_repeat": ["2.重复申请"],
                    "granted": ["（一）予以公开"], "partial": ["（二）部分公开"]})


def test_exact_match_by_the_shortest_tail_first():
    assert INDEX.best("（五）不予处理 2.重复申请") == LabelMatch("reject_repeat", 1.0)
    assert INDEX.best("2.重复申请", exclude=frozenset({"reject_repeat"})) is None
    assert INDEX.best("") is None


def test_fuzzy_match_of_drifted_and_cut_labels():
    drift = INDEX.best("（四）无法提供 2.没有现成信息需另行制作")
    assert drift.key == "unable_need_creation" and 0.6 <= drift.score < 1.0
    cut = INDEX.best("2.没有现成信息")  # cut by a page break: a unique prefix
    assert cut == LabelMatch("unable_need_creation", 0.85) and cut.certain
    glued = INDEX.best("表头 （一）予以公开 续表")  # contained, two characters after it
    assert glued.key == "granted" and glued.score == pytest.approx(0.88)
    assert INDEX.best("完全无关的文字内容") is None
    assert INDEX.best("（一）予以公开", exclude=frozenset({"granted"})) is None
    assert not LabelMatch("x", CERTAIN - 0.01).certain and LabelMatch("x", CERTAIN).certain


def test_a_prefix_shared_by_two_labels_is_no_cut_label():
    index = LabelIndex({"a": ["属于国家秘密信息"], "b": ["属于国家秘密文件"]})
    assert index.best("属于国家秘") is None or index.best("属于国家秘").score < 0.85
    assert LabelIndex({"a": ["属于国家秘密信息"]}).best("属于国家秘").score == 0.85
    assert LabelIndex({"a": ["属于国家秘密信息"]}).best("属于国") is None  # too short to be a cut


def test_the_first_variant_of_an_exact_label_wins():
    index = LabelIndex({"first": ["规章"], "second": ["规章"]})
    assert index.best("规章") == LabelMatch("first", 1.0)


T2_LABELS = {"regulations": ["规章"], "normative_docs": ["规范性文件", "行政规范性文件"],
             "licensing": ["行政许可"]}


def test_suffix_match_for_t2_rows():
    assert suffix_match("信息内容 本年新制作数量 规 章", T2_LABELS) == LabelMatch("regulations", 1.02)
    assert suffix_match("行政规范性文件", T2_LABELS) == LabelMatch("normative_docs", 1.07)
    near = suffix_match("第二十条 行政许司", T2_LABELS)
    assert near.key == "licensing" and 0.75 <= near.score < 1
    assert suffix_match("行政许可 续", T2_LABELS).key == "licensing"  # one character after it
    assert suffix_match("规则", T2_LABELS) is None  # short labels must end the text exactly
    assert suffix_match("无关", T2_LABELS) is None


@pytest.mark.parametrize("raw, kind, value, state", [
    ("", ValueKind.COUNT, None, CellState.BLANK), (" / ", ValueKind.COUNT, None, CellState.DASH),
    ("——", ValueKind.COUNT, None, CellState.DASH), ("暂无", ValueKind.COUNT, None, CellState.NONE),
    ("无", ValueKind.COUNT, None, CellState.NONE), ("见附件", ValueKind.COUNT, None, CellState.TEXT),
    ("１２", ValueKind.COUNT, 12, CellState.VALUE), ("1,488笔", ValueKind.COUNT, 1488, CellState.VALUE),
    ("2.5", ValueKind.COUNT, Decimal("2.5"), CellState.VALUE),
    ("－42", ValueKind.SIGNED, -42, CellState.VALUE), ("+157", ValueKind.SIGNED, 157, CellState.VALUE),
    ("3.5万元", ValueKind.YUAN, Decimal("35000.0"), CellState.VALUE),
    ("3.5", ValueKind.YUAN, Decimal("3.5"), CellState.VALUE),
    (".5元", ValueKind.YUAN, Decimal("0.5"), CellState.VALUE),
    ("35000元", ValueKind.WAN, Decimal("3.5"), CellState.VALUE),
    ("3.5万元", ValueKind.WAN, Decimal("3.5"), CellState.VALUE),
    ("1..2", ValueKind.COUNT, None, CellState.TEXT),
])
def test_parse_cell(raw, kind, value, state):
    cell = parse_cell(raw, kind)
    assert (cell.value, cell.state, cell.raw, cell.certain) == (value, state, raw, True)
    assert type(cell.value) is type(value)


def test_a_header_in_wan_converts_bare_money_only():
    assert parse_cell("3.5", ValueKind.YUAN, header_wan=True).value == Decimal("35000.0")
    assert parse_cell("3.5元", ValueKind.YUAN, header_wan=True).value == Decimal("3.5")
    assert parse_cell("3.5", ValueKind.WAN, header_wan=True).value == Decimal("3.5")
    assert parse_cell("3", ValueKind.COUNT, header_wan=True).value == 3


def test_normalise_and_value_texts():
    assert normalise("－ 42 元") == "-42元" and normalise("１２\u2212３") == "12-3"
    assert [is_value_text(t) for t in ("1488笔", "/", "无", "-", "合计", "", "12a")] == \
        [True, True, True, True, False, False, False]


def test_scores_at_the_edges():
    four = LabelIndex({"licensing": ["行政许可"]})  # a 4-character key counts when contained
    assert four.best("本表 行政许可 续").score == pytest.approx(0.89)
    assert four.best("行政许可 行政许可 续").score == pytest.approx(0.89)  # the last occurrence
    five = LabelIndex({"a": ["甲乙丙丁戊"]})
    assert five.best("甲乙丙子丑") == LabelMatch("a", pytest.approx(0.6))  # ratio exactly 0.6
    seven = LabelIndex({"a": ["甲乙丙丁戊己庚"]})
    assert seven.best("甲乙丙") == LabelMatch("a", pytest.approx(0.6))  # quick bounds at 0.6


def test_every_canonical_label_printed_any_way_is_an_exact_match():
    from archive.report.keys import T3_LABELS
    index = LabelIndex({key: [label] for key, label in T3_LABELS.items()})
    for key, label in T3_LABELS.items():
        printed = label.replace("（", "(").replace("）", ")").replace(".", "、")
        for variant in (label, printed, " ".join(label)):
            assert index.best(variant) == LabelMatch(key, 1.0), variant


def test_a_marker_right_after_the_first_character_starts_a_tail():
    assert marker_tails("续2.重复申请") == ["续2重复申请", "2重复申请"]


def test_of_equal_fuzzy_scores_the_first_canonical_label_wins():
    index = LabelIndex({"first": ["甲乙丙丁"], "second": ["甲乙丙戊"]})
    assert index.best("甲乙丙己") == LabelMatch("first", 0.75)


def _t2_labels(template: Template) -> dict[str, list[str]]:
    return {row.key: list(row.labels) for row in keys.T2_ROWS_BY_TEMPLATE[template]}


def test_suffix_match_scores_at_their_limits():
    labels = _t2_labels(Template.T2019)
    # the longest exact ending wins, scored 1 + its length / 100
    assert suffix_match("行政规范性文件", _t2_labels(Template.T2021)) == \
        LabelMatch("normative_docs", 1.07)
    # fuzzy: the label's length from the end (0.8), one character more in front (14/15) ...
    assert suffix_match("信息内容 规范性文仵", labels) == LabelMatch("normative_docs", 0.8)
    assert suffix_match("信息内容 行政规范性文件续", labels) == \
        LabelMatch("normative_docs", pytest.approx(14 / 15))
    # ... and of two labels scoring alike, the one listed first
    assert suffix_match("行政强罚", labels) == LabelMatch("penalty", 0.75)
