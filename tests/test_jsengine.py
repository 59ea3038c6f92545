"""The embedded JavaScript engine (QuickJS) against challenge pages: the simulated portal's
jsl scripts, generated with random values and executed (nothing is read out by pattern), and
the pages it must hand on to the browser — a DOM it lacks, an external script, an error, a
script that never ends."""

from __future__ import annotations

import random
import time

import pytest

from crawler.jsengine import TIME_LIMIT, EngineUnsolved, page_scripts, solve_page
from tests.portal.waf import (CHARS, JSL_CLEARANCE, challenge_html, first_round_script, fnv1a,
                              second_round_script)

URL = "https://www.huadu.gov.cn/gzhdslz/gkmlpt/annualreport?page=2"
UA = "Mozilla/5.0 (X11; Linux x86_64) gkarchive-test"


@pytest.mark.parametrize("seed", range(20))
def test_first_round_clearance_is_computed_by_running_the_script(seed):
    rng = random.Random(seed)
    value = f"{rng.randrange(10**10)}.{rng.randrange(997)}|0|{rng.randrange(7919)}"
    body = challenge_html(first_round_script(value, rng))
    (cookie,) = solve_page(body, URL, UA, {"__jsluid_s": "u"})
    assert (cookie.name, cookie.value) == (JSL_CLEARANCE, value)
    assert cookie.domain == "www.huadu.gov.cn" and cookie.path == "/"
    assert 3500 < cookie.expires - time.time() <= 3600  # max-age=3600


@pytest.mark.parametrize("seed", range(10))
def test_second_round_hash_search_is_run(seed):
    rng = random.Random(seed)
    prefix, suffix = "".join(rng.choices(CHARS, k=6)), "".join(rng.choices(CHARS, k=6))
    answer = prefix + rng.choice(CHARS) + rng.choice(CHARS) + suffix
    body = challenge_html(second_round_script(prefix, suffix, fnv1a(answer)))
    (cookie,) = solve_page(body, URL, UA, {})
    assert cookie.name == JSL_CLEARANCE and fnv1a(cookie.value) == fnv1a(answer)


def test_the_shim_gives_the_request_user_agent_cookies_location_and_runs_timers():
    body = ("<script>var seen=document.cookie;</script><script>setTimeout(function(){"
            "document.cookie='probe='+encodeURIComponent([navigator.userAgent,seen,"
            "location.pathname+location.search,location.hostname].join('|'));"
            "location.reload()},1500)</script>")
    (cookie,) = solve_page(body, URL, UA, {"a": "1", "b": "2"})
    assert cookie.name == "probe" and cookie.expires is None  # a session cookie
    from urllib.parse import unquote
    assert unquote(cookie.value).split("|") == [
        UA, "a=1; b=2", "/gzhdslz/gkmlpt/annualreport?page=2", "www.huadu.gov.cn"]


@pytest.mark.parametrize("body, why", [
    ("<script>var d=document.createElement('div');document.cookie='x='+d.tagName</script>",
     "the script failed"),
    ("<script src='/jsl/challenge.js'></script>", "an external script"),
    ("<html><body>blocked</body></html>", "no script"),
    ("<script>location.reload()</script>", "set no cookie"),
    ("<script>for(;;){}</script>", "the script failed"),
    ("<script>var a=[];for(;;){a.push(new Array(1e6).join('x'))}</script>", "the script failed"),
], ids=["needs-a-dom", "external", "no-script", "no-cookie", "endless", "memory"])
def test_a_page_the_engine_cannot_run_is_unsolved_with_why(body, why):
    started = time.thread_time()  # QuickJS's limit is CPU time (wall time waits on the load)
    with pytest.raises(EngineUnsolved, match=why):
        solve_page(body, URL, UA, {})
    assert time.thread_time() - started < TIME_LIMIT + 1


def test_scripts_are_taken_in_order_and_data_scripts_skipped():
    body = ("<script>var a=1</script><script type='application/json'>{\"x\":1}</script>"
            "<script type='text/javascript'>a+=1</script>")
    assert page_scripts(body) == ["var a=1", "a+=1"]
