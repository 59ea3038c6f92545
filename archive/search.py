"""Full-text search of reports that finds Chinese queries of any length.

``report_search`` (FTS5, trigram tokenizer) answers queries of three characters or more
(``政府信息公开``) but cannot match one or two (``年报``). ``report_search_short`` answers
those: its text is rewritten as overlapping two-character tokens plus the last character of
each run (``年度报告`` → ``年度 度报 报告 告``), so a two-character query is one token and a
one-character query a token prefix — both served by the index, no table scan.

Example::

    index_report(db, report_id=7, title="狮岭镇2020年政府信息公开工作年度报告", body="…",
                 site="huadu-shiling", year=2020)
    db.execute(SEARCH_SQL, {"q": "年报"})
"""

from __future__ import annotations

import re

_RUN = re.compile(r"[^\W_]+")


def short_tokens(text: str) -> str:
    """Overlapping character pairs of every run of letters and digits, and its last character."""
    tokens: list[str] = []
    for run in _RUN.findall(text or ""):
        tokens.extend(run[i:i + 2] for i in range(len(run) - 1))
        tokens.append(run[-1])
    return " ".join(tokens)


def index_report(db, report_id: int, title: str, body: str, site: str, year: int) -> None:
    """(Re)index one report in both search tables."""
    unindex_report(db, report_id)
    db.execute("INSERT INTO report_search (title, body, site, year, report_id) VALUES (?,?,?,?,?)",
               [title, body, site, year, report_id])
    db.execute("INSERT INTO report_search_short (title, body, report_id) VALUES (?,?,?)",
               [short_tokens(title), short_tokens(body), report_id])


def unindex_report(db, report_id: int) -> None:
    db.execute("DELETE FROM report_search WHERE report_id = ?", [report_id])
    db.execute("DELETE FROM report_search_short WHERE report_id = ?", [report_id])


# At most 200 matches: the best-ranked for three characters or more (snippets only for those);
# for one or two characters, candidates from the pair index, confirmed by substring.
SEARCH_SQL = """select * from (
  select report_id, site, year, title,
         snippet(report_search, 1, '【', '】', '…', 16) as excerpt
  from report_search
  where length(:q) >= 3 and report_search match '"' || replace(:q, '"', '""') || '"'
  order by rank limit 200)
union all
select * from (
  select s.report_id, s.site, s.year, s.title,
         substr(s.body, max(1, instr(s.body, :q) - 16), 40) as excerpt
  from report_search s
  where length(:q) between 1 and 2 and s.report_id in (
    select report_id from report_search_short
    where report_search_short match '"' || replace(:q, '"', '""') || '"'
                                    || case length(:q) when 1 then '*' else '' end)
    and (instr(s.title, :q) > 0 or instr(s.body, :q) > 0)
  limit 200)"""
