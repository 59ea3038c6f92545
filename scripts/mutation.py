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
explained in ``scripts/mutation_equivalent.py``, by mutant name (``EQUIVALENT``) or by the
shape of their diff (``EQUIVALENT_RULES``); the report lists every other survivor as
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

# run as a script (`make mutation`): scripts/ is on sys.path
from mutation_equivalent import EQUIVALENT, EQUIVALENT_RULES

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
