"""The challenge solver alone: a headless Debian Chromium (the headless shell, else the full
browser) over its DevTools pipe (crawler/cdp.py) against the simulated portal's JavaScript challenge,
over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from crawler.browser import (CHROMIUM, HEADLESS_SHELL, BrowserCookie, BrowserSolver,
                             ChallengeUnsolved, find_browser)
from tests.portal import Portal
from tests.portal.waf import JSL_CLEARANCE, JSL_UID

HUADU = "https://www.huadu.gov.cn/gzhdslz/gkmlpt/annualreport"
ZJJ = "https://zjj.dg.gov.cn/gkmlpt/index"

pytestmark = pytest.mark.skipif(find_browser() is None, reason="no Debian Chromium installed")


def test_solves_two_rounds_reuses_one_browser_then_closes_it_when_idle():
    async def run(portal):
        solver = BrowserSolver(idle_seconds=1.0)
        first = await solver.solve(HUADU, [], portal.url)
        second = await solver.solve(HUADU, [], portal.url)
        reused = solver.launches
        await asyncio.sleep(2.0)
        closed = not solver.running
        third = await solver.solve(HUADU, list(first.cookies), portal.url)
        await solver.close()
        return first, second, third, reused, closed, solver

    with Portal(faults={"js_challenge"}) as portal:
        first, second, third, reused, closed, solver = asyncio.run(run(portal))
        log = [r for r in portal.requests if r.url == HUADU]
    assert first.challenge_rounds == 2 and second.challenge_rounds == 2
    assert {c.name for c in first.cookies} == {JSL_UID, JSL_CLEARANCE}
    assert first.user_agent.startswith("Mozilla/5.0") and "Headless" not in first.user_agent
    assert reused == 1 and closed and solver.launches == 2 and solver.solves == 3
    # handed the first clearance, the third solve is let through at once
    assert third.challenge_rounds == 0
    assert [r.status for r in log][:3] == [521, 521, 200]
    assert all(r.user_agent == first.user_agent for r in log)


def test_a_challenge_that_never_relents_is_unsolved_within_the_timeout():
    async def run(portal):
        solver = BrowserSolver(timeout=3.0)
        try:
            await solver.solve(ZJJ, [], portal.url)
        finally:
            await solver.close()

    with Portal(faults={"challenge_521"}) as portal, pytest.raises(ChallengeUnsolved, match="still challenged"):
        asyncio.run(run(portal))


def test_cookies_handed_in_reach_the_browser_and_a_missing_browser_is_a_clear_error():
    async def run(portal):
        solver = BrowserSolver()
        clearance = await solver.solve(HUADU, [BrowserCookie("probe", "1", "www.huadu.gov.cn")],
                                       portal.url)
        await solver.close()
        return clearance

    with Portal(faults={"js_challenge"}) as portal:
        clearance = asyncio.run(run(portal))
        assert "probe=1" in [r for r in portal.requests if r.url == HUADU][0].cookie
    assert "probe" in {c.name for c in clearance.cookies}
    missing = BrowserSolver(executable=Path("/nonexistent/chromium"))
    with pytest.raises(ChallengeUnsolved, match="is absent"):
        asyncio.run(missing.solve(HUADU, [], None))


def _browser_binaries() -> set[str]:
    """The executables of this process's descendants (the driver's node, the browser's), by
    every process's parent in /proc (a thread's ``children`` file misses some under load)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        parents[int(stat.parent.name)] = int(text.rsplit(")", 1)[1].split()[1])
    found, pending = set(), [os.getpid()]
    while pending:
        pid = pending.pop()
        for child in [c for c, parent in parents.items() if parent == pid]:
            try:
                found.add(os.readlink(f"/proc/{child}/exe"))
            except OSError:
                pass  # gone meanwhile
            pending.append(child)
    return found


def _solve_and_look(solver: BrowserSolver, portal) -> tuple[set[str], object]:
    async def run():
        clearance = await solver.solve(HUADU, [], portal.url)
        running = _browser_binaries()  # the browser stays up until idle: look at it
        await solver.close()
        return running, clearance

    return asyncio.run(run())


@pytest.mark.skipif(not HEADLESS_SHELL.exists(), reason="chromium-headless-shell is absent")
def test_the_headless_shell_is_the_browser_that_runs_when_installed(monkeypatch):
    monkeypatch.delenv("GKARCHIVE_BROWSER", raising=False)
    assert find_browser() == HEADLESS_SHELL  # before the full browser, whatever else exists
    solver = BrowserSolver(idle_seconds=60)
    with Portal(faults={"js_challenge"}) as portal:
        running, clearance = _solve_and_look(solver, portal)
    assert clearance.challenge_rounds == 2
    assert str(HEADLESS_SHELL) in running
    assert not {p for p in running if p.endswith("/chromium")}  # not the full browser
    assert solver.browser.startswith("chromium-headless-shell 156.")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")
def test_without_the_shell_the_full_chromium_runs_and_solves(monkeypatch, tmp_path):
    monkeypatch.delenv("GKARCHIVE_BROWSER", raising=False)
    assert find_browser((tmp_path / "absent-shell", CHROMIUM)) == CHROMIUM
    monkeypatch.setenv("GKARCHIVE_BROWSER", str(CHROMIUM))  # what the benchmark sets
    assert find_browser() == CHROMIUM
    solver = BrowserSolver(idle_seconds=60)
    with Portal(faults={"js_challenge"}) as portal:
        running, clearance = _solve_and_look(solver, portal)
    assert clearance.challenge_rounds == 2
    assert "/usr/lib/chromium/chromium" in running and str(HEADLESS_SHELL) not in running
    assert solver.browser.startswith("chromium 156.")


def test_no_browser_installed_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("GKARCHIVE_BROWSER", raising=False)
    absent = (tmp_path / "shell", tmp_path / "chromium")
    assert find_browser(absent) is None
    monkeypatch.setattr("crawler.browser.BROWSERS", absent)
    with pytest.raises(ChallengeUnsolved, match="no browser: neither .* is installed"):
        asyncio.run(BrowserSolver().solve(HUADU, [], None))
