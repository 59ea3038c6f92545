"""Run every benchmark and write ``docs/benchmarks.md`` (``make bench``); ``--only`` runs some
and puts their sections and targets in place of theirs in the file, keeping the rest.

Example::

    .venv/bin/python -m bench                          # everything, writes docs/benchmarks.md
    .venv/bin/python -m bench --only archive --reports 2000 --out /tmp/b.md
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import machine_lines
from bench.report import SECTIONS, render, splice

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(SECTIONS),
                        help="run only these sections (repeatable)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="scratch folder for databases (default: a temporary one)")
    parser.add_argument("--reports", type=int, default=50_000, help="synthetic archive size")
    parser.add_argument("--news", type=int, default=3000, help="extra news posts per site")
    parser.add_argument("--crawl-reports", type=int, default=60,
                        help="extra report posts per site")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timed item")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gkbench-", dir=args.workdir) as scratch:
        sections = []
        for name in args.only or list(SECTIONS):
            print(f"bench: {name} …", file=sys.stderr, flush=True)
            section_start = time.perf_counter()
            sections.append(SECTIONS[name](Path(scratch), args))
            print(f"bench: {name} done in {time.perf_counter() - section_start:.0f} s",
                  file=sys.stderr, flush=True)
    if args.only and args.out.exists():  # the other sections' figures stay
        text = splice(args.out.read_text(), sections)
    else:
        text = render(sections, machine_lines(), time.perf_counter() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
