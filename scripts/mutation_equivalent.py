"""The equivalent mutants of ``make mutation`` (``scripts/mutation.py``): survivors that no
test can kill, each with why the mutant behaves like the code.

``EQUIVALENT`` names them one by one (mutmut mutant names: renumbered when their function
changes, so the runner reports names that no longer survive as stale); ``EQUIVALENT_RULES``
explains whole classes of them by their diff. A survivor explained by neither is listed in
``docs/mutation.md`` as **not explained**.
"""

from __future__ import annotations

import re

# Survivors that no test can kill, by mutant name: why the mutant behaves like the code.
_NO_TEXT = ("`text or \"XXXX\"` only differs for None or \"\", and \"XXXX\" holds no report word, "
            "year or disclosure phrase either: the result is the same")
EQUIVALENT: dict[str, str] = {
    "crawler.selection.x__squash__mutmut_10": _NO_TEXT,
    "crawler.selection.x_is_annual_report_title__mutmut_5": _NO_TEXT,
    "crawler.selection.x_year_from_body__mutmut_4": _NO_TEXT,
    "crawler.selection.x_year_from_title__mutmut_5": _NO_TEXT,
    "crawler.platforms.gkmlpt.x__inner_html__mutmut_11": "lxml reads the encoding name "
        "case-insensitively: `tostring(..., encoding=\"UNICODE\")` returns the same str",
    "crawler.platforms.gkmlpt.x_body_attachment_links__mutmut_23": "a missing attachment-id "
        "defaults to \"XXXX\" instead of \"\": `aid` is only read through `aid.isdigit()`, "
        "False for both",
    "crawler.platforms.gkmlpt.x_body_attachment_links__mutmut_34": "a missing class defaults "
        "to \"XXXX\" instead of \"\": neither contains `nfw-cms-attachment`",
    "crawler.platforms.gkmlpt.x_bucket_attachment_url__mutmut_8": "`parts.hostname` is None "
        "only for a base without a host; \"XXXX\" is no more in ATTACHMENTS_AT_HOST_ROOT (host "
        "names) than \"\" is",
    "crawler.platforms.gkmlpt.x_parse_detail_page__mutmut_82": "`meta.get(\"ArticleTitle\", "
        "None)` instead of `\"\"`: both are falsy in `title or … or _first_text(…)`",
    "crawler.platforms.gkmlpt.x_parse_detail_page__mutmut_84": "as _82: a missing ArticleTitle "
        "is falsy either way",
    "crawler.platforms.ucap.x__inner_html__mutmut_12": "lxml reads the encoding name "
        "case-insensitively: `tostring(..., encoding=\"UNICODE\")` returns the same str",
    "crawler.platforms.ucap.x__item_date__mutmut_17": "a span without a class is read as "
        "\"XXXX\" instead of \"\": neither contains `time`, so the order is the same",
    "crawler.platforms.ucap.x__parse_html__mutmut_3": "`page or …` only acts on an empty page: "
        "\"XX<html></html>XX\" parses to a document of text alone, with no li, a, span, div, "
        "label, meta or ucap element, so every parser finds nothing in it, as in the empty one",
    "crawler.platforms.ucap.x__parse_html__mutmut_4": "HTML tag names ignore case: "
        "\"<HTML></HTML>\" is the same empty document",
    "crawler.platforms.ucap.x_attachment_links__mutmut_22": "a generic link text becomes None "
        "instead of \"\": the next statement reads `name or <title attribute or \"\">`, the "
        "same str for both",
    "crawler.platforms.ucap.x_is_report_column_name__mutmut_11": "`text or \"XXXX\"` only "
        "acts on an empty text; \"XXXX\" ends with no report column name, so both are False",
    "crawler.platforms.ucap.x_normal_date__mutmut_4": "`text or \"XXXX\"` only acts on an "
        "empty text; \"XXXX\" holds no date, so both are None",
    "crawler.platforms.ucap.x_timestamp_of__mutmut_9": "as normal_date_4: \"XXXX\" holds no "
        "date, so both are None",
    "crawler.platforms.ucap.x_parse_detail_page__mutmut_35": "the selector's initial value is "
        "never read: a found body sets it, and without a body the function raises",
    "crawler.platforms.ucap.x_parse_detail_page__mutmut_54": "the set of the fj-a blocks' "
        "elements instead of their anchors: it is only asked whether an anchor is in it, and "
        "the anchors in it are the same",
    "crawler.platforms.x_raw_sha256__mutmut_4": "`ensure_ascii=None`: json reads the flag by "
        "its truth, and None is falsy like False",
    "crawler.platforms.x_raw_sha256__mutmut_17": "Python's codec names ignore case: "
        "`encode(\"UTF-8\")` is `encode(\"utf-8\")`",
    **{f"archive.report.labels.xǁLabelIndexǁ__init____mutmut_{n}": "SequenceMatcher's autojunk "
       "heuristic only acts on a second sequence of 200 items or more, and isjunk defaults to "
       "None: label keys are under 60 characters, so every variant matches the same"
       for n in (10, 11, 12, 13)},
    "archive.report.labels.x__score__mutmut_17": "when either quick bound is under ACCEPT the "
        "ratio is too, and `best` drops every score under ACCEPT: returning the ratio instead "
        "of 0 changes no match",
    "archive.report.parse.x_parse_document__mutmut_49": "`standard=None` is falsy like False",
    "archive.report.parse.x_parse_document__mutmut_72": "section 一 absent: W-TEXT-T3 finds no "
        "count in \"XXXX\" as in \"\" and is not_assessable with the same detail",
    "archive.report.parse.x_table_regions__mutmut_10": "this branch runs only for a section "
        "number that was not found, so no section has that number: < and <= select the same",
    "archive.report.parse.x_table_regions__mutmut_12": "as _10: > and >= select the same",
    "archive.report.parse.x_table_regions__mutmut_15": "`lines[None:]` is `lines[0:]`",
    "archive.report.parse.x_table_regions__mutmut_20": "`lines[a:None]` is `lines[a:len(lines)]`",
    "archive.report.sections.x_find_sections__mutmut_16": "NUMERALS holds each numeral once, so "
        "a run of numerals occurs in it at most once: find and rfind give the same index",
    "archive.report.sections.x_report_title__mutmut_42": "the first line has no line above it; "
        "\"XXXX\" instead of \"\" ends with no body word (BODY_END), so the title is returned "
        "alone either way",
    **{f"archive.report.{name}": "`Counter.most_common(k)[0]` is the same element for every k >= 1 "
       "and for None: most_common sorts by count, ties in insertion order (sorted is stable and "
       "heapq.nlargest is documented as sorted(..., reverse=True)[:k])"
       for name in ("sections.x_year_of__mutmut_18", "sections.x_year_of__mutmut_19",
                    "tables.x_t2_template__mutmut_9", "tables.x_t2_template__mutmut_10",
                    "rows.x__sibling_layout__mutmut_30", "rows.x__sibling_layout__mutmut_31")},
    "archive.report.rows.x__sibling_layout__mutmut_23": "counting each layout by 2 instead of 1 "
        "doubles every count: the most common layout (ties in insertion order) is the same",
    "archive.report.rows.x__sibling_layout__mutmut_42": "_sibling_layout only runs for a row with "
        "fewer than n filled fields (align returns first for n or more), so its filled positions "
        "can never be all n distinct positions of a layout: ⊆ and ⊂ agree",
    "archive.report.rows.x__sibling_layout__mutmut_6": "align returns before _sibling_layout when "
        "row.positions is None, and a Line gets positions only with at least one field "
        "(text._tab_line, grid._row_line, text_lines): positions is never empty there",
    "archive.report.rows.x_align__mutmut_6": "`len(filled) == n` returned on the line before, so "
        "> n and >= n select the same rows",
    "archive.report.rows.x_assemble__mutmut_32": "a line reaching this test has at least one field "
        "(label-only lines are buffered above), so `prev + line <= run_hint` already implies "
        "`prev < run_hint`: < and <= agree",
    "archive.report.tables.x__put__mutmut_1": "only read_t2's row values pass header_wan; every "
        "other _put is a blank T2 row (raw \"\"), a T3 or T4 count (COUNT ignores header_wan) "
        "or a T2 short row, which has no identities, so never one placement, and is laid from "
        "its first column: its money column, last in its row, stays blank",
    "archive.report.tables.x_read_t2__mutmut_52": "for an empty own, suffix_match(\"\", …) is "
        "None (an empty key ends with no label and every ratio is 0), so "
        "`match or suffix_match(row.label)` goes on to the label as the code does",
    "archive.report.tables.x_read_t2__mutmut_14": "centres starts as None instead of {}: read_t2 "
        "only hands it to place, which reads it as `centres and …`, falsy either way, until a "
        "header row replaces it",
    "archive.report.labels.x_suffix_match__mutmut_13": "comparing 1 + len/101 with a stored "
        "1 + len'/100: for labels under 100 characters len/101 > len'/100 exactly when "
        "len > len', the code's comparison",
    "archive.report.labels.x_suffix_match__mutmut_14": "equal exact scores mean equal lengths, "
        "so both endings are the same text; no label text is listed twice in a template's T2 "
        "rows (the only labels suffix_match is given), so a tie never occurs",
    "archive.report.placement.x_by_offsets__mutmut_17": "with fewer than two centres the gap is "
        "its default, 0 or 1: both are <= 2, so by_offsets returns None either way",
    "archive.report.placement.x__number__mutmut_3": "parse_cell with kind None reads like COUNT "
        "(_in_unit converts only YUAN and WAN); the values only matter through identities, "
        "given for T3 and T4 rows (all counts), never for T2 short rows",
    "archive.report.placement.x_by_field_count__mutmut_5": "trimmed is only read as "
        "`not trimmed`: None and False are both falsy",
    **{f"archive.report.placement.x_head_column__mutmut_{n}": "the exact lookup is also found "
       "by the prefix search: every label of T2_HEADS and T3_HEADS (the only heads place is "
       "given) has two characters or more, and no label begins or ends another that names "
       "another column (checked over both maps), so a key equal to a label finds its column, "
       "and only it, either way" for n in (4, 5)},
    "archive.report.grid.x__heads__mutmut_4": "a slot with no label cell above it is named \"\" "
        "or \"XXXX\": head_column reads both as no column (\"XXXX\" is no header, and no "
        "header begins or ends with it)",
    "archive.report.placement.x_place__mutmut_20": "`fill=None` instead of False: align "
        "reads fill only in `side is Side.LEFT and fill`, an if condition, and None is falsy "
        "like False",
    "archive.report.tables.x_read_t3__mutmut_37": "the side left out: place's default side "
        "is Side.RIGHT, the side the code passes",
    "archive.report.text.x_display_width__mutmut_7": "east_asian_width returns F, H, W, Na, A or "
        "N; of these only W and F are substrings of \"XXWFXX\", as of \"WF\"",
    "archive.report.parse.x_fill_cells__mutmut_4": "`certain=None` instead of False: every reader "
        "of CellValue.certain tests its truth (`all(...)`, `if certain`), and None is falsy",
    "archive.store.xǁArchiveWriterǁrecord_post__mutmut_38": "`upsert(row, pk=None)`: sqlite-utils "
        "takes the primary key of the existing posts table, (site, post_id), when none is given",
    "archive.store.xǁArchiveWriterǁrecord_post__mutmut_40": "as _38: upsert without pk uses the "
        "table's own primary key",
    "archive.store.xǁArchiveWriterǁrecord_unassigned__mutmut_22": "`upsert(row, pk=None)`: "
        "sqlite-utils takes the primary key of the existing unassigned_reports table, url",
    "archive.store.xǁArchiveWriterǁrecord_unassigned__mutmut_24": "as _22: upsert without pk "
        "uses the table's own primary key",
    "archive.store.xǁArchiveWriterǁrecord_fetch__mutmut_35": "`json.dumps(..., "
        "ensure_ascii=None)`: json reads the flag by its truth, and None is falsy like False",
    "archive.store.xǁArchiveWriterǁrecord_fetch__mutmut_42": "as _35, for the response headers",
}


def _changed_lines(diff: str) -> list[tuple[str, str]]:
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-")]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+")]
    return list(zip(removed, added)) if len(removed) == len(added) else []


_PY_STRING = re.compile(r'"([^"\\]*)"')  # a string literal on one line
_SQL_WORDS = re.compile(r"\b(select|insert|update|where|values|set|from|and|null|coalesce|"
                        r"order|limit|excluded)\b", re.IGNORECASE)
_SQL_NAMES = re.compile(r"[a-z0-9_.]+(\s*(,|=)\s*[a-z0-9_.]+)+[\s,)]*")  # a, b) / x = y.z


def _case_free(line: str, match: re.Match) -> bool:
    """Whether the letter case of this string literal means nothing: SQL text whose quoted
    values ('ok') keep their case (checked by the caller), a list of SQL column names, a dict
    key or a ``pk=`` column (sqlite-utils column names), or a codec name. Never a subscript
    (``post["site"]``) or any other Python value (``"new"``, ``"ok"``): those compare by case."""
    text, before, after = match[1], line[:match.start()], line[match.end():]
    if before.endswith("["):
        return False
    return bool(_SQL_WORDS.search(text) or _SQL_NAMES.fullmatch(text.lower())
                or after.lstrip().startswith(":") or "pk=" in before
                or text.lower() == "utf-8")


def _case_only(diff: str) -> bool:
    """Only the letter case of string literals changed, each where case means nothing."""
    pairs = _changed_lines(diff)
    if not pairs:
        return False
    for a, b in pairs:
        literals_a, literals_b = list(_PY_STRING.finditer(a)), list(_PY_STRING.finditer(b))
        if a == b or a.lower() != b.lower() or _PY_STRING.sub("", a) != _PY_STRING.sub("", b) \
                or len(literals_a) != len(literals_b):
            return False
        for x, y in zip(literals_a, literals_b):
            if x[1] != y[1] and (not _case_free(a, x) or
                                 re.findall(r"'[^']*'", x[1]) != re.findall(r"'[^']*'", y[1])):
                return False
    return True


# Classes of equivalent mutants: (target slug, test of the mutant's diff, why).
EQUIVALENT_RULES = (
    ("store", _case_only, "only the letter case of SQL text (its quoted values unchanged) or of "
     "a column name changed: SQLite keywords and identifiers are case-insensitive, and so are "
     "sqlite-utils' column names and Python's codec names (`UTF-8`); no Python key lookup "
     "(`post[\"site\"]`) changed"),
)
