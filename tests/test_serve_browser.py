"""End to end: a real ``gkarchive serve`` on loopback, driven by headless Debian chromium.

Opens the index, a canned query, a search for 淮安 and the chart; then walks as a reader
would from the home page to the health page, a body's page and one report, checks the
rendered T3 against the cells stored in the archive file, and saves a screenshot of each
page into the test's tmp dir (pytest keeps the last three: ``/tmp/pytest-of-$USER/``).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.pages_support import expected_text, stored_cells
from tests.serve_support import build_archive

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="/usr/bin/chromium is absent (apt-get install chromium)")


def _serve_command(db: Path, port: int) -> list[str]:
    """``gkarchive serve`` through the CLI when it is wired in, else ``archive.serve``'s own main."""
    from archive.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    via = ["archive.cli", "serve"] if "serve" in commands else ["archive.serve"]
    return [sys.executable, "-m", *via, "--db", str(db), "--port", str(port),
            "--host", "127.0.0.1"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    facts = build_archive(tmp_path / "archive.db")
    port = _free_port()
    proc = subprocess.Popen(_serve_command(facts.path, port), cwd=Path(__file__).parent.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/-/versions.json", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
        assert proc.poll() is None, proc.stdout.read().decode()
    yield base, facts
    proc.terminate()
    proc.wait(timeout=10)


def test_browse_index_query_search_and_chart(server, tmp_path):
    from playwright.sync_api import sync_playwright

    base, facts = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})

        page.goto(base + "/")
        assert "政府信息公开工作年度报告档案" in page.title()
        assert page.locator("a", has_text="检索 / Search").count() >= 1
        page.screenshot(path=str(tmp_path / "index.png"), full_page=True)

        page.goto(base + "/archive")
        assert page.locator("a", has_text="某年全部年报").count() == 1
        page.click("text=表三 收到和处理申请")
        page.fill("input[name=report_id]", str(facts.report_ids["huadu-shiling", 2020]))
        page.click("input[type=submit]")

        assert page.locator("h1").inner_text().startswith("表三")
        body = page.locator("table.rows-and-columns tbody")
        assert body.locator("tr").count() == 23
        assert "一、本年新收政府信息公开申请数量" in body.locator("tr").first.inner_text()
        page.screenshot(path=str(tmp_path / "report_t3.png"), full_page=True)

        page.goto(base + "/-/search")
        page.fill("input[name=q]", "淮安")
        page.click("input[type=submit]")
        assert "双字索引" in page.locator(".search-summary").inner_text()
        assert page.locator("table.rows-and-columns tbody tr").count() == 1
        assert "淮安市" in page.locator("table.rows-and-columns tbody").inner_text()
        page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

        page.goto(base + "/-/chart")
        bars = page.locator("svg rect.bar")
        assert bars.count() == len(facts.report_ids)
        assert bars.first.bounding_box()["height"] > 0
        assert page.locator("svg text", has_text="东莞市凤岗镇人民政府").count() == 1
        page.screenshot(path=str(tmp_path / "chart.png"), full_page=True)
        browser.close()
    assert all((tmp_path / f"{n}.png").stat().st_size > 5000
               for n in ("index", "report_t3", "search", "chart"))


def test_read_a_report_from_the_home_page(server, tmp_path):
    """Home → health → 狮岭镇's body page → its 2020 report, by clicking, as a reader would."""
    from playwright.sync_api import sync_playwright

    base, facts = server
    stored = stored_cells(facts.path, "huadu-shiling", 2020)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(base + "/")
        page.click(".metadata-description >> text=站点健康 / Site health")  # not the menu
        assert page.url == base + "/-/health"
        unhealthy = page.locator("tr[data-site=dg-qingxi]")
        assert "1 http_error" in unhealthy.inner_text()
        page.screenshot(path=str(tmp_path / "health.png"), full_page=True)

        page.click("tr[data-site=huadu-shiling] >> text=广州市花都区狮岭镇人民政府")
        assert page.url == base + "/-/body/huadu-shiling"
        assert page.locator("svg rect.bar").count() >= 3
        page.screenshot(path=str(tmp_path / "body.png"), full_page=True)

        page.click("table.gk-years >> text=2020")
        assert page.url == base + "/-/report/huadu-shiling/2020"
        t3 = page.locator("table.gk-t3 td[data-key]")
        assert t3.count() == 23 * 7
        rendered = dict(zip(t3.evaluate_all("els => els.map(e => e.dataset.key)"),
                            t3.evaluate_all("els => els.map(e => e.querySelector('a').innerText)")))
        assert rendered == {k: expected_text(*v) for k, v in stored.items() if k.startswith("t3.")}
        anomaly = page.locator("td[data-key='t3.total_processed.total']")
        assert "mark-source_anomaly" in anomaly.get_attribute("class")
        colour = anomaly.evaluate("e => getComputedStyle(e).backgroundColor")
        plain = page.locator("td[data-key='t3.new_received.commercial']").evaluate(
            "e => getComputedStyle(e).backgroundColor")
        assert colour != plain  # the mark is visible, not only a class
        for col in ("natural", "total"):  # the label columns span as printed: cells align
            lefts = page.locator(f"table.gk-t3 td[data-key$='.{col}']").evaluate_all(
                "els => els.map(e => Math.round(e.getBoundingClientRect().left))")
            assert len(set(lefts)) == 1, (col, lefts)
        row_labels = page.locator("table.gk-t3 tbody tr").first.inner_text()
        assert row_labels.startswith("一、本年新收政府信息公开申请数量")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        page.locator("table.gk-t3").screenshot(path=str(tmp_path / "report_t3_table.png"))

        anomaly.locator("a").first.click()  # the number links to its provenance
        assert "cell_provenance" in page.url
        assert "t3.total_processed.total" in page.locator("table.rows-and-columns").inner_text()
        browser.close()
    sizes = {n: (tmp_path / f"{n}.png").stat().st_size for n in ("health", "body", "report")}
    assert all(size > 5000 for size in sizes.values()), sizes
    print(f"screenshots in {tmp_path}")
