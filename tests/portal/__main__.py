"""Run the simulated gkmlpt portal until SIGINT/SIGTERM.

Example::

    python -m tests.portal --port 8899 --faults 5xx_burst,validators
    curl -x http://127.0.0.1:8899 'http://www.dg.gov.cn/dgfgz/gkmlpt/api/all/2680?page=1'
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .documents import DocumentsMissing
from .faults import ALL, parse_switches
from .portal import Portal


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the portal, print its address, wait for a signal."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.portal", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="faults and switches: " + ", ".join(sorted(ALL)))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--faults", default="", help="comma-separated names (see README.md)")
    args = parser.parse_args(argv)
    try:
        portal = Portal(port=args.port, faults=parse_switches(args.faults), host=args.host)
    except (ValueError, DocumentsMissing) as err:
        print(err, file=sys.stderr)
        return 2
    return serve_until_signalled(portal)


def serve_until_signalled(portal: Portal) -> int:
    """Start ``portal``, announce its URL on stdout, serve until SIGINT or SIGTERM."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    portal.start()
    print(f"portal listening on {portal.url}", flush=True)
    done.wait()
    portal.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
