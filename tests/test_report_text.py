"""Text lines and table grids as rows (``archive.report.text``, ``archive.report.grid``)."""

from __future__ import annotations

from archive.document import Cell, Table
from archive.report.grid import grid_lines, table_kinds, tables_by_kind
from archive.report.rows import Line
from archive.report.text import clean_line, text_line, text_lines


def test_clean_line_drops_page_numbers_and_joins_units():
    assert clean_line("１２ 件\xa0-3-") == "12件  "
    assert clean_line("合计 240,783,174.94 元") == "合计 240,783,174.94元"
    assert clean_line("第 3 页 共 9 页正文") == " 正文"
    assert clean_line("编号-12-3") == "编号-12-3"  # inside a word: no page number


def core(line: Line) -> tuple:
    """What a line says (label, fields, their positions, the row width), without the layout
    bookkeeping (header texts, character offsets, label tokens) the parser adds."""
    return line.label, line.fields, line.positions, line.width


def test_plain_lines_split_off_their_trailing_values():
    assert core(text_line("（一）予以公开 1 0 / 无")) == core(Line("(一)予以公开", ("1", "0", "/", "无")))
    assert core(text_line("2 重复申请 0 1")) == core(Line("2 重复申请", ("0", "1")))
    assert core(text_line("1 2")) == core(Line("", ("1", "2")))
    assert core(text_line("只有标签")) == core(Line("只有标签"))
    assert [core(x) for x in text_lines(["a 1", "b"])] == [core(Line("a", ("1",))), core(Line("b"))]


def test_tab_lines_keep_blank_fields_at_their_positions():
    assert text_line("四、结转下年度继续办理\t\t\t0\t0") == \
        Line("四、结转下年度继续办理", ("", "", "0", "0"), (1, 2, 3, 4), 5)
    assert text_line("\t(三) 不予公开\t1.属于国家秘密\t0\t") == \
        Line("(三) 不予公开 1.属于国家秘密", ("0", ""), (3, 4), 5)
    assert text_line("信息内容\t本年新制作数量") == Line("信息内容 本年新制作数量")
    assert text_line("0\t1") == Line("", ("0", "1"), (0, 1), 2)


def test_grid_rows_carry_spanning_captions_and_start_cells():
    table = Table([Cell("（三）不予公开", 0, 0, rowspan=2), Cell("1.属于国家秘密", 0, 1),
                   Cell("0", 0, 2), Cell("1", 0, 3, colspan=2),
                   Cell("2.其他", 1, 1), Cell("5", 1, 2), Cell("", 1, 3), Cell("x", 1, 4)])
    assert [core(x) for x in grid_lines(table)] == [
        core(Line("（三）不予公开 1.属于国家秘密", ("0", "1"), (2, 3), 5)),
        core(Line("（三）不予公开 2.其他 x", (), None, 0)),
    ]
    assert [core(x) for x in grid_lines(Table([Cell("只有标签", 0, 0)]))] == [core(Line("只有标签"))]
    assert [core(x) for x in grid_lines(Table([Cell("7", 0, 0), Cell("8", 0, 1)]))] == \
        [core(Line("", ("7", "8"), (0, 1), 2))]


T2 = Table([Cell("第二十条第（一）项", 0, 0), Cell("规章", 1, 0), Cell("0", 1, 1)])
T3 = Table([Cell("申请人情况", 0, 0), Cell("自然人", 1, 0), Cell("1.属于国家秘密", 2, 0)])
T4 = Table([Cell("行政复议", 0, 0), Cell("行政诉讼", 0, 1), Cell("0", 1, 0)])
TAIL = Table([Cell("8.属于行政查询事项", 0, 0), Cell("0", 0, 1)])  # one T3 word: a tail
ALONE = Table([Cell("规章", 0, 0), Cell("0", 0, 1)])  # one T2 word after a T3 grid


def test_table_kinds_count_words_of_each_table():
    assert table_kinds(T2) == {"t2": 2, "t3": 0, "t4": 0}
    assert table_kinds(T3)["t3"] == 3 and table_kinds(T4)["t4"] == 2


def test_grids_grouped_by_table_with_split_tails():
    grouped = tables_by_kind([T2, T3, TAIL, ALONE, T4])
    assert set(grouped) == {"t2", "t3", "t4"}
    assert grouped["t2"] == grid_lines(T2)
    assert grouped["t3"] == grid_lines(T3) + grid_lines(TAIL)
    assert grouped["t4"] == grid_lines(T4)
    assert tables_by_kind([TAIL]) == {}


def test_plain_lines_keep_the_display_column_of_each_tokens_centre():
    # 规章 is four columns wide from column 2: centre 4; "1" one wide at 7; "11" two wide at 11
    assert text_line("  规章 1 0 11") == Line("规章", ("1", "0", "11"), offsets=(7, 9, 12),
                                               tokens=(("规章", 4),))
    # a no-break space is one column of blank like a space
    assert text_line("规章\xa01 0 11") == Line("规章", ("1", "0", "11"), offsets=(5, 7, 10),
                                               tokens=(("规章", 2),))
    # a line without values has label tokens but no value offsets
    assert text_line("只有标签") == Line("只有标签", tokens=(("只有标签", 4),))
    # a unit joined to its number changes the tokens: no columns are known, the label stays
    assert text_line("信息 公开 240,783 元") == Line("信息 公开", ("240,783元",))


def test_a_run_of_one_cell_lines_is_one_row_up_to_the_last_line():
    assert text_lines(["\t1", "\t", "\t2"]) == [Line("", ("1", "", "2"), (0, 1, 2), 3)]
    assert text_lines(["a", "\t1", "\t2"]) == [Line("a", tokens=(("a", 0),)),
                                           Line("", ("1", "2"), (0, 1), 2)]


def test_no_break_spaces_between_latin_tokens_keep_every_column():
    assert text_line("XX\xa0XX 1") == Line("XX XX", ("1",), offsets=(6,),
                                          tokens=(("XX", 1), ("XX", 4)))
