"""The challenge solver alone: headless Debian chromium through Playwright's async API against
the simulated portal's JavaScript challenge, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from crawler.browser import CHROMIUM, BrowserCookie, BrowserSolver, ChallengeUnsolved
from tests.portal import Portal
from tests.portal.waf import JSL_CLEARANCE, JSL_UID

HUADU = "https://www.huadu.gov.cn/gzhdslz/gkmlpt/annualreport"
ZJJ = "https://zjj.dg.gov.cn/gkmlpt/index"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")


def test_solves_two_rounds_reuses_one_browser_then_closes_it_when_idle():
    async def run(portal):
        solver = BrowserSolver(idle_seconds=1.0)
        first = await solver.solve(HUADU, [], portal.url)
        second = await solver.solve(HUADU, [], portal.url)
        reused = solver.launches
        await asyncio.sleep(2.0)
        closed = solver._browser is None
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
