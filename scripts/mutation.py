"""``make mutation``: mutmut over the core modules, one target at a time; writes docs/mutation.md.

Each target runs in its own scratch copy of the repository (``build/mutation/<slug>/``) with a
``[tool.mutmut]`` section written for it, so that targets do not share mutmut's state and the
worktree stays clean. Only the fast, pure-function tests that cover a target run against its
mutants (no crawl, no converter); each mutant's run takes seconds.

    .venv/bin/python scripts/mutation.py                      # every target, then the report
    .venv/bin/python scripts/mutation.py --only selection     # one target (by slug)
    .venv/bin/python scripts/mutation.py --report-only        # re-render from the last results
    .venv/bin/python scripts/mutation.py --only report --survivors   # after new tests: rerun
                                                              # the last run's survivors only

Survivors that are equivalent mutants (no test can tell them apart from the code) are
explained in ``EQUIVALENT`` below, by mutant name; the report lists every other survivor as
unexplained, and the run exits 1 while any target is under ``TARGET_SCORE`` or has one.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRATCH = REPO / "build" / "mutation"
REPORT = REPO / "docs" / "mutation.md"
TARGET_SCORE = 0.90
MAX_CHILDREN = int(os.environ.get("MUTATION_MAX_CHILDREN", "2"))


@dataclass(frozen=True)
class Target:
    """One mutated module (or package) and the fast tests run against its mutants.

    ``functions`` limits the mutants to those of the named functions or methods (mutmut
    mutant-name globs, e.g. ``archive.store.xǁArchiveWriterǁknown_posts__mutmut_*``).
    """

    slug: str
    path: str  # file or package, relative to the repository
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return self.path.removesuffix(".py").rstrip("/").replace("/", ".")


# The one list of what is mutated: edit here when a module moves.
TARGETS = (
    Target("selection", "crawler/selection.py",
           ("tests/test_platform_parsing.py", "tests/test_selection.py")),
    Target("gkmlpt", "crawler/platforms/gkmlpt.py",
           ("tests/test_platform_parsing.py", "tests/test_gkmlpt_parsing.py",
            "tests/test_gkmlpt_rules.py", "tests/test_href_rules.py")),
    Target("ucap", "crawler/platforms/ucap.py",
           ("tests/test_ucap_parsing.py", "tests/test_platform_examples.py",
            "tests/test_ucap_pages.py", "tests/test_href_rules.py")),
    Target("platforms", "crawler/platforms/__init__.py",
           ("tests/test_href_rules.py", "tests/test_platform_records.py",
            "tests/test_platform_parsing.py",
            "tests/test_gkmlpt_parsing.py", "tests/test_ucap_parsing.py",
            "tests/test_platform_examples.py")),
    Target("report", "archive/report/",
           ("tests/test_report_golden.py", "tests/test_report_checks.py",
            "tests/test_report_drift.py", "tests/test_report_snapshots.py",
            "tests/test_report_units.py", "tests/test_report_rules.py",
            "tests/test_report_sections.py", "tests/test_report_labels.py",
            "tests/test_report_rows.py", "tests/test_report_text.py",
            "tests/test_report_parse.py", "tests/test_report_layouts.py",
            "tests/test_report_placement.py", "tests/test_report_tables.py"),
           # its extraction takes 2 s a run; test_report_snapshots parses the same PDF's snapshot
           pytest_args=("--deselect",
                        "tests/test_report_golden.py::test_corpus_report_matches_golden[huaian-2024.pdf]")),
    Target("store", "archive/store.py", ("tests/test_store.py",),
           functions=tuple(f"xǁArchiveWriterǁ{name}__mutmut_*" for name in (
               "_put_blob", "record_fetch", "record_post", "touch_post", "mark_removed",
               "known_posts", "validators", "_upsert_attachment", "record_attachment_result",
               "mark_interrupted_runs", "list_templates", "remember_list_template",
               "record_unassigned", "known_unassigned"))),
)

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


def explain(target: "Target", name: str, diff: str) -> str | None:
    """Why a survivor is equivalent, or None when it is not explained."""
    if name in EQUIVALENT:
        return EQUIVALENT[name]
    return next((why for slug, test, why in EQUIVALENT_RULES
                 if slug == target.slug and test(diff)), None)


@dataclass
class Result:
    target: Target
    statuses: dict[str, str] = field(default_factory=dict)  # mutant name -> mutmut status
    seconds: float = 0.0
    diffs: dict[str, str] = field(default_factory=dict)  # survivor -> its changed lines

    @property
    def unexplained(self) -> list[str]:
        return [n for n in self.survivors if explain(self.target, n, self.diffs.get(n, "")) is None]

    def count(self, *names: str) -> int:
        return sum(1 for s in self.statuses.values() if s in names)

    @property
    def killed(self) -> int:
        return self.count("killed", "timeout", "segfault", "caught by type check")

    @property
    def survivors(self) -> list[str]:
        return sorted(n for n, s in self.statuses.items() if s in ("survived", "no tests"))

    @property
    def scored(self) -> int:
        return self.killed + len(self.survivors)

    @property
    def raw_score(self) -> float:
        """Killed over every mutant run."""
        return self.killed / self.scored if self.scored else 0.0

    @property
    def score(self) -> float:
        """The mutation score: killed over the mutants that can be killed (run − equivalent)."""
        killable = self.scored - (len(self.survivors) - len(self.unexplained))
        return self.killed / killable if killable else 0.0


def _pyproject(target: Target) -> str:
    base = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    only = f"{target.path}*" if target.path.endswith("/") else target.path
    return base + "\n[tool.mutmut]\n" + "\n".join([
        'source_paths = ["archive", "crawler"]',
        f"only_mutate = [{json.dumps(only)}]",
        f"pytest_add_cli_args_test_selection = {json.dumps(list(target.tests))}",
        "pytest_add_cli_args = " + json.dumps(["-q", "-p", "no:cacheprovider", "-x",
                                               *target.pytest_args]),
    ]) + "\n"


def prepare(target: Target) -> Path:
    """A fresh scratch copy with the target's mutmut config; ``../shared`` as in a worktree."""
    work = SCRATCH / target.slug
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for name in ("archive", "crawler", "tests", "config", "scrapy.cfg"):
        source = REPO / name
        copy = shutil.copytree if source.is_dir() else shutil.copy2
        copy(source, work / name, **({"ignore": shutil.ignore_patterns("__pycache__")}
                                     if source.is_dir() else {}))
    (work / "pyproject.toml").write_text(_pyproject(target), encoding="utf-8")
    # Tests find the corpus at REPO.parent / "shared"; mutmut runs them from work/mutants.
    (work / "shared").symlink_to((REPO.parent / "shared").resolve())
    return work


def refresh_tests(target: Target) -> Path:
    """The last scratch copy with today's tests (and config): for rerunning its survivors."""
    work = SCRATCH / target.slug
    for tests in (work / "tests", work / "mutants" / "tests"):
        shutil.rmtree(tests)
        shutil.copytree(REPO / "tests", tests, ignore=shutil.ignore_patterns("__pycache__"))
    for pyproject in (work / "pyproject.toml", work / "mutants" / "pyproject.toml"):
        pyproject.write_text(_pyproject(target), encoding="utf-8")
    return work


def run_target(target: Target, survivors_only: bool = False) -> Result:
    previous = load_result(target, with_diffs=False) if survivors_only else None
    if previous is not None:
        work = refresh_tests(target)
        names = previous.survivors
    else:
        work = prepare(target)
        names = [f"{target.module}.{f}" for f in target.functions]
    mutmut = [str(Path(sys.executable).with_name("mutmut"))]
    started = time.monotonic()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", OMP_THREAD_LIMIT="1")
    subprocess.run([*mutmut, "run", "--max-children", str(MAX_CHILDREN), *names], cwd=work,
                   env=env, check=False)
    result = Result(target, seconds=time.monotonic() - started
                    + (previous.seconds if previous is not None else 0.0))
    result.statuses = read_statuses(work, mutmut, env)
    if previous is not None:
        result.statuses = merged(previous.statuses, result.statuses)
    result.diffs = {name: diff_of(target, name) for name in result.survivors}
    (work / "result.json").write_text(json.dumps(
        {"statuses": result.statuses, "seconds": result.seconds, "diffs": result.diffs},
        ensure_ascii=False, indent=1))
    return result


def merged(before: dict[str, str], now: dict[str, str]) -> dict[str, str]:
    """Statuses after a rerun of some mutants: mutmut resets the others to "not checked" when
    it collects stats for new tests; their earlier verdicts stand (tests were only added)."""
    return {**before, **{n: s for n, s in now.items() if s != "not checked" or n not in before}}


def read_statuses(work: Path, mutmut: list[str], env: dict) -> dict[str, str]:
    out = subprocess.run([*mutmut, "results", "--all", "true"], cwd=work, env=env,
                         capture_output=True, text=True, check=False).stdout
    statuses = {}
    for line in out.splitlines():
        match = re.match(r"^\s*(\S+__mutmut_\d+):\s*(.+?)\s*$", line)
        if match:
            statuses[match[1]] = match[2]
    return statuses


def refresh_statuses(target: Target) -> None:
    """Statuses as mutmut now has them (after a mutant was rerun by hand), diffs kept."""
    saved = SCRATCH / target.slug / "result.json"
    data = json.loads(saved.read_text(encoding="utf-8"))
    mutmut = [str(Path(sys.executable).with_name("mutmut"))]
    data["statuses"] = merged(data["statuses"],
                              read_statuses(SCRATCH / target.slug, mutmut, dict(os.environ)))
    saved.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def load_result(target: Target, with_diffs: bool = True) -> Result | None:
    saved = SCRATCH / target.slug / "result.json"
    if not saved.exists():
        return None
    data = json.loads(saved.read_text(encoding="utf-8"))
    result = Result(target, data["statuses"], data["seconds"], data.get("diffs", {}))
    missing = [n for n in result.survivors if n not in result.diffs]
    if missing and with_diffs:  # results of an older run of this script
        result.diffs.update({name: diff_of(target, name) for name in missing})
        saved.write_text(json.dumps({**data, "diffs": result.diffs}, ensure_ascii=False,
                                    indent=1))
    return result


def _function_source(lines: list[str], name: str) -> list[str]:
    """The body of ``def <name>(`` in a mutants file, up to the next definition."""
    head = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"def {name}("))
    indent = len(lines[head]) - len(lines[head].lstrip())
    body = [lines[head].replace(name, "")]
    for line in lines[head + 1:]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    return body


def diff_of(target: Target, name: str) -> str:
    """The lines a mutant changed: its function against the original in mutmut's mutants file."""
    module, mutant = name.rsplit(".", 1)
    function = mutant.split("__mutmut_")[0]
    path = SCRATCH / target.slug / "mutants" / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = path.with_suffix("") / "__init__.py"
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        original = _function_source(lines, f"{function}__mutmut_orig")
        changed = _function_source(lines, mutant)
    except StopIteration:
        return ""
    diff = difflib.unified_diff(original, changed, lineterm="", n=0)
    return "\n".join(line for line in diff if line.startswith(("+", "-")) and line[1:].strip()
                     and not line.startswith(("+++", "---")))[:1200]


def render(results: list[Result], not_run: tuple[Target, ...] = ()) -> str:
    """The report; ``not_run`` are targets without a result.json in this build (listed as
    such, not scored)."""
    total_killed = sum(r.killed for r in results)
    total = sum(r.scored for r in results)
    lines = [
        "# Mutation score of the core",
        "",
        "Written by `make mutation` (`scripts/mutation.py`, mutmut 3): each module's mutants run",
        "against the fast tests that cover it; not part of `make test`. A killed mutant made a",
        "test fail (or time out); a survivor passed every test. Every survivor is listed below",
        "with its diff, and is either explained as equivalent or still to be killed.",
        "",
        "| module | tests | mutants | killed | survived | of which equivalent | score | raw | minutes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        scope = r.target.path + (" (dedupe and nightly methods)" if r.target.functions else "")
        tests = ", ".join(f"`{Path(t).name}`" for t in r.target.tests)
        equivalent = len(r.survivors) - len(r.unexplained)
        lines.append(f"| `{scope}` | {tests} | {r.scored} | {r.killed} | {len(r.survivors)} | "
                     f"{equivalent} | {r.score:.1%} | {r.raw_score:.1%} | {r.seconds / 60:.0f} |")
    for target in not_run:
        tests = ", ".join(f"`{Path(t).name}`" for t in target.tests)
        lines.append(f"| `{target.path}` | {tests} | not run in this build (no "
                     f"`build/mutation/{target.slug}/result.json`) | | | | | | |")
    if total:
        equivalent = sum(len(r.survivors) - len(r.unexplained) for r in results)
        lines.append(f"| **all** | | {total} | {total_killed} | {total - total_killed} | "
                     f"{equivalent} | **{total_killed / (total - equivalent):.1%}** | "
                     f"{total_killed / total:.1%} | |")
    unexplained = sum(len(r.unexplained) for r in results)
    lines += ["", f"Target: a score of at least {TARGET_SCORE:.0%} per module. Score = killed / "
              "(mutants run − equivalent survivors); raw = killed / mutants run. "
              f"{unexplained} survivors are neither killed nor explained as equivalent yet: each "
              "is marked **not explained** below.", ""]
    for r in results:
        if not r.survivors:
            continue
        lines += [f"## Survivors in `{r.target.path}`", ""]
        for name in r.survivors:
            diff = r.diffs.get(name, "")
            why = explain(r.target, name, diff)
            lines.append(f"- `{name}` — " + (f"equivalent: {why}" if why else "**not explained**"))
            if diff:
                lines += ["", "  ```diff", *[f"  {d}" for d in diff.splitlines()], "  ```", ""]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def stale_explanations(result: Result) -> list[str]:
    """EQUIVALENT names of the result's module that are not among its survivors."""
    module = result.target.module.removesuffix(".__init__")
    mine = (lambda n: n.startswith(module + ".")) if result.target.path.endswith("/") else \
        (lambda n: n.startswith(module + ".x"))
    return [n for n in EQUIVALENT if mine(n) and n not in result.survivors]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="target slug (repeatable)")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--refresh", action="store_true",
                        help="with --report-only: re-read the statuses from mutmut first")
    parser.add_argument("--survivors", action="store_true",
                        help="rerun only the last run's survivors, with the current tests")
    args = parser.parse_args(argv)
    chosen = [t for t in TARGETS if not args.only or t.slug in args.only]
    for target in chosen:
        if args.report_only and args.refresh:
            refresh_statuses(target)
        if not args.report_only:
            print(f"mutation: {target.slug} ({target.path})", flush=True)
            run_target(target, survivors_only=args.survivors)
    results = [r for r in (load_result(t) for t in TARGETS) if r is not None]
    not_run = tuple(t for t in TARGETS if t not in {r.target for r in results})
    REPORT.write_text(render(results, not_run), encoding="utf-8")
    print(f"wrote {REPORT.relative_to(REPO)}")
    if not_run:
        print("not run in this build (listed as such): " + ", ".join(t.slug for t in not_run),
              file=sys.stderr)
    stale = [n for r in results for n in stale_explanations(r)]
    if stale:  # a renamed or renumbered mutant: its explanation now names another, or none
        print("EQUIVALENT names no survivor of this build (stale): " + ", ".join(stale),
              file=sys.stderr)
    unexplained = [n for r in results for n in r.unexplained]
    low = [r.target.slug for r in results if r.score < TARGET_SCORE]
    return 1 if unexplained or low else 0


if __name__ == "__main__":
    sys.exit(main())
