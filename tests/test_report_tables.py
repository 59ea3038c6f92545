"""Reading each table (``archive.report.tables``) at its limits: how T2's template is told,
which T3 rows count, which T4 lines give values, how a grid and the text are merged; through
``parse_document`` on edited fixture reports, or ``read_t3`` on hand-built rows."""

from __future__ import annotations

from archive.document import Cell, Document, ExtractStatus, Table
from archive.report import Template, parse_document
from archive.report.rows import RawRow
from archive.report.tables import read_t3
from tests.test_report_drift import T3_2019_ROWS, _report
from tests.test_report_support import txt_document


def _t2_template(t2: str) -> Template | None:
    return parse_document(txt_document(_report(t2=t2))).templates.get("t2")


# --- T2: the template by its headers, else by the width of the 行政许可 row ------------------

def test_without_headers_the_licensing_rows_width_tells_the_t2_template():
    rows = "规章 1 0 11\n规范性文件 8 26 66\n"
    assert _t2_template(rows + "行政许可 447228") is Template.T2021
    assert _t2_template(rows + "行政许可\n447228") is Template.T2021  # its value on the next line
    assert _t2_template(rows + "行政许可 3 1 5") is Template.T2019


def test_headers_outvote_the_licensing_rows_width():
    header = "信息内容 本年新制作数量 本年新公开数量 对外公开总数量\n"
    assert _t2_template(header + "规章 1 0 11\n行政许可 447228") is Template.T2019


def test_a_header_wrapped_over_two_lines_still_votes():
    assert _t2_template("信息内容 上一年项目\n数量\n规章 1 0 11\n行政许可 5") is Template.T2019


def test_a_report_without_headings_reads_its_tables_from_the_first_line():
    text = "规章 1 0 11\n行政规范性文件 8 26 66\n行政许可 447228"
    record = parse_document(txt_document(text))
    assert record.templates["t2"] is Template.T2021
    assert record.cells["t2.regulations.issued"].value == 1


# --- T3: which rows count -----------------------------------------------------------------

def _row(label: str, fields: tuple[str, ...], positions=None) -> RawRow:
    return RawRow(label, label, fields, positions, 0 if positions is None else len(fields) + 1)


def test_a_blank_t3_row_counts_from_a_label_score_of_0_9():
    # 5.属于三类内部事务信息 cut by two characters: 18 / 20 = 0.9, the least a blank row needs
    read = read_t3([_row("于三类内部事务信息", ("",) * 7, tuple(range(1, 8)))])
    assert read.cells["t3.deny_internal_affairs.total"].value is None
    assert len([k for k in read.cells if k.startswith("t3.deny_internal_affairs.")]) == 7


def test_a_row_read_twice_keeps_its_first_values():
    read = read_t3([_row("（一）予以公开", ("1", "0", "0", "0", "0", "0", "1")),
                    _row("（一）予以公开", ("2", "0", "0", "0", "0", "0", "2"))])
    assert read.cells["t3.granted.total"].value == 1


def test_rows_common_to_both_templates_show_an_unknown_template():
    read = read_t3([_row("（一）予以公开", ("1", "0", "0", "0", "0", "0", "1"))])
    assert read.template is Template.UNKNOWN
    assert read_t3([]).template is None


# --- T4: values spread over short-labelled lines --------------------------------------------

def test_t4_values_spread_over_lines_whose_labels_are_at_most_12_characters():
    def t4(label: str):
        text = _report(t4=f"{label} 1 0 0 0 1\n未经复议直接起诉 0 0 0 0 0\n复议后起诉 0 0 0 0 0")
        return parse_document(txt_document(text)).cells.get("t4.review.total")
    assert t4("行政复议案件情况统计汇总").value == 1  # 12 characters
    assert t4("行政复议案件情况统计汇总表") is None  # 13: prose, so 10 values, no T4


# --- a grid completed from the text ---------------------------------------------------------

def test_a_grid_missing_a_row_is_completed_from_the_text():
    cells, row = [], 0
    for line in T3_2019_ROWS.splitlines():
        values = line.split()[-7:]
        if len(values) < 7 or "重复申请" in line or not values[0].isdigit():
            continue
        cells.append(Cell(line.rsplit(" ", 7)[0], row, 0))
        cells += [Cell(v, row, 1 + i) for i, v in enumerate(values)]
        row += 1
    doc = Document(status=ExtractStatus.OK, format="docx", text=_report(), tables=[Table(cells)])
    record = parse_document(doc)
    assert record.templates["t3"] is Template.T2019
    assert record.cells["t3.reject_repeat.total"].value == 0  # from the text
    assert record.cells["t3.other.commercial"].value == 1  # from the grid
    assert not [k for k in record.missing if k.startswith("t3.")]


def test_a_word_cut_over_two_grid_cells_still_tells_the_table():
    from archive.report.grid import table_kinds
    assert table_kinds(Table([Cell("行政复", 0, 0), Cell("议", 0, 1)]))["t4"] == 1


def test_t3_header_lines_are_nothing_but_header_words():
    from archive.report.tables import is_t3_header
    assert is_t3_header("自然人 法人或其他组织 总计")
    assert not is_t3_header("（七）总计 1 0 0")
    assert not is_t3_header("") and not is_t3_header("、")


# --- T4 in layout text: values under the fifteen outcome headers --------------------------

OUTCOMES = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3
CENTRES = [12 + 10 * i for i in range(15)]


def _at(items: list[tuple[str, int]]) -> str:
    """Tokens laid out so that each one's display centre is at its column."""
    from archive.report.text import display_width
    line = ""
    for text, centre in items:
        start = centre - display_width(text) // 2
        line += " " * max(1, start - display_width(line)) + text
    return line


def _t4_layout(*data_lines: list[tuple[str, int]], shift: int = 0) -> str:
    header = _at(list(zip(OUTCOMES, CENTRES)))
    lines = [_at([("行政复议", 32), ("行政诉讼", 112)]), header]
    if shift:
        lines.append(_at([(w, c + shift) for w, c in zip(OUTCOMES, CENTRES)]))
    return "\n".join(lines + [_at(d) for d in data_lines])


VALUES = ["1", "0", "", "0", "1", "2", "0", "0", "", "2", "0", "0", "0", "0", "0"]


def _t4_cells(text: str):
    record = parse_document(txt_document(_report(t4=text)))
    return [record.cells.get(k) for k in __import__("archive.report.keys", fromlist=["T4_KEYS"]).T4_KEYS]


def test_t4_layout_values_go_under_their_outcome_headers():
    data = [(v, c) for v, c in zip(VALUES, CENTRES) if v]
    for shift in (0, 1, 2):  # a header printed twice, its words within two columns, is one
        cells = _t4_cells(_t4_layout(data, shift=shift))
        assert [c.raw for c in cells] == VALUES, shift
        assert all(c.certain for c in cells)


def test_t4_values_on_two_layout_lines_are_read_in_order_but_uncertain():
    full = [str(i % 3) for i in range(15)]
    data = list(zip(full, CENTRES))
    cells = _t4_cells(_t4_layout(data[:7], data[7:]))
    assert [c.raw for c in cells] == full and not any(c.certain for c in cells)


def test_a_header_printed_again_three_columns_off_is_no_longer_one_header():
    data = [(v, c) for v, c in zip(VALUES, CENTRES) if v]
    cells = _t4_cells(_t4_layout(data, shift=3))  # 30 header columns: placed by T4-SUM instead
    assert not all(c.certain for c in cells if c is not None)


def test_a_line_without_layout_columns_is_not_the_t4_data_row():
    data = [(v, c) for v, c in zip(VALUES, CENTRES) if v]
    cells = _t4_cells(_t4_layout(data) + "\n共 2 件")  # the split unit leaves no columns
    assert [c.raw for c in cells] == VALUES and all(c.certain for c in cells)


def test_a_t2_rows_own_label_is_matched_before_the_lines_glued_in_front_of_it():
    from archive.report.tables import read_t2
    # 政许可 alone is close to 行政许可 (6/7, certain); glued to 第二十条年 it is not (0.75)
    read = read_t2([RawRow("第二十条年 政许可", "政许可", ("5",), None, 0)], "信息内容 本年处理决定数量")
    cell = read.cells["t2.licensing.decisions"]
    assert cell.value == 5 and cell.certain


# --- T2 rows printed with every cell empty, and T2 in layout text ---------------------------

def _t2_cells(t2: str, year: str = "2021"):
    return parse_document(txt_document(_report(t2=t2, year=year))).cells


def test_a_t2_row_printed_blank_shows_its_label_alone_and_reads_blank():
    for t2 in ("规章 1 0 11\n行政规范性文件\n行政许可 447228",  # before another row's label
               "行政规范性文件\n规章\n1 0 11\n行政许可 447228"):  # before a row whose values wrapped
        cells = _t2_cells(t2)
        blank = [cells[f"t2.normative_docs.{c}"] for c in ("issued", "repealed", "in_force")]
        assert [(c.value, c.state.value, c.certain) for c in blank] == [(None, "blank", True)] * 3
        assert [cells[f"t2.regulations.{c}"].value for c in ("issued", "repealed", "in_force")] == \
            [1, 0, 11]


def test_t2_values_in_layout_text_go_under_their_column_headers():
    header = _at([("信息内容", 6), ("本年新制作数量", 30), ("本年新公开数量", 50), ("对外公开总数量", 70)])
    row = _at([("规章", 6), ("1", 30), ("3", 70)])
    cells = _t2_cells(f"{header}\n{row}", year="2020")
    assert [cells[f"t2.regulations.{c}"].raw for c in ("new_made", "new_published",
                                                         "total_published")] == ["1", "", "3"]
    assert cells["t2.regulations.total_published"].certain


def test_a_short_row_placed_for_sure_lets_the_identities_place_the_next():
    rows = [_row("一、本年新收政府信息公开申请数量", ("2", "3", "4", "5", "6", "7", "27")),
            _row("二、上年结转政府信息公开申请数量", ("0",) * 7),
            # the total processed, its first cell blank: its own sum fits six ways, T3-BAL one
            _row("(七)总计", ("2", "3", "4", "5", "6", "21")),
            # carried forward, its total blank: its own sum fits that way alone
            _row("四、结转下年度继续办理", ("1",) * 6)]
    read = read_t3(rows)
    checks = {c.scope: c for c in read.checks if c.rule == "row_short"}
    assert checks["carried_forward"].detail.endswith("the identities place the blank at total")
    assert checks["total_processed"].detail.endswith("the identities place the blank at natural")
    assert read.cells["t3.total_processed.commercial"].value == 2
    assert read.cells["t3.total_processed.commercial"].certain
    assert read.cells["t3.carried_forward.natural"].value == 1


def test_a_short_row_no_identity_decides_is_laid_out_uncertain_beside_a_placed_one():
    rows = [_row("四、结转下年度继续办理", ("1",) * 6), _row("（一）予以公开", ("1", "1"))]
    read = read_t3(rows)
    assert read.cells["t3.carried_forward.natural"].certain
    granted = read.cells["t3.granted.natural"]
    assert (granted.value, granted.certain) == (1, False)


def test_a_long_t2_row_keeps_its_first_values_uncertain_and_a_short_one_is_checked():
    cells = _t2_cells("规章 1 0 11 5\n行政许可 447228")
    regulations = [cells[f"t2.regulations.{c}"] for c in ("issued", "repealed", "in_force")]
    assert [(c.value, c.certain) for c in regulations] == [(1, False), (0, False), (11, False)]
    # a short row is laid out uncertain, checked under its own key, and the rows after it read
    record = parse_document(txt_document(_report(t2="规章 1 0\n行政规范性文件 8 26 66\n行政许可 5")))
    short = [c for c in record.checks if c.rule == "row_short"]
    assert [c.scope for c in short] == ["regulations"]
    assert record.cells["t2.normative_docs.in_force"].value == 66


def test_a_long_t3_row_keeps_its_last_values_uncertain():
    read = read_t3([_row("（一）予以公开", ("9", "1", "0", "0", "0", "0", "0", "1"))])
    cells = [read.cells[f"t3.granted.{c}"] for c in ("natural", "total")]
    assert [(c.value, c.certain) for c in cells] == [(1, False), (1, False)]


def test_a_2021_t3_short_row_is_placed_by_the_2021_identities():
    from archive.report.keys import T3_LABELS, T3_RESULT_ROWS
    results = T3_RESULT_ROWS[Template.T2021]
    rows = [_row(T3_LABELS[key], ("1", "2", "3", "4", "5", "6", "21") if key == "granted"
                 else ("0",) * 7) for key in results]
    # the total processed with its first cell blank: T3-RES of the 2021 rows alone places it
    rows.append(_row(T3_LABELS["total_processed"], ("2", "3", "4", "5", "6", "21")))
    read = read_t3(rows)
    assert read.template is Template.T2021
    natural = read.cells["t3.total_processed.natural"]
    assert (natural.raw, natural.certain) == ("", True)
    assert read.cells["t3.total_processed.commercial"].value == 2


def test_a_t2_tab_row_with_too_few_cells_is_read_from_its_first_column():
    cells = _t2_cells("规章\t1\n行政许可 5")
    regulations = [cells[f"t2.regulations.{c}"] for c in ("issued", "repealed", "in_force")]
    assert [(c.raw, c.certain) for c in regulations] == [("1", True), ("", True), ("", True)]


def test_t4_on_one_line_is_certain_and_over_two_lines_uncertain_without_a_short_row():
    one = parse_document(txt_document(_report(t4="0 " * 15)))
    assert all(one.cells[k].certain for k in one.cells if k.startswith("t4."))
    two = parse_document(txt_document(_report(t4="0 0 0 0 0 0 0 0\n0 0 0 0 0 0 0")))
    t4 = [two.cells[k] for k in two.cells if k.startswith("t4.")]
    assert len(t4) == 15 and not any(c.certain for c in t4)
    assert not [c for c in two.checks if c.rule == "row_short"]


def test_a_full_t3_row_does_not_continue_on_the_next_value_line():
    first = "一、本年新收政府信息公开申请数量 1 1 0 0 0 0 2"
    record = parse_document(txt_document(_report(t3=T3_2019_ROWS.replace(first, first + "\n5"))))
    assert record.cells["t3.new_received.total"].value == 2


def _grid_t3() -> Table:
    cells, row = [], 0
    for line in T3_2019_ROWS.splitlines():
        values = line.split()[-7:]
        if len(values) < 7 or not values[0].isdigit():
            continue
        cells.append(Cell(line.rsplit(" ", 7)[0], row, 0))
        cells += [Cell(v, row, 1 + i) for i, v in enumerate(values)]
        row += 1
    return Table(cells)


def test_a_grid_read_alone_keeps_its_template_and_its_checks():
    # T3 only in a grid: the text has no T3 rows, the grid's template stands
    doc = Document(status=ExtractStatus.OK, format="docx", text=_report(t3=""),
                   tables=[_grid_t3()])
    assert parse_document(doc).templates["t3"] is Template.T2019
    # a T4 grid row one value short: its row_short check stays beside the text's reading
    values = ["1", "0", "0", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"]
    t4 = Table([Cell("行政复议", 0, 0), Cell("行政诉讼", 0, 1)]
               + [Cell(v, 1, i) for i, v in enumerate(values)])
    doc = Document(status=ExtractStatus.OK, format="docx", text=_report(t4=""), tables=[t4])
    record = parse_document(doc)
    assert [c.scope for c in record.checks if c.rule == "row_short"] == ["t4"]
