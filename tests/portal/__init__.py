"""The simulated gkmlpt portal: fixture sites served over real HTTP on loopback.

Example::

    from tests.portal import Portal
    with Portal(faults={"5xx_burst"}) as portal:
        ...  # crawl with meta["proxy"] = portal.url, compare with portal.expected()
"""

from .documents import DocumentsMissing
from .faults import ALL, FAULTS, SWITCHES
from .model import ErrorKind, ExpectedAttachment, ExpectedError, ExpectedReport, ExpectedSite
from .portal import Portal
from .server import RequestRecord

__all__ = ["ALL", "FAULTS", "SWITCHES", "DocumentsMissing", "ErrorKind", "ExpectedAttachment",
           "ExpectedError", "ExpectedReport", "ExpectedSite", "Portal", "RequestRecord"]
