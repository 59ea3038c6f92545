"""The simulated province's portal as a process, for ``bench.province_bench``: the fixture
portal plus ``--sites`` sites on ``--hosts`` hosts (``tests/portal/province.py``), 50–300 ms
latency per response.

Example::

    python -m bench.province --port 0 --sites 300 --hosts 60 --sites-file /tmp/province.toml
    # prints: portal listening on http://127.0.0.1:PORT
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.province_bench import LATENCY


def main(argv: list[str] | None = None) -> int:
    """Serve the fixture portal plus a simulated province until SIGINT/SIGTERM."""
    from tests.portal import Portal
    from tests.portal.__main__ import serve_until_signalled
    from tests.portal.province import build_province, install

    parser = argparse.ArgumentParser(prog="python -m bench.province", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--sites", type=int, default=300)
    parser.add_argument("--hosts", type=int, default=60)
    parser.add_argument("--news", type=int, help="posts per site (default: a realistic mix)")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--sites-file", type=Path, help="write the province's sites file here")
    args = parser.parse_args(argv)
    province = build_province(sites=args.sites, hosts=args.hosts, big_host_share=0.05,
                              news=(args.news,) if args.news is not None else None)
    province.latency = None if args.no_latency else LATENCY
    province.frozen = True  # served as built: nothing changes the sites during the benchmark
    if args.sites_file:
        province.write_sites(args.sites_file)
    portal = install(Portal(), province)
    portal.app.router.warm()  # every list and page computed before the crawl starts
    return serve_until_signalled(portal)


if __name__ == "__main__":
    raise SystemExit(main())
