"""`gkarchive sites probe` against the simulated portal: every state, the archive rows, the
proposed config diff (the file untouched), bounded time per host, and 300 sites."""

import hashlib
import json
import sqlite3
import subprocess
import time

from tests.crawl_support import GKARCHIVE, REPO
from tests.portal import Portal
from tests.portal.province import Behaviour, build_province, empty_site, install

TINY = b"%PDF-1.4 tiny\n"


def probe(portal_url, sites_file, db, *args, timeout=300):
    command = [*GKARCHIVE, "sites", "probe", "--sites", str(sites_file), "--db", str(db),
               "--proxy", portal_url, "--delay", "0", "--timeout", "2", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def behaviour_province():
    province = build_province(sites=6, hosts=2, news=(3,), reports=(1, 1), pdf=TINY)
    extra = {
        "sim-gone": empty_site("sim-gone", "gone.sim.gd.gov.cn"),
        "sim-gone410": empty_site("sim-gone410", "gone410.sim.gd.gov.cn"),
        "sim-hang-a": empty_site("sim-hang-a", "hang.sim.gd.gov.cn", prefix="/a"),
        "sim-hang-b": empty_site("sim-hang-b", "hang.sim.gd.gov.cn", prefix="/b"),
        "sim-waf": empty_site("sim-waf", "waf.sim.gd.gov.cn"),
        "sim-tls": empty_site("sim-tls", "tls.sim.gd.gov.cn", scheme="https"),
        "sim-old": empty_site("sim-old", "old.sim.gd.gov.cn", prefix="/x"),
        "sim-new": empty_site("sim-new", "new.sim.gd.gov.cn", prefix="/x", sid="777002"),
        "sim-noreport": empty_site("sim-noreport", "h00.sim.gd.gov.cn", prefix="/nr",
                                   report_category=False),
        "sim-redesign": empty_site("sim-redesign", "h01.sim.gd.gov.cn", prefix="/rd"),
    }
    province.sites.update(extra)
    province.behaviours.update({"gone.sim.gd.gov.cn": Behaviour.GONE,
                                "gone410.sim.gd.gov.cn": Behaviour.GONE_410,
                                "hang.sim.gd.gov.cn": Behaviour.HANG,
                                "waf.sim.gd.gov.cn": Behaviour.CHALLENGE,
                                "tls.sim.gd.gov.cn": Behaviour.TLS_FAIL,
                                "old.sim.gd.gov.cn": Behaviour.REDIRECT})
    province.redirects["old.sim.gd.gov.cn"] = "new.sim.gd.gov.cn"
    province.unlisted.add("sim-new")
    province.redesigned.add("sim-redesign")
    province.sid_hints["sim-s001"] = "1"
    return province


EXPECTED = {"sim-gone": "gone", "sim-gone410": "gone", "sim-hang-a": "unreachable",
            "sim-hang-b": "unreachable", "sim-waf": "challenged", "sim-tls": "tls_failing",
            "sim-old": "moved", "sim-noreport": "no_report_category", "sim-redesign": "not_gkmlpt",
            **{f"sim-s{n:03d}": "ok" for n in range(6)}}


def test_probe_classifies_every_state_and_proposes_a_diff(tmp_path):
    province = behaviour_province()
    sites_file = province.write_sites(tmp_path / "sites.toml")
    before = hashlib.sha256(sites_file.read_bytes()).hexdigest()
    db = tmp_path / "archive.db"
    with install(Portal(hang_seconds=10), province) as portal:
        started = time.monotonic()
        result = probe(portal.url, sites_file, db)
        elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr[-3000:]
    assert hashlib.sha256(sites_file.read_bytes()).hexdigest() == before
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = {r["site"]: dict(r) for r in conn.execute("SELECT * FROM probes")}
        fetched = {site for (site,) in conn.execute("SELECT DISTINCT site FROM fetches")}
    assert {slug: row["state"] for slug, row in rows.items()} == EXPECTED, result.stdout
    ok = rows["sim-s000"]
    assert ok["sid"] == "900000" and ok["tree_categories"] == 4
    assert json.loads(ok["report_categories"]) == [{"id": 1003, "name": "政府信息公开年报"}]
    assert rows["sim-old"]["final_url"].startswith("http://new.sim.gd.gov.cn/x/")
    assert "not fetched again" in rows["sim-hang-b"]["detail"]
    assert "sim-hang-b" not in fetched  # the host had failed: bounded time per host
    assert elapsed < 60
    diff = result.stdout.split("proposed changes to the sites file (not applied):", 1)[1]
    assert '-sid_hint = "1"\n+sid_hint = "900001"' in diff
    assert '+entry_urls = ["http://new.sim.gd.gov.cn/x/gkmlpt/index"]' in diff
    assert '+allowed_hosts = ["new.sim.gd.gov.cn", "old.sim.gd.gov.cn"]' in diff
    assert "+http_only = true" in diff
    assert diff.count("+enabled = false") == 3  # gone, gone (410), redesigned
    for slug, state in EXPECTED.items():
        if state != "ok":
            assert slug in result.stdout.split("proposed changes")[0], slug
    shown = subprocess.run([*GKARCHIVE, "status", "--db", str(db)], cwd=REPO, capture_output=True,
                           text=True, timeout=60).stdout
    states = {line.split()[0]: line.split()[6] for line in shown.splitlines()[1:]}
    assert {slug: states[slug] for slug in EXPECTED} == EXPECTED, shown


def test_a_probe_of_300_sites_on_60_hosts_is_bounded(tmp_path):
    province = build_province(sites=300, hosts=60, news=(3,), reports=(1, 1), pdf=TINY)
    sites_file = province.write_sites(tmp_path / "sites.toml")
    db = tmp_path / "archive.db"
    with install(Portal(), province) as portal:
        started = time.monotonic()
        result = probe(portal.url, sites_file, db)
        elapsed = time.monotonic() - started
        hosts = {r.url.split("/")[2] for r in portal.requests}
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "states: 300 ok" in result.stdout
    assert len(hosts) == 60 and elapsed < 120, elapsed
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(DISTINCT site) FROM probes").fetchone()[0] == 300


def test_shell_fields_the_probe_reads():
    from crawler.probe import _SEARCH_RE, _SITE_NAME_RE, _first

    shell = ("window._CONFIG = { APP_URL: 'http://www.dg.gov.cn/dgfgz', SID: '769120', "
             "SITE_NAME: '东莞市凤岗镇人民政府', SEARCH_JSONP_URL: 'http://search.gd.gov.cn/jsonp/site/769120',"
             " TREE: [] };")
    assert _first(_SEARCH_RE, shell) == "http://search.gd.gov.cn/jsonp/site/769120"
    assert _first(_SITE_NAME_RE, shell) == "东莞市凤岗镇人民政府"
    assert _first(_SEARCH_RE, "window._CONFIG = { SID: '1' };") is None
