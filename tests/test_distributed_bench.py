"""The distributed benchmark's measurement over a request log (the runs themselves are
`make bench`: too slow for the suite)."""

from __future__ import annotations

import pytest

from bench.distributed_bench import _measure
from tests.portal.server import RequestRecord


def test_throughput_is_measured_against_the_politeness_bound_per_host():
    log = [RequestRecord("GET", f"http://{host}/p{n}", 200, 10, "ua", start + 0.1, started=start)
           for host in ("a.gov.cn", "b.gov.cn")
           for n, start in enumerate((1000.0, 1000.3, 1000.6, 1000.9))]
    log.append(RequestRecord("GET", "http://c.gov.cn/p", 200, 10, "ua", 1000.15, started=1000.05))
    log.append(RequestRecord("CONNECT", "b.gov.cn:443", 200, 0, "ua", 0.0))
    point = _measure(log, workers=2, delay=0.2)
    assert point.requests == 9 and point.seconds == pytest.approx(1.0)
    # The busiest hosts need 4 × (0.1 s service + 0.2 s delay): 9 requests in 1.2 s at best.
    assert point.ideal_per_second == pytest.approx(9 / 1.2)
    assert point.per_second == pytest.approx(9.0)
