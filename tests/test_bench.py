"""The benchmark code runs (tiny sizes), so ``make bench`` cannot rot between runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import given, settings, strategies as st

from bench import archive_bench, bigportal, parse_bench
from bench.bare_spider import fetched_urls
from bench.crawl_bench import measured_run, scrapy_command, start_portal
from bench.procwatch import ProcessWatch
from bench.report import Section, Target, render, splice
from tests.portal import Portal


def test_bigportal_grows_every_site():
    portal = Portal()
    before = {slug: len(site.posts) for slug, site in portal.sites.items()}
    bigportal.grow(portal, news=5, reports=2)
    for slug, site in portal.sites.items():
        assert len(site.posts) == before[slug] + 7
        assert sum(p.report_year is not None for p in site.posts.values()) >= 2


def test_crawl_and_bare_replay_of_a_tiny_portal(tmp_path: Path):
    db = tmp_path / "crawl.db"
    portal, proxy = start_portal(news=3, reports=1)
    try:
        run = measured_run(scrapy_command(db, proxy, "gkarchive-bench-test"), db)
        out = subprocess.run([sys.executable, "-m", "bench.bare_spider", "--db", str(db),
                              "--proxy", proxy], capture_output=True, text=True, timeout=60,
                             cwd=archive_bench.REPO, check=True).stdout
    finally:
        portal.terminate()
        portal.wait(timeout=30)
    replay = json.loads(out.strip().splitlines()[-1])
    assert run.requests == len(fetched_urls(str(db), 1)) == replay["requests"]
    assert replay["responses"] == replay["requests"] and run.rss_mb > 0
    assert {"detail", "attachment", "list"} <= set(run.kinds)


def test_process_watch_sees_a_child():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"])
    with ProcessWatch(proc.pid, interval=0.02) as watch:
        proc.wait()
    assert watch.peak_mb(proc.pid) > 1


def test_archive_bench_on_a_small_archive(tmp_path: Path):
    samples = archive_bench.sample_reports()[:2]
    rate, per_report = archive_bench.write_path_rate(tmp_path / "w.db", samples, reports=10)
    assert rate > 0 and per_report > 0
    facts = archive_bench.build_archive(tmp_path / "a.db", samples, reports=30, batch=10)
    assert facts.reports == 30 and facts.cells > 30 * 100
    timings = archive_bench.time_canned_queries(tmp_path / "a.db", facts, repeat=1)
    timings += archive_bench.time_rewrites(tmp_path / "a.db", facts, repeat=1)
    assert timings and all(t.status == 200 for t in timings)
    by_name = {t.name: t.rows for t in timings}
    assert by_name["report_t3 (report-scoped)"] == by_name["report_t3"]


def test_parse_measure_and_render():
    docs = dict(list(parse_bench.documents(with_slow=False).items())[:2])
    assert len(parse_bench.measure(docs, rounds=1)) == 2
    text = render([Section("S", "`cmd`", ["body"], [Target("t", "1 ms", True)])], ["CPU: x"],
                  time.perf_counter())
    assert "| t | 1 ms | met |" in text and "## S" in text


def test_tree_watch_sums_the_memory_of_a_process_and_its_children():
    from bench.challenge_bench import TreeWatch

    script = ("import subprocess, sys, time; b = bytearray(60 << 20); "
              "c = subprocess.Popen([sys.executable, '-c', 'b = bytearray(60 << 20); "
              "import time; time.sleep(1.5)']); time.sleep(1.5); c.wait()")
    proc = subprocess.Popen([sys.executable, "-c", script])
    with TreeWatch(proc.pid) as watch:
        proc.wait(timeout=30)
    assert watch.tree_rss_kb / 1024 > 120 and watch.tree_pss_kb / 1024 > 100
    assert watch.peak_mb(proc.pid) > 60 and len(watch.children()) == 1


def test_province_bench_of_a_tiny_province(tmp_path: Path):
    from bench.province_bench import measured, start_province_portal

    sites_file, db = tmp_path / "province.toml", tmp_path / "province.db"
    portal, proxy = start_province_portal(4, 2, sites_file, "--news", "5", "--no-latency")
    try:
        run = measured(sites_file, db, proxy, 4, 2)
    finally:
        portal.terminate()
        portal.wait(timeout=30)
    assert run.sites == 4 and run.requests >= 4 * 6
    assert run.busiest_host_requests < run.requests and run.ideal_seconds > 0
    assert 0.8 < run.ratio < 3 and run.rss_mb > 0


SECTION_TITLES = ("Crawl", "Extraction per format", "A simulated province", "Archive")


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_section_run_alone_replaces_only_its_own_part_of_the_file(data):
    """``python -m bench --only X`` over a written file (generated: sections with targets, a
    hand-written row and a note under the table): X's block and rows are the fresh ones, at
    X's place; every other line is kept as it was."""
    titles = data.draw(st.lists(st.sampled_from(SECTION_TITLES), min_size=1, unique=True))
    old = [Section(t, f"`old {t}`", [f"old body of {t}"],
                   [Target(f"{t}: target {i}", f"{i} s", data.draw(st.booleans()))
                    for i in range(data.draw(st.integers(0, 2)))]) for t in titles]
    previous = render(old, ["CPU: x"], 60.0)
    by_hand = "| a target by hand | 1 s | met |"
    # a row of a section whose block the file lacks (its block written by hand under another
    # title): kept after the sections' rows
    orphan = "| a target of no block | 2 s | met | <!-- No block --> |"
    end = previous.index("\n\n## ", previous.index("## Targets"))  # under the table
    previous = previous[:end] + f"\n{orphan}\n{by_hand}\n\nA note by hand." + previous[end:]
    rerun = data.draw(st.lists(st.sampled_from(SECTION_TITLES), min_size=1, unique=True))
    fresh = [Section(t, f"`new {t}`", [f"new body of {t}"],
                     [Target(f"{t}: target {i}", "fresh", True)
                      for i in range(data.draw(st.integers(0, 2)))]) for t in rerun]
    text = splice(previous, fresh)
    head, table = text.split("## Targets")[0], text.split("## Targets")[1].split("\n## ")[0]
    assert head == previous.split("## Targets")[0]  # the head and the machine
    assert table.rstrip().endswith(f"{orphan}\n{by_hand}\n\nA note by hand.")
    order = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert order == ["Machine", "Targets", *titles,
                     *[t for t in rerun if t not in titles]]  # each section once, in place
    rows = [line for line in table.splitlines() if "<!--" in line and line != orphan]
    expected = {s.title: [t.what for t in s.targets] for s in old}
    expected.update({s.title: [t.what for t in s.targets] for s in fresh})
    assert [r.split(" | ")[0][2:] for r in rows] == [w for t in order[2:] for w in expected[t]]
    assert text.count("Run alone (`--only`) on ") == len(fresh)  # each fresh block dated
    for s in fresh:
        assert f"Command: `new {s.title}`" in text and f"new body of {s.title}" in text
        assert f"old body of {s.title}" not in text
        assert all(f"| {t.what} | fresh | met | <!-- {s.title} --> |" in rows
                   for t in s.targets)
    for s in old:
        if s.title not in rerun:  # another section's block and rows as they were
            assert f"old body of {s.title}" in text
            assert all(any(r.startswith(f"| {t.what} | {t.measured} |") for r in rows)
                       for t in s.targets)
