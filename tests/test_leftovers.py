"""No leftovers after a run: extraction workers remove their LibreOffice profiles, and
profiles of killed workers are swept."""

import os
import subprocess
import sys

from archive.extract.legacy import PROFILE_PREFIX, sweep_profiles
from tests.crawl_support import FAST, GKARCHIVE, PORTAL_SITES, REPO
from tests.portal import Portal


def test_a_crawl_with_extraction_leaves_nothing_in_the_temp_dir(tmp_path):
    """huadu-shiling's 2023 report is a .wps: LibreOffice converts it in a worker."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    with Portal() as portal:
        result = subprocess.run(
            [*GKARCHIVE, "crawl", "--sites", str(PORTAL_SITES), "--db", str(tmp_path / "a.db"),
             "--proxy", portal.url, "--log-level", "WARNING", "--site", "huadu-shiling", *FAST],
            cwd=REPO, capture_output=True, text=True, timeout=600,
            env={**os.environ, "TMPDIR": str(scratch)})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert '"converter"' in subprocess.run(
        [sys.executable, "-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("
         "\"SELECT group_concat(page_methods) FROM extractions\").fetchone()[0])",
         str(tmp_path / "a.db")], capture_output=True, text=True).stdout
    assert sorted(p.name for p in scratch.iterdir()) == []


def test_profiles_of_dead_workers_are_swept(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    uid = os.getuid()
    (tmp_path / f"{PROFILE_PREFIX}{uid}-{dead.pid}" / "user").mkdir(parents=True)
    (tmp_path / f"{PROFILE_PREFIX}{uid}-{os.getpid()}").mkdir()
    (tmp_path / f"{PROFILE_PREFIX}{uid + 1}-{dead.pid}").mkdir()  # another user's: not ours
    assert sweep_profiles() == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{PROFILE_PREFIX}{uid}-{os.getpid()}", f"{PROFILE_PREFIX}{uid + 1}-{dead.pid}"])


def test_a_process_removes_its_own_profile_when_it_exits(tmp_path):
    made = subprocess.run(
        [sys.executable, "-c", "from archive.extract.legacy import _profile_dir; "
         "import pathlib; p = pathlib.Path(_profile_dir()); (p / 'user').mkdir(); print(p)"],
        cwd=REPO, capture_output=True, text=True, timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().startswith(str(tmp_path / PROFILE_PREFIX))
    assert list(tmp_path.iterdir()) == []
