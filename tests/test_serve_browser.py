"""End to end: a real ``gkarchive serve`` on loopback, driven by headless Debian chromium
over its DevTools pipe (``tests/cdp_browser.py``).

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

from tests.cdp_browser import Browser
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
    base, facts = server
    with Browser(CHROMIUM, ARGS, viewport=(1200, 900)) as page:
        page.goto(base + "/")
        assert "政府信息公开工作年度报告档案" in page.title
        assert page.count("a", has_text="检索 / Search") >= 1
        page.screenshot(tmp_path / "index.png")

        page.goto(base + "/archive")
        assert page.count("a", has_text="某年全部年报") == 1
        page.click("text=表三 收到和处理申请")
        page.fill("input[name=report_id]", str(facts.report_ids["huadu-shiling", 2020]))
        page.click("input[type=submit]")

        assert page.inner_text("h1").startswith("表三")
        rows = "table.rows-and-columns tbody tr"
        assert page.count(rows) == 23
        assert "一、本年新收政府信息公开申请数量" in page.inner_text(rows)
        page.screenshot(tmp_path / "report_t3.png")

        page.goto(base + "/-/search")
        page.fill("input[name=q]", "淮安")
        page.click("input[type=submit]")
        assert "双字索引" in page.inner_text(".search-summary")
        assert page.count(rows) == 1
        assert "淮安市" in page.inner_text("table.rows-and-columns tbody")
        page.screenshot(tmp_path / "search.png")

        page.goto(base + "/-/chart")
        assert page.count("svg rect.bar") == len(facts.report_ids)
        assert page.on_elements("svg rect.bar", "els => els[0].getBoundingClientRect().height") > 0
        assert page.count("svg text", has_text="东莞市凤岗镇人民政府") == 1
        page.screenshot(tmp_path / "chart.png")
    assert all((tmp_path / f"{n}.png").stat().st_size > 5000
               for n in ("index", "report_t3", "search", "chart"))


def test_read_a_report_from_the_home_page(server, tmp_path):
    """Home → health → 狮岭镇's body page → its 2020 report, by clicking, as a reader would."""
    base, facts = server
    stored = stored_cells(facts.path, "huadu-shiling", 2020)
    with Browser(CHROMIUM, ARGS, viewport=(1300, 900)) as page:
        page.goto(base + "/")
        page.click(".metadata-description >> text=站点健康 / Site health")  # not the menu
        assert page.url == base + "/-/health"
        assert "1 http_error" in page.inner_text("tr[data-site=dg-qingxi]")
        page.screenshot(tmp_path / "health.png")

        page.click("tr[data-site=huadu-shiling] >> text=广州市花都区狮岭镇人民政府")
        assert page.url == base + "/-/body/huadu-shiling"
        assert page.count("svg rect.bar") >= 3
        page.screenshot(tmp_path / "body.png")

        page.click("table.gk-years >> text=2020")
        assert page.url == base + "/-/report/huadu-shiling/2020"
        t3 = "table.gk-t3 td[data-key]"
        assert page.count(t3) == 23 * 7
        rendered = dict(page.on_elements(
            t3, "els => els.map(e => [e.dataset.key, e.querySelector('a').innerText])"))
        assert rendered == {k: expected_text(*v) for k, v in stored.items() if k.startswith("t3.")}
        anomaly = "td[data-key='t3.total_processed.total']"
        assert "mark-source_anomaly" in page.on_elements(anomaly, "els => els[0].className")
        background = "els => getComputedStyle(els[0]).backgroundColor"
        colour = page.on_elements(anomaly, background)
        plain = page.on_elements("td[data-key='t3.new_received.commercial']", background)
        assert colour != plain  # the mark is visible, not only a class
        for col in ("natural", "total"):  # the label columns span as printed: cells align
            lefts = page.on_elements(f"table.gk-t3 td[data-key$='.{col}']",
                                     "els => els.map(e => Math.round(e.getBoundingClientRect().left))")
            assert len(set(lefts)) == 1, (col, lefts)
        assert page.inner_text("table.gk-t3 tbody tr").startswith("一、本年新收政府信息公开申请数量")
        page.screenshot(tmp_path / "report.png")
        page.screenshot(tmp_path / "report_t3_table.png", selector="table.gk-t3")

        page.click(f"{anomaly} >> a")  # the number links to its provenance
        assert "cell_provenance" in page.url
        assert "t3.total_processed.total" in page.inner_text("table.rows-and-columns")
    sizes = {n: (tmp_path / f"{n}.png").stat().st_size for n in ("health", "body", "report")}
    assert all(size > 5000 for size in sizes.values()), sizes
    print(f"screenshots in {tmp_path}")
