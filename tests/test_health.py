"""Site health over three simulated nights (one site goes silent, one changes shape), the
alarms in the run summary and --json-summary, and a status that counts every error kind."""

import json
import sqlite3
import subprocess

from tests.crawl_support import GKARCHIVE, REPO, crawl
from tests.portal import Portal
from tests.portal.province import empty_province, install


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
