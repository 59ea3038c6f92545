"""Write the catalogue's sites into config/sites.toml (the block after the generated mark).

Every A and B row of ../shared/catalogue/gkmlpt-sites.tsv becomes an enabled site, every C
row a disabled one with its reason; bodies that already have a hand-written table are left to
it. The slug scheme and the reviewed exceptions are in archive/catalogue.py.

Example:
    .venv/bin/python scripts/catalogue_to_sites.py            # rewrite config/sites.toml
    .venv/bin/python scripts/catalogue_to_sites.py --check    # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archive.catalogue import DEFAULT_CATALOGUE, regenerate
from archive.sites import DEFAULT_SITES_FILE, load_sites


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE)
    parser.add_argument("--sites", type=Path, default=DEFAULT_SITES_FILE)
    parser.add_argument("--check", action="store_true",
                        help="only compare; exit 1 when the file is not what the script makes")
    args = parser.parse_args(argv)
    current = args.sites.read_text(encoding="utf-8")
    fresh = regenerate(current, args.catalogue)
    if args.check:
        if fresh != current:
            print(f"{args.sites} is out of date: run scripts/catalogue_to_sites.py", file=sys.stderr)
            return 1
        return 0
    args.sites.write_text(fresh, encoding="utf-8")
    config = load_sites(args.sites)  # validate what was written
    enabled = sum(site.enabled for site in config.sites.values())
    print(f"{args.sites}: {len(config.sites)} sites, {enabled} enabled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
