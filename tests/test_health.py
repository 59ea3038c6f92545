"""Site health over three simulated nights (one site goes silent, one changes shape), the
alarms in the run summary and --json-summary, and a status that counts every error kind."""

import json
import sqlite3
import subprocess

from tests.crawl_support import GKARCHIVE, REPO, crawl
from tests.portal import Portal
from tests.portal.province import build_province, empty_province, install


def status(db) -> dict[str, list[str]]:
    result = subprocess.run([*GKARCHIVE, "status", "--db", str(db)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}


def test_three_nights_one_site_goes_silent_one_changes_shape(tmp_path):
    db = tmp_path / "archive.db"
    province = empty_province()
    with install(Portal(), province) as portal:
        first = crawl(portal.url, db, "--json-summary", str(tmp_path / "night1.json"))
        assert first.returncode == 0, first.stdout + first.stderr[-2000:]
        assert json.loads((tmp_path / "night1.json").read_text())["alarms"] == []
        for report in portal.expected()["dg-zjj"].reports:  # night 2: dg-zjj goes silent
            portal.remove_post(report.post_id)
        province.redesigned.add("huadu-chini")  # and huadu-chini's shell loses window._CONFIG
        second = crawl(portal.url, db, "--json-summary", str(tmp_path / "night2.json"))
        province.redesigned.clear()  # night 3: huadu-chini is back, dg-zjj still silent
        third = crawl(portal.url, db, "--json-summary", str(tmp_path / "night3.json"))
    assert second.returncode == 1 and third.returncode == 1
    night2 = json.loads((tmp_path / "night2.json").read_text())
    alarms = {(a["site"], a["kind"]) for a in night2["alarms"]}
    # huadu-chini's reports are still found in Huadu's shared report column: not silent.
    assert alarms == {("dg-zjj", "silent"), ("huadu-chini", "shape")}
    shape = [a["message"] for a in night2["alarms"] if a["kind"] == "shape"]
    assert any("window._CONFIG" in m for m in shape)
    assert "ALARM dg-zjj: silent" in second.stdout
    night3 = json.loads((tmp_path / "night3.json").read_text())
    assert night3["alarms"] == []  # raised once; the streak tells the rest
    assert night3["sites"]["huadu-chini"]["status"] == "ok"
    rows = status(db)
    zjj, chini, fenggang = rows["dg-zjj"], rows["huadu-chini"], rows["dg-fenggang"]
    # site, status, last success (run N date), last new report (run N date), zero, err, probe …
    assert zjj[1:4] == ["error", "run", "1"] and zjj[8:10] == ["2", "2"], zjj
    assert chini[1:4] == ["ok", "run", "3"] and chini[8:10] == ["0", "0"], chini
    assert fenggang[1:4] == ["ok", "run", "3"] and fenggang[5:7] == ["run", "1"], fenggang
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM site_runs").fetchone()[0] == 15


def test_three_nights_of_a_province_whose_shell_and_lists_change_shape(tmp_path):
    """Three nights of three simulated sites on two hosts (no shared report column to find
    their reports elsewhere): on night 2 sim-s000's shell loses window._CONFIG and sim-s001's
    list API answers well-formed pages with no articles; each raises its shape alarm and, its
    reports no longer listed, silent; sim-s002 raises nothing. Night 3 both are back: quiet."""
    province = build_province(sites=3, hosts=2, news=(3,), reports=(1, 1), pdf=b"%PDF-1.4 tiny\n")
    sites_file = province.write_sites(tmp_path / "sites.toml")
    db = tmp_path / "archive.db"

    def night(n: int) -> dict:
        out = tmp_path / f"night{n}.json"
        result = crawl(portal.url, db, "--sites", str(sites_file), "--json-summary", str(out))
        assert result.returncode in (0, 1), result.stderr[-2000:]
        return json.loads(out.read_text())

    with install(Portal(), province) as portal:
        first = night(1)
        province.redesigned.add("sim-s000")
        province.emptied.add("sim-s001")
        second = night(2)
        province.redesigned.clear()
        province.emptied.clear()
        third = night(3)
    assert first["alarms"] == [] and all(s["reports"] == 1 for s in first["sites"].values())
    alarms: dict[str, list[tuple[str, str]]] = {}
    for alarm in second["alarms"]:
        alarms.setdefault(alarm["site"], []).append((alarm["kind"], alarm["message"]))
    assert set(alarms) == {"sim-s000", "sim-s001"}, second["alarms"]
    shell_gone = [m for k, m in alarms["sim-s000"] if k == "shape"]
    assert any("window._CONFIG" in m for m in shell_gone), alarms["sim-s000"]
    assert [k for k, _ in alarms["sim-s001"]] == ["silent", "shape"], alarms["sim-s001"]
    with sqlite3.connect(db) as conn:
        listed = dict(conn.execute("SELECT run_id, listed FROM site_runs WHERE site = 'sim-s001'"))
    assert listed[2] == 0 and listed[1] == listed[3] == 4, listed  # three news posts, a report
    assert alarms["sim-s001"][1][1] == "the lists returned no articles (4 in run 1)"
    assert second["sites"]["sim-s001"]["alarms"] == [{"kind": k, "message": m}
                                                     for k, m in alarms["sim-s001"]]
    assert third["alarms"] == [] and all(s["reports"] == 1 for s in third["sites"].values())


def test_a_site_with_reports_but_a_failed_list_is_an_error(tmp_path):
    """huadu-shiling's reports are all found through api/all/0, but its annual-report list
    answers 503 on every attempt: the run and `gkarchive status` say error, the exit is 1."""
    province = empty_province()
    province.failing_paths.add("www.huadu.gov.cn/gzhdslz/gkmlpt/api/all/6198")
    db = tmp_path / "archive.db"
    with install(Portal(), province) as portal:
        result = crawl(portal.url, db, "--site", "huadu-shiling",
                       "--json-summary", str(tmp_path / "run.json"))
    summary = json.loads((tmp_path / "run.json").read_text())["sites"]["huadu-shiling"]
    assert summary["reports"] == 5 and summary["errors"] >= 1, summary
    assert summary["status"] == "error" and result.returncode == 1
    row = status(db)["huadu-shiling"]
    assert row[1] == "error" and row[2] == "never" and "http_error" in " ".join(row), row


def test_alarm_rules():
    from archive.health import site_alarms

    assert site_alarms(None, 0, 0, 0) == []  # a first run raises nothing
    assert site_alarms((4, 5, 36, 1), 5, 1, 36) == []
    assert [a["kind"] for a in site_alarms((4, 5, 36, 1), 0, 1, 30)] == ["silent"]
    assert [a["kind"] for a in site_alarms((4, 5, 36, 1), 0, 0, 0)] == ["silent", "shape", "shape"]
    assert site_alarms((4, 0, 36, 1), 0, 1, 36) == []  # silent already: the streak says it
    assert [a["kind"] for a in site_alarms((4, 5, 36, 1), 5, 1, 0)] == ["shape"]
