"""``gkarchive extract`` at scale: several files and folders in one process, JSON Lines, and
a CLI that imports only what the command it runs needs (real processes, real files)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_report_support import CORPUS, REPO

DOCUMENTS = REPO / "tests" / "fixtures" / "documents"
GKARCHIVE = [sys.executable, "-m", "archive.cli"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*GKARCHIVE, "extract", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_one_file_prints_one_indented_record() -> None:
    result = _run(str(CORPUS / "002_ca953a3e6110b081.txt"), "--json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("{\n  \"source\"")
    record = json.loads(result.stdout)
    assert record["agency"] == "狮岭镇" and record["cells"]["t3.total_processed.total"] == 2


def test_files_and_folders_print_json_lines_in_order(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    (folder / "2022").mkdir(parents=True)
    for name in ("huadu-chini-2022.html", "dg-fenggang-2019.html"):
        shutil.copy(DOCUMENTS / name, folder / "2022" / name)
    (folder / ".hidden.txt").write_text("not a report")
    single = CORPUS / "000_07f264319299b7d3.txt"
    result = _run(str(single), str(folder), "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [Path(r["source"]["path"]).name for r in records] == [
        single.name, "dg-fenggang-2019.html", "huadu-chini-2022.html"]
    truth = json.loads((DOCUMENTS / "huadu-chini-2022.truth.json").read_text(encoding="utf-8"))
    assert records[2]["cells"] == truth["cells"]
    assert records[0]["agency"] == "凤岗镇"


def test_an_unreadable_file_is_named_and_the_rest_still_read(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    result = _run(str(empty), str(CORPUS / "003_11c4e88847043786.txt"), "--json")
    assert result.returncode == 1
    assert f"{empty}: empty" in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["cells"] == {} and records[1]["agency"] == "赤坭镇"


def test_a_missing_path_is_an_error_before_anything_is_read(tmp_path: Path) -> None:
    result = _run(str(CORPUS / "003_11c4e88847043786.txt"), str(tmp_path / "nope"), "--json")
    assert result.returncode == 2 and "no such file or folder" in result.stderr
    assert result.stdout == ""


def test_text_of_several_files_is_headed_by_each_path() -> None:
    paths = [str(CORPUS / "000_07f264319299b7d3.txt"), str(CORPUS / "002_ca953a3e6110b081.txt")]
    result = _run(*paths)
    assert [line for line in result.stdout.splitlines() if line.startswith("==> ")] == \
        [f"==> {p} <==" for p in paths]


HEAVY = ("datasette", "scrapy", "trafilatura", "openpyxl", "PIL", "sqlite_utils")


def _loaded_after(argv: list[str]) -> list[str]:
    code = ("import sys, contextlib, io\nfrom archive.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(sys.argv[1:])\n    except SystemExit:\n        pass\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code, *argv], cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    return json.loads(out.strip().splitlines()[-1].replace("'", '"'))


def test_help_and_extract_import_only_what_they_need() -> None:
    assert _loaded_after(["--help"]) == []
    assert _loaded_after(["extract", str(CORPUS / "huaian-2024.pdf"), "--json"]) == []
    # an HTML page needs trafilatura, and only then is it loaded
    assert _loaded_after(["extract", str(DOCUMENTS / "dg-fenggang-2019.html"), "--json"]) == \
        ["trafilatura"]



@pytest.mark.parametrize("size", ["long", "short"])
def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path: Path, size: str) -> None:
    """``gkarchive extract … | head``: the pipe's reader is gone before anything is written (its
    end is closed at once); the command stops with SIGPIPE's shell status, no traceback and no
    error line, for a whole record as for a few words."""
    if size == "long":
        argv = [str(CORPUS / "002_ca953a3e6110b081.txt"), "--json"]
    else:
        (tmp_path / "note.txt").write_text("一句话", encoding="utf-8")
        argv = [str(tmp_path / "note.txt"), "--text"]
    process = subprocess.Popen([*GKARCHIVE, "extract", *argv], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=300) == 141
    assert stderr == b""
