"""Rows of a table (``archive.report.rows``): label lines glued to their values, and a row's
cells placed by column when some are printed blank."""

from __future__ import annotations

from archive.report.rows import Line, RawRow, Side, align, assemble


def test_label_only_lines_go_to_the_next_row():
    rows = assemble([Line(" 表头 "), Line("  "), Line("（二）部分公开", ("0", "1")),
                     Line("下一行", ("2",), (3,), 9)])
    assert [(r.label, r.own, r.fields, r.positions, r.width, r.parts) for r in rows] == [
        ("表头 （二）部分公开", "（二）部分公开", ("0", "1"), None, 0, ("表头",)),
        ("下一行", "下一行", ("2",), (3,), 9, ())]
    # a label with nothing after it stays a row without fields (a T2 row printed all blank)
    assert [(r.label, r.fields) for r in assemble([Line("只有标签")])] == [("只有标签", ())]


def test_a_wrapped_run_of_values_continues_under_a_run_hint():
    lines = [Line("一、本年新收", ("1", "2", "3")), Line("", ("4", "5", "6", "7")),
             Line("", ("8",))]
    rows = assemble(lines, run_hint=7)
    assert [(r.label, r.fields) for r in rows] == [
        ("一、本年新收", ("1", "2", "3", "4", "5", "6", "7")), ("", ("8",))]
    assert len(assemble(lines)) == 3  # no hint: each line a row
    # a label before the continuation, columns, or a run already full: a new row
    assert len(assemble([Line("a", ("1",)), Line("b"), Line("", ("2",))], run_hint=7)) == 2
    assert len(assemble([Line("a", ("1",), (1,), 3), Line("", ("2",), (2,), 3)], run_hint=7)) == 2
    assert len(assemble([Line("a", ("1",)), Line("", ("2",), (2,), 3)], run_hint=7)) == 2
    assert len(assemble([Line("a", ("1", "2")), Line("", ("3", "4"))], run_hint=3)) == 2
    assert len(assemble([Line("a", ("1", "2", "3")), Line("", ("4",))], run_hint=3)) == 2


def row(fields, positions=None, width=0, label="行"):
    return RawRow(label, label, tuple(fields), None if positions is None else tuple(positions),
                  width)


def test_a_full_row_is_read_as_is():
    assert align(row(["1", " ", "2", "3"]), [], 3, Side.LEFT) == (("1", "2", "3"), True)


def test_too_many_fields_keep_the_anchored_end_and_are_uncertain():
    assert align(row(["9", "1", "2"]), [], 2, Side.RIGHT) == (("1", "2"), False)
    assert align(row(["1", "2", "9"]), [], 2, Side.LEFT) == (("1", "2"), False)


def test_blanks_in_plain_text_cannot_be_placed():
    assert align(row(["1", "2"]), [], 3, Side.LEFT) == (None, False)


def test_blanks_placed_by_the_columns_of_full_siblings():
    full = row(["1", "2", "3"], [2, 3, 4], width=5)
    other_shape = row(["7", "8", "9"], [1, 2, 3], width=6)
    blank = row(["", "2", "3"], [2, 3, 4], width=5)
    assert align(blank, [full, other_shape], 3, Side.RIGHT) == (("", "2", "3"), True)
    shifted = row(["5", "6"], [3, 4], width=5)
    assert align(shifted, [full, full, other_shape], 3, Side.RIGHT) == (("", "5", "6"), True)


def test_the_layout_of_siblings_that_start_where_the_row_starts_wins():
    under_caption = row(["1", "2", "3"], [3, 4, 5], width=6)
    spanning = row(["1", "2", "3"], [2, 3, 4], width=6)
    blank = row(["", "8", "9"], [2, 3, 4], width=6)
    assert align(blank, [under_caption, under_caption, spanning], 3, Side.RIGHT) == \
        (("", "8", "9"), True)
    starts_elsewhere = row(["", "8", "9"], [1, 4, 5], width=6)
    assert align(starts_elsewhere, [under_caption, under_caption, spanning], 3, Side.RIGHT) == \
        (("", "8", "9"), True)


def test_a_row_with_a_value_outside_the_layout_is_not_placed():
    full = row(["1", "2", "3"], [2, 3, 4], width=5)
    odd = row(["7", "8"], [1, 2], width=5)
    assert align(odd, [full], 3, Side.RIGHT) == (None, False)
    # T2 rows fall back to their own fields in order
    assert align(odd, [full], 3, Side.LEFT) == (("7", "8", ""), True)


def test_siblings_of_another_width_or_without_columns_do_not_count():
    blank = row(["", "2", "3"], [2, 3, 4], width=5)
    assert align(blank, [row(["1", "2", "3"], [2, 3, 4], width=6), row(["1", "2", "3"])], 3,
                 Side.RIGHT) == (None, False)
    assert align(blank, [row(["1", "", "3"], [2, 3, 4], width=5)], 3, Side.RIGHT) == (None, False)


def test_the_most_common_sibling_layout_wins_not_the_first_seen():
    once = row(["1", "2", "3", ""], [1, 2, 3, 4], width=5)  # values in columns 1-3
    twice = row(["", "1", "2", "3"], [1, 2, 3, 4], width=5)  # values in columns 2-4
    blank = row(["", "5", "", "6"], [1, 2, 3, 4], width=5)
    assert align(blank, [once, twice, twice], 3, Side.RIGHT) == (("5", "", "6"), True)


def test_a_continued_run_and_a_trailing_label_are_whole_rows():
    tok = (("表头", 4),)
    both = assemble([Line("一、本年新收", ("1", "2"), offsets=(10, 20)),
                     Line("", ("3",), offsets=(30,)), Line("尾行", tokens=tok), Line("末了")],
                    run_hint=7)
    assert both == [RawRow("一、本年新收", "一、本年新收", ("1", "2", "3"), None, 0,
                           offsets=(10, 20, 30)),
                    RawRow("尾行 末了", "", (), None, 0, tokens=tok, parts=("尾行", "末了"))]
    # offsets known for one line of the run only: the run has none
    for first, second in (((10, 20), None), (None, (30,))):
        run = assemble([Line("a", ("1", "2"), offsets=first), Line("", ("3",), offsets=second)],
                       run_hint=7)
        assert run == [RawRow("a", "a", ("1", "2", "3"), None, 0)]
