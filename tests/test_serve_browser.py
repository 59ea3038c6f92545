"""End to end: a real ``gkarchive serve`` on loopback, driven by headless Debian chromium.

Opens the index, a canned query, a search for 年报 and the chart, checks what they show and
saves a screenshot of each into the test's tmp dir.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

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
        page.fill("input[name=q]", "年报")
        page.click("input[type=submit]")
        assert "双字索引" in page.locator(".search-summary").inner_text()
        assert page.locator("table.rows-and-columns tbody tr").count() == 1
        assert "凤岗镇2019年政府信息公开年报" in page.content()
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
