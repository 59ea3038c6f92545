"""Contracts over everything that is a list: CLI commands, config sites, docs."""

import subprocess
import tomllib

from archive.cli import build_parser
from archive.sites import load_sites
from tests.crawl_support import GKARCHIVE, PORTAL_SITES, REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices


def test_every_cli_command_has_help_with_an_example_and_is_in_the_readme():
    for name, parser in commands().items():
        assert "Example:" in (parser.description or ""), name
        shown = "export warc" if name == "export" else name
        assert f"gkarchive {shown}" in README, f"README does not show gkarchive {shown}"
        result = subprocess.run([*GKARCHIVE, name, "--help"], cwd=REPO, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0 and "usage:" in result.stdout


def test_readme_shows_the_make_targets():
    for target in ("make crawl", "make demo", "make test", "make bench"):
        assert target in README
    assert (REPO / ".ci" / "run").read_text().strip().endswith("make test")


def test_simulated_sites_match_the_real_config():
    """The hand-written rows the simulated portal shares with the real config are equal
    (dg-zjj is also a disabled catalogue row there: the fixture enables it on purpose)."""
    real = load_sites().sites
    portal = load_sites(PORTAL_SITES).sites
    shared = [slug for slug in portal if slug in real and real[slug].enabled]
    assert len(shared) >= 4
    for slug in shared:
        assert portal[slug] == real[slug], slug
    ucap = load_sites(REPO / "tests" / "ucap_portal" / "sites.toml").sites
    assert set(ucap) == {s for s, site in real.items() if site.platform == "ucap"}
    for slug, site in ucap.items():
        assert site == real[slug], slug


def test_debian_packages_are_pinned():
    lines = [l for l in (REPO / "config/debian-packages.txt").read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    assert lines and all("=" in l for l in lines)
    assert {l.split("=")[0] for l in lines} >= {"antiword", "tesseract-ocr-chi-sim",
                                                 "libreoffice-writer-nogui", "poppler-utils"}


def test_lock_pins_every_dependency():
    lock = (REPO / "requirements.lock").read_text()
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in deps:
        name = dep.split(">")[0].split("=")[0].split("<")[0].strip().lower().replace("_", "-")
        assert f"\n{name}==" in "\n" + lock.replace("_", "-"), name


def test_fixture_key_lists_agree_with_the_parser():
    """The fixture generator keeps its own transcription of the spec's keys, as an
    independent oracle; it must agree with the parser's."""
    import archive.report as parser_keys
    import tests.fixtures.report_keys as fixture_keys

    for name in ("T2_2019_KEYS", "T2_2021_KEYS", "T3_ROWS_2019", "T3_ROWS_2021", "T3_COLS",
                 "T4_KEYS"):
        assert list(getattr(fixture_keys, name)) == list(getattr(parser_keys, name)), name
