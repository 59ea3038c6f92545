"""Discovering UCAP units' 年度报告 columns from the zone's directory on the simulated portal,
over real HTTP: shells followed, columns found by anchor or breadcrumb, templates probed."""

from __future__ import annotations

import tomllib

import pytest

from archive.sites import load_sites
from crawler.platforms import PlatformError
from crawler.ucap_discovery import discover_ucap_units, polite_fetcher
from tests.ucap_portal import UcapPortal

DIRECTORY = "https://gzjkq.ganzhou.gov.cn/jkqxxgk/"


@pytest.fixture(scope="module")
def portal():
    with UcapPortal() as running:
        yield running


def test_every_unit_with_a_report_column_is_proposed_and_no_other(portal):
    rows = discover_ucap_units(DIRECTORY, polite_fetcher(proxy=portal.url, delay=0))
    # (column, template, unit, found by, reports on the column's first page)
    got = {(r.entry_url, r.template, r.unit, r.found_by, r.reports_listed) for r in rows}
    assert got == {
        ("https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/", "xxgk_list_nb", "凤岗镇", "anchor", 3),
        ("https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110022/", "list", "党政办公室", "anchor", 3),
        ("https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110040/", "common_list", "党群工作部", "breadcrumb", 2),
    }


def test_proposed_rows_are_valid_config_naming_the_configured_columns(portal, tmp_path):
    rows = discover_ucap_units(DIRECTORY, polite_fetcher(proxy=portal.url, delay=0))
    text = '[crawler]\n' + "\n\n".join(r.to_toml() for r in rows) + "\n"
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    proposed = load_sites(path).sites
    assert {s.platform for s in proposed.values()} == {"ucap"}
    configured = {s.entry_urls for s in load_sites().sites.values() if s.platform == "ucap"}
    assert {s.entry_urls for s in proposed.values()} == configured
    assert all(s.name.startswith("赣州经济技术开发区") for s in proposed.values())
    tomllib.loads(text)


def test_an_unreadable_directory_is_a_clear_error(portal):
    with pytest.raises(PlatformError, match="HTTP 404"):
        discover_ucap_units("https://gzjkq.ganzhou.gov.cn/nowhere/",
                            polite_fetcher(proxy=portal.url, delay=0))
