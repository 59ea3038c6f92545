"""Site health: what each run saw of each site, alarms when a site goes silent or changes
shape, and per site the last success, the last new report, the streaks and the probe state.

A run of a site is one ``site_runs`` row (migration m007). Alarms compare it with the site's
previous full run (one without a year filter):

- ``silent``: the site had annual reports and now lists none;
- ``shape``: its shell no longer carries ``window._CONFIG``, or its lists no longer return
  articles, where the previous run found them.

Example::

    >>> alarms = record_site_runs(db, run_id, summary, {"dg-fenggang": (1, 36)}, full=True)
    >>> site_health(db)["dg-fenggang"]["zero_streak"]
    0
"""

from __future__ import annotations

import json

from archive.db import unit_of_work


def _previous(db, site: str, run_id: int):
    return db.execute(
        "SELECT run_id, reports, listed, shells FROM site_runs WHERE site = ? AND run_id < ? "
        "AND full_listing = 1 ORDER BY run_id DESC LIMIT 1", [site, run_id]).fetchone()


def site_alarms(previous, reports: int, shells: int | None, listed: int | None) -> list[dict]:
    """The alarms of one site's run against its previous full run (None: first run)."""
    if previous is None:
        return []
    prev_run, prev_reports, prev_listed, prev_shells = previous
    alarms = []
    if prev_reports and not reports:
        alarms.append({"kind": "silent", "message": f"had {prev_reports} annual reports in run "
                                                     f"{prev_run}, lists none now"})
    if prev_shells and shells == 0:
        alarms.append({"kind": "shape", "message": "no window._CONFIG in the shell (run "
                                                    f"{prev_run} read {prev_shells})"})
    if prev_listed and listed == 0:
        alarms.append({"kind": "shape", "message": "the lists returned no articles "
                                                    f"({prev_listed} in run {prev_run})"})
    return alarms


def record_site_runs(db, run_id: int, summary: dict, shapes: dict[str, tuple[int, int]],
                     full: bool) -> list[dict]:
    """Write one ``site_runs`` row per site of ``summary`` (``shapes``: site → shells read,
    posts listed) and return the run's alarms; each site's summary gets its own too."""
    alarms = []

    def write() -> None:
        for site, s in summary["sites"].items():
            shells, listed = shapes.get(site, (None, None))
            found = site_alarms(_previous(db, site, run_id), s["reports"], shells, listed) \
                if full else []
            s["alarms"] = found
            alarms.extend({"site": site, **alarm} for alarm in found)
            db.execute(
                "INSERT OR REPLACE INTO site_runs (run_id, site, full_listing, status, reports, "
                "new_reports, errors, listed, shells, alarms) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [run_id, site, int(full), s["status"], s["reports"], s["new_reports"],
                 s["errors"], listed, shells, json.dumps(found, ensure_ascii=False)])

    unit_of_work(db, write)
    return alarms


def _streak(rows, bad) -> int:
    count = 0
    for row in rows:
        if not bad(row):
            break
        count += 1
    return count


def site_health(db) -> dict[str, dict]:
    """Per site: last_success and last_new_report (run, finished_at), zero_streak and
    error_streak (latest consecutive full runs with no report / not ok), probe (latest)."""
    finished = dict(db.execute("SELECT id, finished_at FROM runs"))
    health: dict[str, dict] = {}
    rows: dict[str, list] = {}
    for site, run_id, status, reports in db.execute(
            "SELECT site, run_id, status, reports FROM site_runs WHERE full_listing = 1 "
            "ORDER BY site, run_id DESC"):
        rows.setdefault(site, []).append((run_id, status, reports))
    for site, runs in rows.items():
        ok = next((run for run, status, _ in runs if status == "ok"), None)
        health[site] = {
            "last_success": {"run": ok, "finished_at": finished.get(ok)} if ok else None,
            "zero_streak": _streak(runs, lambda r: r[2] == 0),
            "error_streak": _streak(runs, lambda r: r[1] != "ok"),
        }
    for site, run_id, title in db.execute(
            "SELECT site, first_run, title FROM posts p WHERE first_run = "
            "(SELECT max(first_run) FROM posts q WHERE q.site = p.site) GROUP BY site"):
        health.setdefault(site, {})["last_new_report"] = {
            "run": run_id, "finished_at": finished.get(run_id), "title": title}
    for site, state, probed_at, detail in db.execute(
            "SELECT site, state, probed_at, detail FROM probes p WHERE id = "
            "(SELECT max(id) FROM probes q WHERE q.site = p.site)"):
        health.setdefault(site, {})["probe"] = {"state": state, "at": probed_at, "detail": detail}
    return health
