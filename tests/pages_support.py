"""Reading the plugin's pages back: the printed tables, marks and links of a report page.

The HTML is parsed with lxml; every value cell carries ``data-key`` (its canonical key), so
a test compares what is shown with what the archive stores, cell by cell.

Example::

    page = ReportPage.parse(response.text)
    page.values["t3.new_received.total"], page.marked("mark-source_anomaly")
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import lxml.html


@dataclass
class ReportPage:
    tree: lxml.html.HtmlElement

    @classmethod
    def parse(cls, html: str) -> "ReportPage":
        return cls(lxml.html.fromstring(html))

    def cells(self, table: str = "") -> list:
        return self.tree.xpath(f"//table[contains(@class, 'gk-{table}')]//td[@data-key]"
                               if table else "//td[@data-key]")

    @property
    def values(self) -> dict[str, str]:
        """key → the number as shown (the first link's text), for every value cell."""
        return {td.get("data-key"): td.xpath("string(./a[1])").strip() for td in self.cells()}

    def marked(self, mark: str) -> set[str]:
        return {td.get("data-key") for td in self.cells() if mark in td.get("class").split()}

    def t3_rows(self) -> list[str]:
        return [tr.get("data-row") for tr in self.tree.xpath("//table[contains(@class, 'gk-t3')]"
                                                             "//tr[@data-row]")]

    def t3_labels(self) -> list[str]:
        """The last label cell of each T3 row: the row's own printed label."""
        return [tr.xpath("./th")[-1].text_content().strip() for tr in self.tree.xpath(
            "//table[contains(@class, 'gk-t3')]//tr[@data-row]")]

    def links(self, contains: str) -> list[str]:
        return [a.get("href") for a in self.tree.xpath("//a[@href]") if contains in a.get("href")]

    def text(self, css_class: str) -> str:
        return " ".join(e.text_content() for e in self.tree.xpath(
            f"//*[contains(concat(' ', @class, ' '), ' {css_class} ')]"))


def shown(value) -> str:
    """How the page prints a stored value: whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def stored_cells(db: Path, site: str, year: int) -> dict[str, tuple]:
    """key → (value, raw, state) of one report, read straight from the archive file."""
    conn = sqlite3.connect(db)
    try:
        return {k: (v, raw, state) for k, v, raw, state in conn.execute(
            "select c.key, c.value, c.raw, c.state from report_cells c join reports r "
            "on r.id = c.report_id where r.site = ? and r.year = ?", [site, year])}
    finally:
        conn.close()


def expected_text(value, raw, state) -> str:
    """What a cell should show: its number, or its printed text when it holds none."""
    return shown(value) if value is not None else (raw or "").strip()


def get(ds, path: str, **params):
    """One request to the in-process datasette."""
    return asyncio.run(ds.client.get(path, params=params or None))


def page(ds, path: str) -> ReportPage:
    """A page that must answer 200, parsed."""
    response = get(ds, path)
    assert response.status_code == 200, response.text[:500]
    return ReportPage.parse(response.text)
