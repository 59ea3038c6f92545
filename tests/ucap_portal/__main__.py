"""Run the simulated UCAP portal until SIGINT/SIGTERM (``--with-gkmlpt``: the gkmlpt sites too).

Example::

    python -m tests.ucap_portal --port 8898 --switches span_time,stale_count
    curl -k -x http://127.0.0.1:8898 'https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/xxgk_list_nb.shtml'
"""

from __future__ import annotations

import argparse
import sys

from tests.portal.__main__ import serve_until_signalled
from tests.portal.faults import ALL, parse_switches

from .model import SWITCHES
from .portal import UcapPortal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.ucap_portal", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="switches: " + ", ".join(sorted(SWITCHES)) + "; gkmlpt faults: " + ", ".join(sorted(ALL)))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--switches", default="", help="comma-separated UCAP switches")
    parser.add_argument("--with-gkmlpt", action="store_true", help="serve the gkmlpt sites too")
    parser.add_argument("--gkmlpt-faults", default="", help="faults of the gkmlpt sites")
    args = parser.parse_args(argv)
    switches = {s.strip() for s in args.switches.split(",") if s.strip()}
    try:
        portal = UcapPortal(port=args.port, host=args.host, switches=switches,
                            gkmlpt_faults=parse_switches(args.gkmlpt_faults) if args.with_gkmlpt else None)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    return serve_until_signalled(portal)


if __name__ == "__main__":
    sys.exit(main())
