"""Who owns a column report that names no body (:meth:`ReportSourcesMixin.sole_reader`): the
site, when it is the only configured site reading that column; else nobody (unassigned). Sites
files are generated: random hosts, column folders and the entry URL forms that lead to one
column (its folder, ``index.html``, ``index_N.html``, ``index_N.htm``), beside gkmlpt entries
that are no column. The expectation is built from the drawn columns, not by the code."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings, strategies as st

from archive.sites import load_sites
from crawler.spiders.gkmlpt import GkmlptSpider
from crawler.spiders.sources import Candidate, FoundOn

HOSTS = ("www.dg.gov.cn", "www.huadu.gov.cn")
FOLDERS = ("zwgk/zfxxgkml/fgz/zfxxgkgzndbg", "zwgk/zfxxgkml/qxz/zfxxgkgzndbg",
           "xxgk/xxgkml/xxgknb/gzj", "xxgk/xxgkml/xxgknb/zdz")
COLUMNS = [f"https://{host}/{folder}/" for host in HOSTS for folder in FOLDERS]
FORMS = (lambda c, n: c, lambda c, n: c + "index.html", lambda c, n: f"{c}index_{n}.html",
         lambda c, n: f"{c}index_{n}.htm")

# one site: the columns it reads (indices into COLUMNS), each written in one of FORMS
SITE = st.lists(st.tuples(st.integers(0, len(COLUMNS) - 1), st.integers(0, len(FORMS) - 1),
                          st.integers(2, 9)), max_size=3)


def _sites_file(tmp_path, sites: list[list[tuple[int, int, int]]]):
    lines = []
    for number, columns in enumerate(sites):
        entries = [f"https://{HOSTS[number % 2]}/town{number}/gkmlpt/index"]  # never a column
        entries += [FORMS[form](COLUMNS[column], n) for column, form, n in columns]
        lines += [f"[sites.s{number}]", f'name = "第{number}镇人民政府"', 'region = "广东省"',
                  f"entry_urls = {entries!r}".replace("'", '"'),
                  f"allowed_hosts = {list(HOSTS)!r}".replace("'", '"'), ""]
    path = tmp_path / "sites.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return load_sites(path)


@settings(max_examples=60, deadline=None)
@given(sites=st.lists(SITE, min_size=1, max_size=5), asked=st.integers(0, 4),
       column=st.integers(0, len(COLUMNS) - 1))
def test_a_report_naming_no_body_is_the_sole_readers(tmp_path_factory, sites, asked, column):
    asked %= len(sites)
    spider = GkmlptSpider()
    spider.session = SimpleNamespace(sites_file=_sites_file(tmp_path_factory.mktemp("s"), sites))
    readers = {f"s{n}" for n, columns in enumerate(sites) if column in {c for c, _, _ in columns}}
    candidate = Candidate("1", "政府信息公开工作年度报告", COLUMNS[column] + "content/post_1.html",
                          "column", {}, FoundOn(COLUMNS[column], {}), column_url=COLUMNS[column])
    expected = f"s{asked}" if readers == {f"s{asked}"} else None
    assert spider.sole_reader(f"s{asked}", candidate) == expected
    # asked again (the answer is computed once per run): the same
    assert spider.sole_reader(f"s{asked}", candidate) == expected
