"""A crawl's memory is freed as it goes, not when the cyclic garbage collector happens to run.

A response that sits in a reference cycle (it refers to its request, the request's meta to
whatever the middlewares keep) is freed only by a full collection, which Python runs more
rarely the more long-lived objects the process holds. Kept so, every list page and every
attachment body of a province waited in memory between collections: the crawl's peak memory
grew with the number of sites (docs/benchmarks.md, "A simulated province"). Here the crawl runs
with the collector disabled (``bench.memprobe.MemProbe``, ``GKARCHIVE_MEMPROBE_GC=off``), so
that a response in any cycle would still be alive when the spider closes. What does grow with
the sites, the post ids every site's lists showed (kept to mark removed posts at the end),
is kept compact (``crawler.postids``).
"""

from __future__ import annotations

import json
import sqlite3

from tests.crawl_support import crawl
from tests.portal import Portal
from tests.portal.province import build_province, install

PROBE = '{"crawler.progress.CrawlProgress": 500, "bench.memprobe.MemProbe": 600}'


def test_no_response_outlives_its_callbacks_and_listed_posts_are_kept_compact(tmp_path):
    """Eight simulated sites on three hosts (entries, shells, lists, searches, report
    columns, details, attachments): at the end no response of the crawl is alive, although
    the collector never ran; the post ids the spider keeps for the run's end take a few bytes
    each."""
    province = build_province(sites=8, hosts=3, news=(40, 450, 900), reports=(1, 3))
    sites_file = province.write_sites(tmp_path / "sites.toml")
    db, probe = tmp_path / "archive.db", tmp_path / "memprobe.jsonl"
    with install(Portal(), province) as portal:
        result = crawl(portal.url, db, "--sites", str(sites_file), "--set", f"EXTENSIONS={PROBE}",
                       "--set", f"GKARCHIVE_MEMPROBE_FILE={probe}",
                       "--set", "GKARCHIVE_MEMPROBE_GC=off",
                       "--set", "GKARCHIVE_MEMPROBE_INTERVAL=0.5")
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(db) as conn:
        kinds = dict(conn.execute("SELECT kind, count(*) FROM fetches GROUP BY kind"))
    assert {"entry", "list", "search", "detail", "attachment"} <= set(kinds), kinds
    assert sum(kinds.values()) > 80, kinds
    final = [json.loads(line) for line in probe.read_text().splitlines()][-1]
    assert final["final"] and final["gc_collections"], final
    responses = {name: n for name, n in final["live"].items() if name.endswith("Response")}
    assert responses == {}, (responses, kinds)
    assert final["live_response_mb"] == 0, final
    # What the spider keeps of every listed post for the whole run: about 10 bytes an id in
    # crawler/postids.py (16 here, with small sites' additions not merged yet); sets of
    # strings took 81 (about 180 in a real process, with the allocator's overhead).
    ids = final["posts"] + final["list_ids"]
    assert ids > 3000, final
    assert final["post_state_bytes"] <= 32 * ids, final
