"""Placing a row's values (``archive.report.placement``): layout columns from full sibling
rows, a value under the nearest column centre, and short rows placed by the identities with
exact arithmetic. Hand-built rows, each case at the limit it tests."""

from __future__ import annotations

import pytest

from archive.report.checks import identities
from archive.report.keys import T4_KEYS
from archive.report.placement import ShortRow, by_offsets, place_short_row, sibling_centres
from archive.report.rows import RawRow
from archive.report.values import CellState, CellValue


def layout_row(fields, offsets=None) -> RawRow:
    return RawRow("行", "行", tuple(fields), None, 0,
                  offsets=None if offsets is None else tuple(offsets))


# --- sibling_centres -----------------------------------------------------------------------

def test_column_centres_are_the_medians_of_two_or_more_full_rows():
    a = layout_row(["1", "2", "3"], [10, 20, 30])
    b = layout_row(["4", "5", "6"], [12, 22, 32])
    c = layout_row(["7", "8", "9"], [14, 24, 37])
    assert sibling_centres([a], 3) is None
    assert sibling_centres([a, b], 3) == [11, 21, 31]
    assert sibling_centres([a, b, c], 3) == [12, 22, 32]


def test_rows_that_are_short_blank_or_without_offsets_give_no_centres():
    a = layout_row(["1", "2", "3"], [10, 20, 30])
    b = layout_row(["4", "5", "6"], [12, 22, 32])
    others = [layout_row(["1", "2", "3"]),  # a grid or tab row: no offsets
              layout_row(["1", "2"], [10, 20]),  # short
              layout_row(["1", "", "3"], [50, 60, 70])]  # a blank field
    assert sibling_centres([a, b, *others], 3) == [11, 21, 31]
    assert sibling_centres(others, 3) is None


# --- by_offsets ----------------------------------------------------------------------------

def test_values_go_under_the_nearest_centre_and_blanks_stay_blank():
    assert by_offsets(layout_row(["1", "3"], [10, 31]), [10, 20, 30]) == ("1", "", "3")
    # nearer one centre than halfway to the next: 4 columns off of a gap of 10
    assert by_offsets(layout_row(["5"], [14]), [10, 20]) == ("5", "")
    assert by_offsets(layout_row(["5"], [16]), [10, 20]) == ("", "5")


@pytest.mark.parametrize("offsets, centres", [
    ([15], [10, 20]),  # halfway between two centres
    ([10, 11], [10, 20, 30]),  # two values under one centre
    ([10], [10]),  # one centre: no gap to judge by
    ([10, 12], [10, 12]),  # centres 2 columns apart are too close to tell
    ([10, 12, 14], [10, 12, 14]),
])
def test_a_value_not_clearly_under_one_centre_places_nothing(offsets, centres):
    assert by_offsets(layout_row([str(i) for i in range(len(offsets))], offsets), centres) is None


def test_centres_three_columns_apart_are_enough():
    assert by_offsets(layout_row(["1", "2"], [10, 13]), [10, 13]) == ("1", "2")


# --- place_short_row -----------------------------------------------------------------------

T4_SUM = [i for i in identities(None) if i[0] == "T4-SUM"]
REVIEW = tuple(k for k in T4_KEYS if k.startswith("t4.review."))
ROW = ("x.a", "x.b", "x.total")
ROW_SUM = ("R", "x", ["x.total"], ["x.a", "x.b"])


def _cells(values: dict) -> dict[str, CellValue]:
    return {k: CellValue(v, "" if v is None else str(v),
                         CellState.BLANK if v is None else CellState.VALUE)
            for k, v in values.items()}


def test_one_blank_placed_where_the_identity_allows_it():
    # 行政复议 1 1 1 1: a part left blank would be negative (1 = 1 + 1 + 1 + x), so it is 总计
    placement = place_short_row(ShortRow("t4", REVIEW, ("1", "1", "1", "1")), {}, T4_SUM)
    assert (placement.fits, placement.texts["t4.review.total"]) == (1, "")


def test_two_blanks_placed_by_two_identities_each_deciding_one():
    rules = [ROW_SUM, ("A", "a", ["y"], ["x.a"]), ("B", "b", ["z"], ["x.b"])]
    placement = place_short_row(ShortRow("x", ROW, ("5",)), _cells({"y": 2, "z": 3}), rules)
    assert placement.fits == 1 and placement.texts == {"x.a": "", "x.b": "", "x.total": "5"}


def test_a_row_without_blanks_is_not_placed():
    placement = place_short_row(ShortRow("x", ROW, ("1", "1", "2")), {}, [ROW_SUM])
    assert placement.fits == 0 and not placement.certain


def test_identities_that_need_a_null_cell_or_leave_the_row_alone_are_not_judged():
    rules = [("N", "n", ["n"], ["x.a"]),  # n is null: skipped, the identities after it still count
             ROW_SUM,
             ("U", "u", ["p"], ["q"])]  # fails, but has no key of the row
    placement = place_short_row(ShortRow("x", ROW, ("2", "1")),
                                _cells({"n": None, "p": 1, "q": 2}), rules)
    assert placement.fits == 1 and placement.texts["x.total"] == ""


def test_short_row_arithmetic_is_exact_for_large_counts():
    # x.a is implied twice: 2^53 by the row, 2^53 + 1 by y; as floats the two would be equal
    big = 2 ** 53
    rules = [ROW_SUM, ("Y", "y", ["y"], ["x.a"])]
    placement = place_short_row(ShortRow("x", ROW, ("1", str(big + 1))), _cells({"y": big + 1}),
                                rules)
    assert placement.fits == 0
    assert place_short_row(ShortRow("x", ROW, ("1", str(big + 1))), _cells({"y": big}),
                           rules).fits == 1


def test_whole_and_fractional_counts_in_one_identity_are_judged_exactly():
    # 1 + 1 + 1 + 1.5 is not a whole count, so no placement of the blank fits
    placement = place_short_row(ShortRow("t4", REVIEW, ("1", "1", "1", "1.5")), {}, T4_SUM)
    assert placement.fits == 0


# --- by_field_count ------------------------------------------------------------------------

def positioned(fields) -> RawRow:
    return RawRow("行", "行", tuple(fields), tuple(range(1, len(fields) + 1)), len(fields) + 1)


@pytest.mark.parametrize("fields, n, placed", [
    (["1", "", "3"], 3, (("1", "", "3"), True)),  # one field per column: as printed, certain
    (["1", ""], 3, (None, False)),  # too few
    (["1", "2", ""], 2, (("1", "2"), False)),  # a trailing blank dropped
    (["", "1", "2"], 2, (("1", "2"), False)),  # a leading blank dropped
    (["", "1", "2", ""], 2, (("1", "2"), False)),  # the end first, then the start
    (["", "", "1", "2"], 2, (("1", "2"), False)),
    (["1", "", " ", "\t"], 2, (("1", ""), False)),  # whitespace is blank
    (["", "1", "", ""], 2, (("1", ""), False)),
    (["", "", "1", ""], 2, (("", "1"), False)),
    (["", "1", ""], 2, (("", "1"), False)),  # once n are left, a leading blank stays
    (["1", "2", "3"], 2, (None, False)),  # no blank at either end to drop
    (["1", "", "3"], 2, (None, False)),
])
def test_fields_per_column_after_blank_ends_are_dropped(fields, n, placed):
    from archive.report.placement import by_field_count
    assert by_field_count(positioned(fields), n) == placed


def test_plain_text_has_no_fields_per_column():
    from archive.report.placement import by_field_count
    assert by_field_count(layout_row(["1", "2"], [3, 9]), 2) == (None, False)


# --- head_column ---------------------------------------------------------------------------

def test_a_printed_header_names_its_column_exactly_cut_or_with_a_caption_in_front():
    from archive.report.keys import T3_COLS
    from archive.report.placement import T3_HEADS, head_column
    cols = list(T3_COLS)
    assert head_column("自然人", T3_HEADS, cols) == "natural"
    assert head_column("自然", T3_HEADS, cols) == "natural"  # cut: the one label it begins
    assert head_column("申请人情况 自然人", T3_HEADS, cols) == "natural"  # ends with a label
    assert head_column("自", T3_HEADS, cols) is None  # one character names nothing
    assert head_column("", T3_HEADS, cols) is None
    assert head_column("法律服务机构", T3_HEADS, ["natural", "total"]) is None  # not a column here


# --- the detail of a short row's check -----------------------------------------------------

def test_short_row_details_name_the_placements():
    three = ("x.a", "x.b", "x.c")
    several = place_short_row(ShortRow("x", three, ("1",)), {}, [])
    assert several.detail == ("1 values for 3 columns; 3 placements satisfy the identities "
                              "(a+b, a+c, b+c); cells uncertain")
    assert several.texts == {"x.a": "1", "x.b": "", "x.c": ""}  # laid from the first column
    five = tuple(f"x.{c}" for c in "abcde")
    many = place_short_row(ShortRow("x", five, ("1", "2", "3")), {}, [])
    assert many.detail.endswith("(a+b, a+c, a+d, a+e, b+c, b+d, b+e); cells uncertain")
    assert many.fits == 10
    none = place_short_row(ShortRow("x", ROW, ("2", "1")), _cells({"y": 9}),
                           [ROW_SUM, ("L", "l", ["x.total"], ["y"])])
    assert none.detail == ("2 values for 3 columns; no placement satisfies the identities; "
                           "cells uncertain")


def test_an_identity_with_the_row_on_its_left_side_places_it_too():
    placement = place_short_row(ShortRow("x", ("x.a", "x.b"), ("3",)), _cells({"y": 5}),
                                [("L", "l", ["x.a"], ["y"])])
    assert (placement.fits, placement.texts) == (1, {"x.a": "", "x.b": "3"})


# --- place: the order of the ways a row is placed -----------------------------------------

def test_place_by_heads_needs_every_column_named():
    from archive.report.placement import T3_HEADS, place
    row = RawRow("行", "行", ("1", "2", ""), (1, 2, 3), 4, heads=("自然人", "商业企业", "某某"))
    # the third column is not named: the heads do not place the row, its fields per column do
    assert place(row, [], ["natural", "commercial", "total"], T3_HEADS) == (("1", "2", ""), True)


def test_place_by_offsets_takes_the_centres_of_full_siblings():
    from archive.report.placement import place
    siblings = [layout_row(["4", "5", "6"], [10, 20, 30]),
                layout_row(["7", "8", "9"], [10, 20, 30])]
    row = layout_row(["1", "3"], [10, 31])
    assert place(row, siblings, ["a", "b", "c"], {}) == (("1", "", "3"), True)
    assert place(row, [], ["a", "b", "c"], {}) == (None, False)


def test_place_right_anchored_keeps_the_last_fields_of_a_long_row():
    from archive.report.placement import place
    from archive.report.rows import Side
    row = RawRow("行", "行", ("1", "2", "3"), None, 0)
    assert place(row, [], ["a", "b"], {}, side=Side.RIGHT) == (("2", "3"), False)
    assert place(row, [], ["a", "b"], {}, side=Side.LEFT) == (("1", "2"), False)


def test_place_left_anchored_grid_row_without_layout_is_read_from_its_first_field():
    from archive.report.placement import place
    from archive.report.rows import Side
    short = positioned(["1"])
    assert place(short, [], ["a", "b", "c"], {}, side=Side.LEFT) == (("1", "", ""), True)
    assert place(short, [], ["a", "b", "c"], {}, side=Side.RIGHT) == (None, False)
    assert place(layout_row(["1"]), [], ["a", "b", "c"], {}, side=Side.LEFT) == (None, False)
    # blank ends are dropped before the row is read from its first field
    ends = positioned(["", "", "1", ""])
    assert place(ends, [], ["a", "b"], {}, side=Side.LEFT) == (("", "1"), False)
