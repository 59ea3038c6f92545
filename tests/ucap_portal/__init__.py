"""The simulated UCAP (开普云) portal: gzjkq.ganzhou.gov.cn's disclosure directory and three
units' 年度报告 columns, served over real HTTP on loopback through the gkmlpt portal's proxy
and TLS code. See ``README.md`` here and ``../shared/docs/ucap-platform.md``.

Example::

    from tests.ucap_portal import UcapPortal
    with UcapPortal(switches={"stale_count"}) as portal:
        ...  # gkarchive crawl --proxy portal.url, compare with portal.expected()
"""

from .model import SWITCHES
from .portal import UcapPortal

__all__ = ["SWITCHES", "UcapPortal"]
