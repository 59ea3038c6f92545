"""config/sites.toml: every known site loads; a bad entry names file, site and field."""

import pytest

from archive.sites import SiteConfigError, load_sites

# The slugs of the hand-written rows: archive rows, fixtures and tests name them; never renamed.
HAND_WRITTEN = (
    "dg-fenggang", "dg-qingxi", "dg-hengli", "dg-dalingshan", "dg-shijie", "dg-chashan",
    "dg-xiegang", "dg-changping", "dg-daojiao", "dg-guancheng", "dg-qishi", "dg-dalang",
    "dg-shatian", "dg-hongmei", "dg-shipai", "dg-nancheng", "dg-qiaotou", "dg-huangjiang",
    "dg-zhangmutou", "dg-dongkeng", "dg-gaobu", "dg-dongcheng", "dg-liaobu", "dg-changan",
    "huadu-shiling", "huadu-chini", "huadu-kgsx", "huadu-wglt")


def test_real_config_loads_with_the_corpus_sites():
    config = load_sites()
    for slug in ("dg-fenggang", "dg-qingxi", "huadu-shiling", "huadu-chini"):
        assert slug in config.sites
    assert config.sites["dg-fenggang"].entry_urls == (
        "http://www.dg.gov.cn/fg/", "http://www.dg.gov.cn/zwgk/zfxxgkml/fgz/zfxxgkgzndbg/")
    assert set(HAND_WRITTEN) <= set(config.sites)
    assert config.crawler.download_delay >= 1.0
    assert "http" in config.crawler.user_agent


GOOD = """
[sites.dg-test]
name = "测试镇人民政府"
region = "广东省东莞市"
entry_urls = ["http://www.dg.gov.cn/dgtest/gkmlpt/index"]
allowed_hosts = ["www.dg.gov.cn"]
"""


@pytest.mark.parametrize("edit,field", [
    (lambda t: t.replace('name = "测试镇人民政府"\n', ""), "name"),
    (lambda t: t.replace('"http://www.dg.gov.cn/dgtest', '"ftp://www.dg.gov.cn/dgtest'), "entry_urls"),
    (lambda t: t.replace('["www.dg.gov.cn"]', '["im.dg.gov.cn"]'), "entry_urls"),
    (lambda t: t + "colour = 3\n", "colour"),
    (lambda t: t + "enabled = false\n", "disabled_reason"),
    (lambda t: t + 'browser_ua = "yes"\n', "browser_ua"),
    (lambda t: t.replace('["www.dg.gov.cn"]', '["www.dg.gov.cn/x"]'), "allowed_hosts"),
    (lambda t: t + 'platform = "wordpress"\n', "platform"),
])
def test_bad_entries_name_file_site_and_field(tmp_path, edit, field):
    path = tmp_path / "sites.toml"
    path.write_text(edit(GOOD), encoding="utf-8")
    with pytest.raises(SiteConfigError) as error:
        load_sites(path)
    message = str(error.value)
    assert str(path) in message and "dg-test" in message and f"'{field}'" in message


def test_bad_toml_and_unknown_site(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text("[sites.x\n", encoding="utf-8")
    with pytest.raises(SiteConfigError, match="not valid TOML"):
        load_sites(path)
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(SiteConfigError, match="unknown site"):
        load_sites(path).select(["dg-nowhere"])
    disabled = GOOD + 'enabled = false\ndisabled_reason = "site moved"\n'
    path.write_text(disabled, encoding="utf-8")
    assert load_sites(path).select(None) == []


def test_select_by_platform(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text(GOOD + GOOD.replace("dg-test", "dg-other"), encoding="utf-8")
    sites = load_sites(path)
    assert [s.slug for s in sites.select(None, platform="gkmlpt")] == ["dg-test", "dg-other"]
    assert sites.select(["all"], platform="ucap") == []
    with pytest.raises(SiteConfigError, match="dg-test are not ucap sites"):
        sites.select(["dg-test"], platform="ucap")


UCAP = """
[sites.ganzhou-test]
platform = "ucap"
name = "测试单位"
region = "江西省赣州市"
entry_urls = ["https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/"]
allowed_hosts = ["gzjkq.ganzhou.gov.cn"]
"""


@pytest.mark.parametrize("entry", [
    "https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/202401/a593a6f767664f1ca010d95c353cf504.shtml",
    "https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/report.pdf",
])
def test_a_ucap_entry_must_be_a_column(tmp_path, entry):
    path = tmp_path / "sites.toml"
    path.write_text(UCAP.replace("https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/", entry),
                    encoding="utf-8")
    with pytest.raises(SiteConfigError, match="'entry_urls'"):
        load_sites(path)


@pytest.mark.parametrize("entry", [
    "https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/",
    "https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/list_zw_wj_2.shtml",
    "https://gzjkq.ganzhou.gov.cn/jkqxxgk/dept3/xxgk.shtml?code=c110595&temp=xxgk_list",
])
def test_ucap_entries_a_folder_a_list_page_or_a_shell(tmp_path, entry):
    path = tmp_path / "sites.toml"
    path.write_text(UCAP.replace("https://gzjkq.ganzhou.gov.cn/jkqxxgk/c110595/", entry),
                    encoding="utf-8")
    assert load_sites(path).sites["ganzhou-test"].platform == "ucap"
