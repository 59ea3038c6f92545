"""Search that finds Chinese queries of any length: trigram FTS for 3+ characters, the
character-pair index for 1-2, both through the same SQL."""

import pytest

from archive.db import open_db
from archive.search import SEARCH_SQL, index_report, short_tokens

REPORTS = {
    1: ("狮岭镇2020年政府信息公开工作年度报告", "一、总体情况 本报告由狮岭镇编制。"),
    2: ("凤岗镇政务公开年报", "收到申请2件，均已办结。年"),
    3: ("赤坭镇2021年度报告", "二、主动公开政府信息情况"),
}


@pytest.fixture()
def db(tmp_path):
    db = open_db(tmp_path / "archive.db")
    for report_id, (title, body) in REPORTS.items():
        index_report(db, report_id, title, body, "site", 2020)
    return db


def found(db, q):
    return sorted(r[0] for r in db.execute(SEARCH_SQL, {"q": q}).fetchall())


@pytest.mark.parametrize("q,expected", [
    ("年报", [2]), ("年", [1, 2, 3]), ("镇", [1, 2, 3]), ("告", [1, 3]), ("件", [2]),
    ("政府信息公开", [1]), ("公开政府", [3]), ("总体情况", [1]), ("年度报告", [1, 3]), ("办结", [2]),
    ("报年", []), ('"', []), ('年"', []), ("xyz", []),
])
def test_queries_of_any_length(db, q, expected):
    assert found(db, q) == expected


def test_reindexing_replaces_the_old_text(db):
    index_report(db, 2, "凤岗镇工作总结", "无", "site", 2020)
    assert found(db, "年报") == []
    assert db.execute("SELECT count(*) FROM report_search_short").fetchone()[0] == 3


def test_short_tokens():
    assert short_tokens("年度报告，年报") == "年度 度报 报告 告 年报 报"
    assert short_tokens("") == ""
