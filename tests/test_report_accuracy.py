"""Accuracy gate: every reviewed record (corpus goldens and generated fixtures, both
templates) in every layout of the layout generator, read back with 100% of its cells.

One seeded print run per (record × layout) pair, the same on every machine; ``make bench``
writes the same table to ``docs/accuracy.md``.
"""

from __future__ import annotations

from tests.fixtures.layout_accuracy import accuracy_by_layout
from tests.fixtures.layouts import LAYOUTS


def test_every_record_in_every_layout_reads_every_cell() -> None:
    totals, failures = accuracy_by_layout()
    assert sorted(totals) == sorted(LAYOUTS)
    below = {layout: f"{t.percent:.2f}% ({t.right}/{t.total} cells, {t.exact}/{t.pairs} pairs)"
             for layout, t in totals.items() if t.right < t.total or t.exact < t.pairs}
    examples = [(f.case.record.name, f.case.layout, f.case.printed.notes,
                 dict(list(f.wrong.items())[:5]), f.title_ok) for f in failures[:8]]
    assert not below, f"below 100%: {below}; e.g. {examples}"
