"""The distributed benchmark's measurement over an archive's fetch rows (the runs themselves
are `make bench`: too slow for the suite)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bench.distributed_bench import measure


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def test_throughput_is_measured_against_the_politeness_bound_of_the_busiest_host():
    # fetched_at is the response's time; the request started elapsed_ms before it
    rows = [(f"http://{host}/p{n}", iso(start + 0.1), 100)
            for host in ("a.gov.cn", "b.gov.cn")
            for n, start in enumerate((1000.0, 1000.3, 1000.6, 1000.9))]
    rows.append(("http://c.gov.cn/p", iso(1000.15), 100))
    point = measure(rows, workers=2, delay=0.2, cpu={"writer": 0.5, "workers": 1.3})
    assert point.requests == 9 and point.seconds == pytest.approx(1.0)
    # the busiest hosts start 4 requests at least 0.2 s apart: 0.6 s at best
    assert point.busiest == 4 and point.ideal_seconds == pytest.approx(0.6)
    assert point.of_ideal == pytest.approx(0.6)
    assert point.per_second == pytest.approx(9.0)
    assert point.ideal_per_second == pytest.approx(15.0)
    assert point.cpu_ms_per_request == pytest.approx(200.0)
