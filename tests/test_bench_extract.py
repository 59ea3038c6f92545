"""The accuracy and CLI benchmarks run (tiny sizes), so ``make bench`` cannot rot."""

from __future__ import annotations

from pathlib import Path

from bench import accuracy_bench, cli_bench
from tests.fixtures.layout_accuracy import accuracy_by_layout, layout_cases
from tests.fixtures.layout_records import reviewed_records


def test_cli_bench_times_every_process(tmp_path: Path) -> None:
    times = cli_bench.measure(tmp_path, repeat=1, files=3)
    assert len(list((tmp_path / "batch").iterdir())) == 3
    assert 0 < times.help.wall and 0 < times.extract.wall and 0 < times.pdfplumber.wall
    assert times.one_call > 0 and times.many_calls > 0


def test_accuracy_markdown_has_the_layout_table_and_both_corpora() -> None:
    records = reviewed_records()[:1]
    layouts, failures = accuracy_by_layout(layout_cases(records, ["html-grid", "text-tabs"]))
    text = accuracy_bench.accuracy_markdown(layouts, failures, [("a.txt", 198, 198)],
                                            [("b.pdf", 199, 200)], 1.0)
    assert "| `html-grid` |" in text and "| `text-tabs` |" in text
    assert "| a.txt | 198 | 198 | 100.00 |" in text and "| b.pdf | 199 | 200 | 99.50 |" in text
    assert "| **all** | | 2 | 2 | 396 | 396 | 100.00 |" in text
